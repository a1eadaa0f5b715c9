//! Opening a connection: resolve the host (builder overrides first), TCP within the connect
//! timeout, rustls for `https`, then an HTTP/1.1 handshake whose connection task runs on tokio.
//!
//! HTTP/1.1 only, on purpose: a token client sends a handful of small requests minutes apart,
//! which HTTP/2 does not speed up, and leaving out `h2` keeps about ten crates out of the build.

use std::{collections::HashMap, net::SocketAddr, time::Duration};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use msal_core::http::{TransportError, TransportErrorKind};
use tokio::net::TcpStream;

use crate::{error::transport_error, origin::Origin};

/// The sending half of one HTTP/1.1 connection.
pub(crate) type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// Everything needed to open connections for one client.
pub(crate) struct Connector {
    /// Host names (lowercase) answered without DNS.
    overrides: HashMap<String, SocketAddr>,
    connect_timeout: Duration,
    #[cfg(feature = "rustls")]
    tls: tokio_rustls::TlsConnector,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("overrides", &self.overrides.len())
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl Connector {
    #[cfg(feature = "rustls")]
    pub(crate) fn new(
        overrides: &[(String, SocketAddr)],
        connect_timeout: Duration,
        mut tls: rustls::ClientConfig,
    ) -> Self {
        // Say so in ALPN, so a server that would pick h2 keeps to what we speak.
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Self {
            overrides: lowercase_keys(overrides),
            connect_timeout,
            tls: tokio_rustls::TlsConnector::from(std::sync::Arc::new(tls)),
        }
    }

    #[cfg(not(feature = "rustls"))]
    pub(crate) fn new(overrides: &[(String, SocketAddr)], connect_timeout: Duration) -> Self {
        Self {
            overrides: lowercase_keys(overrides),
            connect_timeout,
        }
    }

    /// A new connection to `origin`, ready to send.
    pub(crate) async fn connect(&self, origin: &Origin) -> Result<Sender, TransportError> {
        let tcp = tokio::time::timeout(self.connect_timeout, self.tcp(origin))
            .await
            .map_err(|_| {
                TransportError::new(
                    TransportErrorKind::Timeout,
                    format!("no TCP connection within {:?}", self.connect_timeout),
                )
            })??;
        if origin.https {
            return self.handshake_tls(origin, tcp).await;
        }
        handshake(tcp).await
    }

    /// The first address that accepts, in resolver order.
    async fn tcp(&self, origin: &Origin) -> Result<TcpStream, TransportError> {
        let addrs: Vec<SocketAddr> = match self.overrides.get(&origin.host) {
            Some(addr) => vec![*addr],
            None => tokio::net::lookup_host((origin.host.as_str(), origin.port))
                .await
                .map_err(connect_error)?
                .collect(),
        };
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(tcp) => {
                    // Requests are small and latency-bound: send them now.
                    let _ = tcp.set_nodelay(true);
                    return Ok(tcp);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.map_or_else(
            || {
                TransportError::new(
                    TransportErrorKind::Connect,
                    "the host resolved to no address",
                )
            },
            connect_error,
        ))
    }

    #[cfg(feature = "rustls")]
    async fn handshake_tls(
        &self,
        origin: &Origin,
        tcp: TcpStream,
    ) -> Result<Sender, TransportError> {
        let name = rustls::pki_types::ServerName::try_from(origin.host.clone()).map_err(|_| {
            TransportError::new(
                TransportErrorKind::Tls,
                "the host is not a valid TLS server name",
            )
        })?;
        let tls = self.tls.connect(name, tcp).await.map_err(transport_error)?;
        handshake(tls).await
    }

    #[cfg(not(feature = "rustls"))]
    async fn handshake_tls(
        &self,
        _origin: &Origin,
        _tcp: TcpStream,
    ) -> Result<Sender, TransportError> {
        Err(crate::client::tls_unsupported())
    }
}

/// The HTTP/1.1 handshake; the connection is driven by a tokio task that ends when the server
/// closes it or every [`Sender`] for it is dropped.
async fn handshake<S>(stream: S) -> Result<Sender, TransportError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(transport_error)?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(target: "msal::http", %error, "connection closed with an error");
        }
    });
    Ok(sender)
}

fn connect_error(error: std::io::Error) -> TransportError {
    let kind = if error.kind() == std::io::ErrorKind::TimedOut {
        TransportErrorKind::Timeout
    } else {
        TransportErrorKind::Connect
    };
    TransportError::new(kind, error)
}

fn lowercase_keys(overrides: &[(String, SocketAddr)]) -> HashMap<String, SocketAddr> {
    // DNS names match case-insensitively.
    overrides
        .iter()
        .map(|(host, addr)| (host.to_ascii_lowercase(), *addr))
        .collect()
}
