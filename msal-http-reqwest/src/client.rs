//! [`ReqwestClient`]: the [`HttpClient`] implementation.

use std::{fmt, sync::Arc, time::Duration};

use msal_core::http::{
    HttpClient, HttpRequest, HttpResponse, PinnedClients, PinnedServerCertificate, RequestTimeout,
    ResponseBodyLimit, TransportError, TransportErrorKind,
};

use crate::{ReqwestClientBuilder, body::read_limited, builder::Settings, error::transport_error};

/// An [`HttpClient`] on reqwest. Cheap to clone: clones share connection pools.
///
/// ```no_run
/// use msal_core::http::HttpClient;
/// use msal_http_reqwest::ReqwestClient;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = ReqwestClient::new();
/// let request = http::Request::get("https://login.microsoftonline.com/common/discovery/instance")
///     .body(Vec::new())?;
/// let response = client.send(request).await?;
/// println!("{}", response.status());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ReqwestClient {
    inner: Arc<Inner>,
}

struct Inner {
    /// The main client, or why it could not be built (see [`ReqwestClient::new`]).
    client: Result<reqwest::Client, String>,
    /// Settings for the per-pin clients, and the default body limit.
    settings: Settings,
    /// The deadline applied on top of reqwest's own when a request has no [`RequestTimeout`];
    /// `None` for a caller's client, whose own configuration then rules.
    default_timeout: Option<Duration>,
    /// One client per pinned thumbprint: a verifier is per client in reqwest, and a Service
    /// Fabric node has one endpoint, so this map holds one entry in practice.
    pinned: PinnedClients<reqwest::Client>,
}

impl ReqwestClient {
    /// A client with the defaults: rustls with Mozilla's and the platform's roots, redirects
    /// off, proxies from the environment, a 30 s request and 10 s connect timeout, 1 MiB body
    /// limit.
    ///
    /// This never panics. In the unlikely case the TLS stack cannot be set up, the error is
    /// logged and every request fails with [`TransportErrorKind::Other`] carrying it; use
    /// [`builder`](Self::builder)`().build()` to get the error up front.
    pub fn new() -> Self {
        let settings = Settings::default();
        let client = settings.build_client().map_err(|e| {
            tracing::error!(target: "msal::http", error = %e, "cannot build the default HTTP client");
            e.to_string()
        });
        Self::from_parts(client, settings)
    }

    /// Wraps a client the caller configured.
    ///
    /// **Turn redirects off** (`.redirect(reqwest::redirect::Policy::none())`): reqwest follows
    /// up to ten by default, and MSAL must never re-send a token request somewhere else. Start
    /// from [`preconfigured_reqwest_builder`](Self::preconfigured_reqwest_builder), which does
    /// that and sets up TLS (a bare `reqwest::Client::builder().build()` panics with this crate's
    /// reqwest features unless a rustls provider is installed process-wide). The
    /// client's own timeouts apply unless a request carries a [`RequestTimeout`]. Requests with
    /// a [`PinnedServerCertificate`] go through a separate client with default settings, since
    /// a reqwest client's certificate verifier cannot be changed.
    pub fn from_client(client: reqwest::Client) -> Self {
        Self {
            inner: Arc::new(Inner {
                client: Ok(client),
                settings: Settings::default(),
                default_timeout: None,
                pinned: PinnedClients::default(),
            }),
        }
    }

    /// A builder to configure timeouts, proxies, roots and limits.
    pub fn builder() -> ReqwestClientBuilder {
        ReqwestClientBuilder::new()
    }

    /// A `reqwest::ClientBuilder` already set up the way [`new`](Self::new) sets it up (rustls
    /// with the ring provider and built-in roots, redirects off, default timeouts), for callers
    /// who need a reqwest option this crate does not wrap, then [`from_client`](Self::from_client).
    ///
    /// Start from this rather than `reqwest::Client::builder()`: this crate enables reqwest's
    /// `rustls-no-provider` feature, and reqwest panics when such a builder is built without a
    /// preconfigured TLS configuration or a process-wide rustls provider.
    ///
    /// ```
    /// use msal_http_reqwest::ReqwestClient;
    ///
    /// let reqwest_client = ReqwestClient::preconfigured_reqwest_builder()?
    ///     .user_agent("my-daemon/1.0")
    ///     .build()
    ///     .map_err(|e| msal_core::Error::Configuration(e.to_string()))?;
    /// let client = ReqwestClient::from_client(reqwest_client);
    /// # let _ = client;
    /// # Ok::<(), msal_core::Error>(())
    /// ```
    pub fn preconfigured_reqwest_builder() -> Result<reqwest::ClientBuilder, msal_core::Error> {
        Settings::default().client_builder()
    }

    pub(crate) fn from_parts(client: Result<reqwest::Client, String>, settings: Settings) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                default_timeout: Some(settings.timeout()),
                settings,
                pinned: PinnedClients::default(),
            }),
        }
    }

    fn client_for(
        &self,
        pin: Option<PinnedServerCertificate>,
    ) -> Result<reqwest::Client, TransportError> {
        self.inner.pinned.select(&self.inner.client, pin, |pin| {
            self.inner.settings.build_pinned_client(pin)
        })
    }
}

impl Default for ReqwestClient {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ReqwestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestClient")
            .field("usable", &self.inner.client.is_ok())
            .field("settings", &self.inner.settings)
            .field("default_timeout", &self.inner.default_timeout)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl HttpClient for ReqwestClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        // reqwest's errors lose the URL (dropped on purpose, see `transport_error`), so the
        // host is named here, from the request: a DNS or connect failure must say where.
        let uri = request.uri().clone();
        self.exchange(request)
            .await
            .map_err(|e| e.with_host_of(&uri))
    }
}

impl ReqwestClient {
    /// One request, start to end of body, within its timeout.
    async fn exchange(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let extensions = request.extensions();
        let timeout = extensions
            .get::<RequestTimeout>()
            .map(|t| t.0)
            .or(self.inner.default_timeout);
        let limit = extensions
            .get::<ResponseBodyLimit>()
            .map_or(self.inner.settings.max_response_bytes, |l| l.0);
        let client = self.client_for(extensions.get::<PinnedServerCertificate>().copied())?;

        let mut request = reqwest::Request::try_from(request).map_err(transport_error)?;
        // reqwest's timeout also covers the body, but only while reqwest reads it; the outer
        // deadline below covers our chunk loop too, so both get the same value.
        if let Some(timeout) = timeout {
            *request.timeout_mut() = Some(timeout);
        }
        let exchange = async {
            let response = client.execute(request).await.map_err(transport_error)?;
            read_limited(response, limit).await
        };
        match timeout {
            Some(timeout) => tokio::time::timeout(timeout, exchange).await.map_err(|_| {
                TransportError::new(
                    TransportErrorKind::Timeout,
                    format!("no complete response within {timeout:?}"),
                )
            })?,
            None => exchange.await,
        }
    }
}
