//! A tiny HTTP/1.1 server on 127.0.0.1:0, plain or TLS, that answers every connection with one
//! scripted reply and records what it received.
//!
//! It is deliberately hand-written over raw bytes rather than built on hyper: the suite must be
//! able to send what a well-behaved server would not (a body larger than announced, a body that
//! never ends, no answer at all), and must not share code with the backends it judges.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use rustls::ServerConfig;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::{JoinHandle, JoinSet},
};
use tokio_rustls::TlsAcceptor;

use crate::pki::ServerIdentity;

/// What the server does once it has read a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Writes these bytes (a whole HTTP response) and closes the connection.
    Raw(Vec<u8>),
    /// Never answers, holding the connection open.
    Stall,
    /// Answers 200 with a chunked body that never ends, until the client goes away.
    EndlessChunked,
}

impl Reply {
    /// A response with `status`, extra `headers`, and `body` with a correct `Content-Length`.
    pub fn status(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Self {
        let mut head = format!(
            "HTTP/1.1 {status} Scripted\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut raw = head.into_bytes();
        raw.extend_from_slice(body);
        Self::Raw(raw)
    }

    /// `200 OK` with a JSON body.
    pub fn json(body: &str) -> Self {
        Self::status(
            200,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
    }
}

/// One request as the server read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// Header names (lower-cased) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, read by `Content-Length`.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How the server speaks.
#[derive(Debug)]
pub enum Transport {
    /// Plain HTTP.
    Plain,
    /// HTTPS with this identity.
    Tls(ServerIdentity),
}

/// A running server; stops when dropped.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    accept_loop: JoinHandle<()>,
}

impl TestServer {
    /// Starts a server on 127.0.0.1 with an ephemeral port.
    pub async fn start(transport: Transport, reply: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind test server");
        let addr = listener.local_addr().expect("test server address");
        let acceptor = match transport {
            Transport::Plain => None,
            Transport::Tls(identity) => Some(TlsAcceptor::from(Arc::new(server_config(identity)))),
        };
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        let accept_loop = tokio::spawn(async move {
            // Owning the connection tasks here means aborting the accept loop ends them too.
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let reply = reply.clone();
                let recorded = recorded.clone();
                connections.spawn(async move {
                    serve_connection(stream, acceptor, reply, recorded).await;
                });
            }
        });
        Self {
            addr,
            requests,
            accept_loop,
        }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

fn server_config(identity: ServerIdentity) -> ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // No ALPN: every backend must then speak HTTP/1.1, which the hand-written server parses.
    ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(identity.chain, identity.key)
        .expect("server certificate")
}

async fn serve_connection(
    stream: TcpStream,
    acceptor: Option<TlsAcceptor>,
    reply: Reply,
    recorded: Arc<Mutex<Vec<RecordedRequest>>>,
) {
    match acceptor {
        None => serve_http(stream, reply, recorded).await,
        Some(acceptor) => {
            // A failed handshake is what several checks expect; the client reports it.
            if let Ok(tls) = acceptor.accept(stream).await {
                serve_http(tls, reply, recorded).await;
            }
        }
    }
}

async fn serve_http<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    reply: Reply,
    recorded: Arc<Mutex<Vec<RecordedRequest>>>,
) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    if let Ok(mut requests) = recorded.lock() {
        requests.push(request);
    }
    match reply {
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::Stall => {
            std::future::pending::<()>().await;
        }
        Reply::EndlessChunked => {
            let head =
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
            if stream.write_all(head).await.is_err() {
                return;
            }
            let chunk = format!("{:x}\r\n{}\r\n", 4096, "x".repeat(4096)).into_bytes();
            // Stops when the client closes the connection, which is what the check waits for.
            while stream.write_all(&chunk).await.is_ok() {}
        }
    }
}

async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Option<RecordedRequest> {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(pos) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buffer[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(RecordedRequest {
        method,
        target,
        headers,
        body,
    })
}
