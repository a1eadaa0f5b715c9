//! [`HyperClient`]: the [`HttpClient`] implementation.

use std::{fmt, sync::Arc};

use bytes::Bytes;
use http_body_util::Full;
use msal_core::http::{
    HttpClient, HttpRequest, HttpResponse, PinnedClients, PinnedServerCertificate, RequestTimeout,
    ResponseBodyLimit, TransportError, TransportErrorKind,
};

use crate::{
    HyperClientBuilder, body::read_limited, builder::Settings, connector::LegacyClient,
    error::transport_error,
};

/// An [`HttpClient`] on hyper 1 and hyper-util's pooled client. Cheap to clone: clones share
/// the connection pool. Needs a tokio runtime to send.
///
/// No proxy support: requests go straight to the server. Use `msal-http-reqwest` behind a proxy.
///
/// ```no_run
/// use msal_core::http::HttpClient;
/// use msal_http_hyper::HyperClient;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = HyperClient::new();
/// let request = http::Request::get("https://login.microsoftonline.com/common/discovery/instance")
///     .body(Vec::new())?;
/// let response = client.send(request).await?;
/// println!("{}", response.status());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct HyperClient {
    inner: Arc<Inner>,
}

struct Inner {
    /// The main client, or why it could not be built (see [`HyperClient::new`]).
    client: Result<LegacyClient, String>,
    settings: Settings,
    /// One client per pinned thumbprint: the verifier belongs to the connector, and a Service
    /// Fabric node has one endpoint, so this map holds one entry in practice.
    pinned: PinnedClients<LegacyClient>,
}

/// The error for `https` or pinning without the `rustls` feature.
#[cfg(not(feature = "rustls"))]
pub(crate) fn tls_unsupported() -> TransportError {
    TransportError::new(
        TransportErrorKind::Unsupported,
        "HTTPS needs the `rustls` feature of msal-http-hyper",
    )
}

impl HyperClient {
    /// A client with the defaults: rustls with Mozilla's and the platform's roots, no redirects
    /// (hyper never follows them), a 30 s request and 10 s connect timeout, 1 MiB body limit.
    ///
    /// This never panics. In the unlikely case the TLS configuration cannot be built, the error
    /// is logged and every request fails with [`TransportErrorKind::Other`] carrying it; use
    /// [`builder`](Self::builder)`().build()` to get the error up front.
    pub fn new() -> Self {
        let settings = Settings::default();
        let client = settings.build_client().map_err(|e| {
            tracing::error!(target: "msal::http", error = %e, "cannot build the default HTTP client");
            e.to_string()
        });
        Self::from_parts(client, settings)
    }

    /// A builder to configure timeouts, roots, resolution and limits.
    pub fn builder() -> HyperClientBuilder {
        HyperClientBuilder::new()
    }

    pub(crate) fn from_parts(client: Result<LegacyClient, String>, settings: Settings) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                settings,
                pinned: PinnedClients::default(),
            }),
        }
    }

    fn client_for(
        &self,
        pin: Option<PinnedServerCertificate>,
    ) -> Result<LegacyClient, TransportError> {
        let Some(pin) = pin else {
            return self.inner.client.clone().map_err(|reason| {
                TransportError::new(
                    TransportErrorKind::Other,
                    format!("the HTTP client could not be built: {reason}"),
                )
            });
        };
        self.inner
            .pinned
            .get_or_build(pin, |pin| self.inner.settings.build_pinned_client(pin))
    }
}

impl Default for HyperClient {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for HyperClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperClient")
            .field("usable", &self.inner.client.is_ok())
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl HttpClient for HyperClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let extensions = request.extensions();
        let timeout = extensions
            .get::<RequestTimeout>()
            .map_or(self.inner.settings.timeout, |t| t.0);
        let limit = extensions
            .get::<ResponseBodyLimit>()
            .map_or(self.inner.settings.max_response_bytes, |l| l.0);
        let pin = extensions.get::<PinnedServerCertificate>().copied();
        #[cfg(not(feature = "rustls"))]
        if pin.is_some() || request.uri().scheme() == Some(&http::uri::Scheme::HTTPS) {
            return Err(tls_unsupported());
        }
        let client = self.client_for(pin)?;

        let request = request.map(|body| Full::new(Bytes::from(body)));
        let exchange = async {
            let response = client.request(request).await.map_err(transport_error)?;
            read_limited(response, limit).await
        };
        // One deadline over connect, TLS, headers and body: hyper has no whole-request timeout.
        tokio::time::timeout(timeout, exchange).await.map_err(|_| {
            TransportError::new(
                TransportErrorKind::Timeout,
                format!("no complete response within {timeout:?}"),
            )
        })?
    }
}
