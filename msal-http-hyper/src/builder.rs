//! [`HyperClientBuilder`]: the settings a [`HyperClient`] is built from.

use std::{net::SocketAddr, time::Duration};

use msal_core::{
    Error,
    http::{PinnedServerCertificate, ResponseBodyLimit, TransportError},
};

use std::sync::Arc;

use crate::{HyperClient, client::Transport, connect::Connector};

pub use msal_core::http::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};

/// Everything needed to build the main client and, later, one client per pinned certificate.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    #[cfg(feature = "rustls")]
    tls: msal_http_rustls::TlsOptions,
    pub(crate) resolve: Vec<(String, SocketAddr)>,
    pub(crate) max_response_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            #[cfg(feature = "rustls")]
            tls: msal_http_rustls::TlsOptions::new(),
            resolve: Vec::new(),
            max_response_bytes: ResponseBodyLimit::DEFAULT.0,
        }
    }
}

impl Settings {
    /// The main client, trusting the configured roots.
    pub(crate) fn build_client(&self) -> Result<Arc<Transport>, Error> {
        #[cfg(feature = "rustls")]
        let connector = Connector::new(
            &self.resolve,
            self.connect_timeout,
            self.tls.client_config()?,
        );
        #[cfg(not(feature = "rustls"))]
        let connector = Connector::new(&self.resolve, self.connect_timeout);
        Ok(Transport::new(connector))
    }

    /// A client that trusts only the pinned leaf.
    pub(crate) fn build_pinned_client(
        &self,
        pin: PinnedServerCertificate,
    ) -> Result<Arc<Transport>, TransportError> {
        #[cfg(feature = "rustls")]
        {
            let config = msal_http_rustls::pinned_client_config(pin).map_err(|e| {
                TransportError::new(msal_core::http::TransportErrorKind::Other, e.to_string())
            })?;
            Ok(Transport::new(Connector::new(
                &self.resolve,
                self.connect_timeout,
                config,
            )))
        }
        #[cfg(not(feature = "rustls"))]
        {
            let _ = pin;
            Err(crate::client::tls_unsupported())
        }
    }
}

/// Builds a [`HyperClient`]. Every method takes the builder by value; the fallible ones return
/// `Result<Self, msal_core::Error>` so they chain with `?`.
///
/// There is no proxy support: the hyper backend connects directly. Use `msal-http-reqwest` when
/// requests must go through a proxy.
///
/// ```
/// use std::time::Duration;
///
/// let client = msal_http_hyper::HyperClient::builder()
///     .timeout(Duration::from_secs(10))
///     .max_response_bytes(256 * 1024)
///     .build()?;
/// # let _ = client;
/// # Ok::<(), msal_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct HyperClientBuilder {
    settings: Settings,
}

impl HyperClientBuilder {
    /// The defaults of [`HyperClient::new`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The whole-request timeout, connect to last body byte, used when a request carries no
    /// [`RequestTimeout`](msal_core::http::RequestTimeout). Default: [`DEFAULT_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// The TCP connect timeout. Default: [`DEFAULT_CONNECT_TIMEOUT`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// Also trusts the certificates of a PEM bundle (a private CA, a local emulator).
    ///
    /// Fails with [`Error::Crypto`] on malformed PEM or a bundle without certificates, and with
    /// [`Error::Configuration`] when the crate was built without the `rustls` feature.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        #[cfg(feature = "rustls")]
        {
            self.settings.tls = self.settings.tls.add_root_certificate_pem(pem)?;
            Ok(self)
        }
        #[cfg(not(feature = "rustls"))]
        {
            let _ = (pem, &mut self);
            Err(Error::Configuration(
                "msal-http-hyper was built without the `rustls` feature".to_owned(),
            ))
        }
    }

    /// Whether to trust the built-in roots (Mozilla's and the platform's; default `true`). Off,
    /// only the roots added with [`add_root_certificate_pem`](Self::add_root_certificate_pem)
    /// are trusted.
    // Without `rustls` there is no TLS setting to change.
    #[cfg_attr(not(feature = "rustls"), allow(unused_mut))]
    pub fn tls_built_in_root_certs(mut self, enabled: bool) -> Self {
        #[cfg(feature = "rustls")]
        {
            self.settings.tls = self.settings.tls.tls_built_in_root_certs(enabled);
        }
        #[cfg(not(feature = "rustls"))]
        let _ = enabled;
        self
    }

    /// Accepts any server certificate. **Only for tests**: anyone on the network path could
    /// then read the token requests, secrets included.
    // Without `rustls` there is no TLS setting to change.
    #[cfg_attr(not(feature = "rustls"), allow(unused_mut))]
    pub fn danger_accept_invalid_certs(mut self, enabled: bool) -> Self {
        if enabled {
            tracing::warn!(
                target: "msal::http",
                "TLS certificate verification is off: use this only in tests"
            );
        }
        #[cfg(feature = "rustls")]
        {
            self.settings.tls = self.settings.tls.danger_accept_invalid_certs(enabled);
        }
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

    /// Builds the client. Fails with [`Error::Configuration`] when no root is left to trust.
    ///
    /// Needs no runtime to build; sending needs a tokio runtime.
    pub fn build(self) -> Result<HyperClient, Error> {
        let client = self.settings.build_client()?;
        Ok(HyperClient::from_parts(Ok(client), self.settings))
    }
}
