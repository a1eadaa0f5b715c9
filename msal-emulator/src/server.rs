//! Listeners, TLS, HTTP/1.1 plumbing, request logging and fault application.
//!
//! Route handlers see a fully read [`Req`] and return a [`Reply`]; everything about sockets,
//! header case and misbehaving on purpose lives here.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::error::EmulatorError;
use crate::faults::{Fault, lock};
use crate::log::LoggedRequest;
use crate::routes;
use crate::state::Shared;
use crate::wire::{AadError, Listener, Reply, Req};

/// Largest request body the emulator reads; token requests are a few kilobytes.
const MAX_REQUEST_BODY: usize = 1 << 20;

/// Builds a TLS acceptor for a certificate chain and PKCS#8 key, with the ring provider.
pub(crate) fn tls_acceptor(
    chain: &[Vec<u8>],
    key_der: &[u8],
) -> Result<TlsAcceptor, EmulatorError> {
    let tls = |e: rustls::Error| EmulatorError::Tls(e.to_string());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> = chain
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der.to_vec()));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(tls)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts connections until the task is aborted; dropping the task drops its connections.
pub(crate) fn spawn_listener(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    kind: Listener,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((tcp, _)) = accepted else { continue };
                    let _ = tcp.set_nodelay(true);
                    let shared = shared.clone();
                    let tls = tls.clone();
                    connections.spawn(async move {
                        match tls {
                            Some(acceptor) => {
                                let handshake = tokio::time::timeout(
                                    Duration::from_secs(10),
                                    acceptor.accept(tcp),
                                );
                                if let Ok(Ok(stream)) = handshake.await {
                                    serve_connection(stream, shared, kind).await;
                                }
                            }
                            None => serve_connection(tcp, shared, kind).await,
                        }
                    });
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    })
}

async fn serve_connection<S>(stream: S, shared: Arc<Shared>, kind: Listener)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let captured = Arc::new(Mutex::new(Vec::new()));
    let io = TeeIo {
        inner: stream,
        captured: captured.clone(),
    };
    let service = service_fn(move |request| {
        let shared = shared.clone();
        let captured = captured.clone();
        async move { handle(request, &shared, kind, &captured).await }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service)
        .await;
}

/// A deliberate connection drop ([`Fault::ConnectionReset`]).
#[derive(Debug)]
struct DroppedOnPurpose;

impl std::fmt::Display for DroppedOnPurpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an emulator fault rule")
    }
}

impl std::error::Error for DroppedOnPurpose {}

async fn handle(
    request: hyper::Request<Incoming>,
    shared: &Shared,
    kind: Listener,
    captured: &Mutex<Vec<u8>>,
) -> Result<hyper::Response<ReplyBody>, DroppedOnPurpose> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let chunked = parts.headers.contains_key(hyper::header::TRANSFER_ENCODING);
    let headers = original_headers(captured, parts.method.as_str(), body.len(), chunked)
        .unwrap_or_else(|| {
            parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect()
        });
    let is_form = parts
        .headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let req = Req {
        method: parts.method.as_str().to_owned(),
        host: parts
            .headers
            .get(hyper::header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| parts.uri.authority().map(|a| a.to_string())),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(decode_pairs).unwrap_or_default(),
        form: if is_form {
            decode_pairs_bytes(&body)
        } else {
            Vec::new()
        },
        headers,
        listener: kind,
    };

    let endpoint = routes::classify(&req);
    let fault = shared.faults.take(endpoint.as_ref(), &req.path);
    if let Some(Fault::Delay(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let normal = || routes::handle(shared, &req);
    let (reply, truncate) = match fault {
        None | Some(Fault::Delay(_)) => (normal(), false),
        Some(Fault::ConnectionReset) => {
            log(shared, &req, 0);
            return Err(DroppedOnPurpose);
        }
        Some(Fault::Status {
            status,
            retry_after,
            body,
        }) => (status_reply(&req, status, retry_after, body), false),
        Some(Fault::TruncatedBody) => (normal(), true),
        Some(Fault::MalformedJson) => {
            let mut r = normal();
            r.status = 200;
            r.body.truncate(r.body.len() / 2);
            set_header(&mut r, "Content-Type", "application/json; charset=utf-8");
            (r, false)
        }
        Some(Fault::HtmlErrorPage) => (
            Reply::html(
                500,
                "<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1><p>The proxy could not reach the upstream service.</p></body></html>".into(),
            ),
            false,
        ),
        Some(Fault::OversizeBody(size)) => {
            let filler = "A".repeat(size.saturating_sub(20));
            let mut body = format!("{{\"access_token\":\"{filler}\"}}").into_bytes();
            body.resize(size, b' ');
            let mut r = Reply::json(200, &serde_json::Value::Null);
            r.body = body;
            (r, false)
        }
        Some(Fault::WrongContentType) => {
            let mut r = normal();
            set_header(&mut r, "Content-Type", "text/html; charset=utf-8");
            (r, false)
        }
    };
    log(shared, &req, reply.status);
    Ok(to_response(reply, truncate, kind))
}

fn status_reply(
    req: &Req,
    status: u16,
    retry_after: Option<String>,
    body: Option<String>,
) -> Reply {
    let mut reply = match body {
        Some(text) => {
            let mut r = Reply::text(status, text.clone());
            if serde_json::from_str::<serde_json::Value>(&text).is_ok() {
                set_header(&mut r, "Content-Type", "application/json; charset=utf-8");
            }
            r
        }
        None => {
            let error = if status == 429 || status >= 500 {
                AadError::new(
                    status,
                    "temporarily_unavailable",
                    50196,
                    "The server is temporarily unavailable (injected fault).",
                )
            } else {
                AadError::new(status, "invalid_request", 90000, "Injected fault.")
            };
            error.reply(req)
        }
    };
    if let Some(value) = retry_after {
        reply.headers.push(("Retry-After".into(), value));
    }
    reply
}

fn set_header(reply: &mut Reply, name: &str, value: &str) {
    reply.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    reply.headers.push((name.to_owned(), value.to_owned()));
}

fn log(shared: &Shared, req: &Req, status: u16) {
    shared.record(LoggedRequest {
        method: req.method.clone(),
        host: req.host.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
        form: req.form.clone(),
        headers: req.headers.clone(),
        status,
    });
}

fn to_response(reply: Reply, truncate: bool, kind: Listener) -> hyper::Response<ReplyBody> {
    let full_len = reply.body.len();
    let body = if truncate {
        let mut b = reply.body;
        b.truncate(full_len / 2);
        ReplyBody::Truncated(Some(Bytes::from(b)))
    } else {
        ReplyBody::Full(Some(Bytes::from(reply.body)))
    };
    let mut builder = hyper::Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if kind == Listener::Https {
        builder = builder.header("x-ms-request-id", uuid::Uuid::new_v4().to_string());
    }
    if truncate {
        // Promise the whole body, deliver half: the client sees a cut-off transfer.
        builder = builder.header("Content-Length", full_len.to_string());
    }
    builder
        .body(body)
        .unwrap_or_else(|_| hyper::Response::new(ReplyBody::Full(None)))
}

/// Response body: whole, or half of it followed by an error that makes hyper drop the
/// connection mid-transfer.
#[derive(Debug)]
pub(crate) enum ReplyBody {
    Full(Option<Bytes>),
    Truncated(Option<Bytes>),
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            ReplyBody::Full(chunk) => Poll::Ready(chunk.take().map(|b| Ok(Frame::data(b)))),
            ReplyBody::Truncated(chunk) => Poll::Ready(Some(match chunk.take() {
                Some(b) => Ok(Frame::data(b)),
                None => Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "body truncated by an emulator fault rule",
                )),
            })),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, ReplyBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ReplyBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            ReplyBody::Full(None) => SizeHint::with_exact(0),
            ReplyBody::Truncated(_) => SizeHint::default(),
        }
    }
}

fn decode_pairs(text: &str) -> Vec<(String, String)> {
    decode_pairs_bytes(text.as_bytes())
}

fn decode_pairs_bytes(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Header names as the client spelled them, read from the raw bytes of the connection (hyper
/// lower-cases names, and the fixtures record their original case). Consumes this request's
/// bytes from the capture buffer.
fn original_headers(
    captured: &Mutex<Vec<u8>>,
    method: &str,
    body_len: usize,
    chunked: bool,
) -> Option<Vec<(String, String)>> {
    let mut buf = lock(captured);
    let start = find(&buf, format!("{method} ").as_bytes())?;
    let head_end = start + find(&buf[start..], b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[start..head_end]).into_owned();
    let consumed = head_end + 4 + if chunked { 0 } else { body_len };
    if chunked || consumed > buf.len() {
        buf.clear();
    } else {
        buf.drain(..consumed);
    }
    let headers = head
        .split("\r\n")
        .skip(1)
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect();
    Some(headers)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Passes bytes through while keeping a copy of what was read, for [`original_headers`].
struct TeeIo<S> {
    inner: S,
    captured: Arc<Mutex<Vec<u8>>>,
}

impl<S: AsyncRead + Unpin> AsyncRead for TeeIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            let mut captured = lock(&this.captured);
            // A client streaming a huge body must not grow the copy without bound.
            if captured.len() < 4 * MAX_REQUEST_BODY {
                captured.extend_from_slice(&buf.filled()[before..]);
            }
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TeeIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
