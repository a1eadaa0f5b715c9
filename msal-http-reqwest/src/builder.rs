//! [`ReqwestClientBuilder`]: the settings a [`ReqwestClient`] is built from.

use std::{fmt, net::SocketAddr, time::Duration};

use msal_core::{
    Error,
    http::{PinnedServerCertificate, ResponseBodyLimit, TransportError},
};
use reqwest::redirect;

use crate::{ReqwestClient, tls::TlsSettings};

pub use msal_core::http::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};

/// Which proxies the client uses.
#[derive(Clone)]
enum ProxyChoice {
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`, as reqwest reads them.
    Environment,
    /// None at all.
    Direct,
    /// These, instead of the environment's.
    Explicit(Vec<reqwest::Proxy>),
}

/// Everything needed to build the main client and, later, one client per pinned certificate.
#[derive(Clone)]
pub(crate) struct Settings {
    timeout: Duration,
    connect_timeout: Duration,
    proxy: ProxyChoice,
    tls: TlsSettings,
    resolve: Vec<(String, SocketAddr)>,
    pub(crate) max_response_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            proxy: ProxyChoice::Environment,
            tls: TlsSettings::default(),
            resolve: Vec::new(),
            max_response_bytes: ResponseBodyLimit::DEFAULT.0,
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Proxy URLs can embed credentials, so only the choice is shown.
        let proxy = match &self.proxy {
            ProxyChoice::Environment => "environment".to_owned(),
            ProxyChoice::Direct => "none".to_owned(),
            ProxyChoice::Explicit(proxies) => format!("{} explicit", proxies.len()),
        };
        f.debug_struct("Settings")
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("proxy", &proxy)
            .field("tls", &self.tls)
            .field("resolve", &self.resolve)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

impl Settings {
    /// The options every client shares; redirects are always off (see [`HttpClient`]).
    ///
    /// [`HttpClient`]: msal_core::http::HttpClient
    fn common(&self) -> reqwest::ClientBuilder {
        let mut builder = reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout);
        for (host, addr) in &self.resolve {
            builder = builder.resolve(host, *addr);
        }
        builder
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The main client: configured roots and proxies.
    pub(crate) fn build_client(&self) -> Result<reqwest::Client, Error> {
        self.client_builder()?
            .build()
            .map_err(|e| Error::Configuration(format!("cannot build the reqwest client: {e}")))
    }

    /// The main client's reqwest builder.
    pub(crate) fn client_builder(&self) -> Result<reqwest::ClientBuilder, Error> {
        let mut builder = self.tls.apply(self.common())?;
        match &self.proxy {
            ProxyChoice::Environment => {}
            ProxyChoice::Direct => builder = builder.no_proxy(),
            ProxyChoice::Explicit(proxies) => {
                for proxy in proxies {
                    builder = builder.proxy(proxy.clone());
                }
            }
        }
        Ok(builder)
    }

    /// A client that trusts only the pinned leaf and never uses a proxy: a proxy would terminate
    /// TLS itself, so the pin could never match, and the endpoint is local anyway.
    pub(crate) fn build_pinned_client(
        &self,
        pin: PinnedServerCertificate,
    ) -> Result<reqwest::Client, TransportError> {
        TlsSettings::apply_pinned(self.common().no_proxy(), pin)?
            .build()
            .map_err(crate::error::transport_error)
    }
}

/// Builds a [`ReqwestClient`]. Every method takes the builder by value; the fallible ones return
/// `Result<Self, msal_core::Error>` so they chain with `?`.
///
/// ```
/// use std::time::Duration;
///
/// let client = msal_http_reqwest::ReqwestClient::builder()
///     .timeout(Duration::from_secs(10))
///     .no_proxy()
///     .max_response_bytes(256 * 1024)
///     .build()?;
/// # let _ = client;
/// # Ok::<(), msal_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct ReqwestClientBuilder {
    settings: Settings,
}

impl ReqwestClientBuilder {
    /// The defaults of [`ReqwestClient::new`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The whole-request timeout, connect to last body byte, used when a request carries no
    /// [`RequestTimeout`](msal_core::http::RequestTimeout). Default: [`DEFAULT_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// The TCP (and proxy) connect timeout. Default: [`DEFAULT_CONNECT_TIMEOUT`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// Sends requests through `proxy` instead of the environment's proxies. Call again to add
    /// more (the first whose rules match a request is used). Requests carrying a
    /// [`PinnedServerCertificate`] never use a proxy.
    pub fn proxy(mut self, proxy: reqwest::Proxy) -> Self {
        match &mut self.settings.proxy {
            ProxyChoice::Explicit(proxies) => proxies.push(proxy),
            choice => *choice = ProxyChoice::Explicit(vec![proxy]),
        }
        self
    }

    /// Uses no proxy at all, ignoring `HTTPS_PROXY` and friends (by default they are honoured).
    pub fn no_proxy(mut self) -> Self {
        self.settings.proxy = ProxyChoice::Direct;
        self
    }

    /// Also trusts the certificates of a PEM bundle (a private CA, a local emulator).
    ///
    /// Fails with [`Error::Crypto`] on malformed PEM or a bundle without certificates, and with
    /// [`Error::Configuration`] when the crate was built without a TLS feature.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        self.settings.tls = self.settings.tls.add_root_certificate_pem(pem)?;
        Ok(self)
    }

    /// Whether to trust the built-in roots (Mozilla's and the platform's; default `true`). Off,
    /// only the roots added with [`add_root_certificate_pem`](Self::add_root_certificate_pem)
    /// are trusted.
    pub fn tls_built_in_root_certs(mut self, enabled: bool) -> Self {
        self.settings.tls = self.settings.tls.tls_built_in_root_certs(enabled);
        self
    }

    /// Accepts any server certificate. **Only for tests**: anyone on the network path could
    /// then read the token requests, secrets included.
    pub fn danger_accept_invalid_certs(mut self, enabled: bool) -> Self {
        if enabled {
            tracing::warn!(
                target: "msal::http",
                "TLS certificate verification is off: use this only in tests"
            );
        }
        self.settings.tls = self.settings.tls.danger_accept_invalid_certs(enabled);
        self
    }

    /// Sends requests for `host` to `addr` instead of resolving it (TLS still checks `host`).
    pub fn resolve(mut self, host: impl Into<String>, addr: SocketAddr) -> Self {
        self.settings.resolve.push((host.into(), addr));
        self
    }

    /// The most body bytes read when a request carries no
    /// [`ResponseBodyLimit`]. Default: [`ResponseBodyLimit::DEFAULT`] (1 MiB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.settings.max_response_bytes = limit;
        self
    }

    /// Builds the client. Fails with [`Error::Configuration`] when no root is left to trust or
    /// reqwest refuses the configuration.
    pub fn build(self) -> Result<ReqwestClient, Error> {
        let client = self.settings.build_client()?;
        Ok(ReqwestClient::from_parts(Ok(client), self.settings))
    }
}
