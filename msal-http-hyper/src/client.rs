//! [`HyperClient`]: the [`HttpClient`] implementation.

use std::{fmt, sync::Arc};

use bytes::Bytes;
use http_body_util::Full;
use msal_core::http::{
    HttpClient, HttpRequest, HttpResponse, PinnedClients, PinnedServerCertificate, RequestTimeout,
    ResponseBodyLimit, TransportError, TransportErrorKind,
};

use crate::{
    HyperClientBuilder, body::read_limited, builder::Settings, connect::Connector,
    error::transport_error, origin::Origin, pool::Pool,
};

/// An [`HttpClient`] on hyper 1's HTTP/1.1 client connections, with a small connection pool of
/// its own. Cheap to clone: clones share the pool. Needs a tokio runtime to send.
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
    /// The main transport, or why it could not be built (see [`HyperClient::new`]).
    client: Result<Arc<Transport>, String>,
    settings: Settings,
    /// One transport per pinned thumbprint: the verifier belongs to the connector, and a Service
    /// Fabric node has one endpoint, so this map holds one entry in practice.
    pinned: PinnedClients<Arc<Transport>>,
}

/// A connector and the idle connections it opened.
#[derive(Debug)]
pub(crate) struct Transport {
    connector: Connector,
    pool: Pool,
}

impl Transport {
    pub(crate) fn new(connector: Connector) -> Arc<Self> {
        Arc::new(Self {
            connector,
            pool: Pool::default(),
        })
    }

    /// Sends `request` on an idle connection to `origin`, or a new one, and reads the response.
    async fn exchange(
        &self,
        origin: Origin,
        mut request: http::Request<Full<Bytes>>,
        limit: usize,
    ) -> Result<HttpResponse, TransportError> {
        while let Some(mut sender) = self.pool.take(&origin) {
            if sender.ready().await.is_err() {
                continue;
            }
            match sender.try_send_request(request).await {
                Ok(response) => return self.finish(origin, sender, response, limit).await,
                // The server closed the idle connection before the request went out: hyper
                // hands the request back, and it goes on the next connection. Once written,
                // it is never sent twice.
                Err(mut e) => match e.take_message() {
                    Some(unsent) => request = unsent,
                    None => return Err(transport_error(e.into_error())),
                },
            }
        }
        let mut sender = self.connector.connect(&origin).await?;
        let response = sender
            .send_request(request)
            .await
            .map_err(transport_error)?;
        self.finish(origin, sender, response, limit).await
    }

    /// Reads the body, then returns the connection to the pool: only a connection whose
    /// response was read to the end can carry the next request.
    async fn finish(
        &self,
        origin: Origin,
        sender: crate::connect::Sender,
        response: http::Response<hyper::body::Incoming>,
        limit: usize,
    ) -> Result<HttpResponse, TransportError> {
        let response = read_limited(response, limit).await?;
        self.pool.put(origin, sender);
        Ok(response)
    }
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

    pub(crate) fn from_parts(client: Result<Arc<Transport>, String>, settings: Settings) -> Self {
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
    ) -> Result<Arc<Transport>, TransportError> {
        self.inner.pinned.select(&self.inner.client, pin, |pin| {
            self.inner.settings.build_pinned_client(pin)
        })
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
        // hyper's and the resolver's errors do not say which host they were for.
        let uri = request.uri().clone();
        self.send_within_timeout(request)
            .await
            .map_err(|e| e.with_host_of(&uri))
    }
}

impl HyperClient {
    /// One request, connect to end of body, within its timeout.
    async fn send_within_timeout(
        &self,
        request: HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        let extensions = request.extensions();
        let timeout = extensions
            .get::<RequestTimeout>()
            .map_or(self.inner.settings.timeout, |t| t.0);
        let limit = extensions
            .get::<ResponseBodyLimit>()
            .map_or(self.inner.settings.max_response_bytes, |l| l.0);
        let pin = extensions.get::<PinnedServerCertificate>().copied();
        let origin = Origin::of(request.uri())?;
        #[cfg(not(feature = "rustls"))]
        if pin.is_some() || origin.https {
            return Err(tls_unsupported());
        }
        let client = self.client_for(pin)?;
        let request =
            crate::origin::to_origin_form(request.map(|body| Full::new(Bytes::from(body))))?;
        let exchange = client.exchange(origin, request, limit);
        // One deadline over connect, TLS, headers and body: hyper has no whole-request timeout.
        tokio::time::timeout(timeout, exchange).await.map_err(|_| {
            TransportError::new(
                TransportErrorKind::Timeout,
                format!("no complete response within {timeout:?}"),
            )
        })?
    }
}
