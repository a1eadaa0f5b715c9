//! A tiny HTTP/1.1 test client (raw tokio-rustls, `Connection: close`) so the emulator's
//! tests depend on no msal crate and see exactly what goes over the wire.
// Test-only helpers: failing loudly is the point, and not every test binary uses every helper.
#![allow(dead_code, unreachable_pub, missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io;
use std::sync::Arc;

use base64::Engine as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use msal_emulator::{Emulator, EmulatorConfig, ids};

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request to send.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: &'static str,
    pub target: String,
    pub host: Option<String>,
    pub headers: Vec<(String, String)>,
    pub form: Option<Vec<(String, String)>>,
}

impl Request {
    pub fn get(target: impl Into<String>) -> Self {
        Self {
            method: "GET",
            target: target.into(),
            host: None,
            headers: Vec::new(),
            form: None,
        }
    }

    pub fn post_form(target: impl Into<String>, form: &[(&str, &str)]) -> Self {
        Self {
            method: "POST",
            target: target.into(),
            host: None,
            headers: Vec::new(),
            form: Some(
                form.iter()
                    .map(|(k, v)| ((*k).into(), (*v).into()))
                    .collect(),
            ),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn host(mut self, host: &str) -> Self {
        self.host = Some(host.into());
        self
    }
}

fn encode(req: &Request, default_host: &str) -> Vec<u8> {
    let body = req.form.as_ref().map(|f| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(f)
            .finish()
    });
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        req.method,
        req.target,
        req.host.as_deref().unwrap_or(default_host)
    );
    for (k, v) in &req.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = &body {
        head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        head.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    if let Some(b) = body {
        bytes.extend_from_slice(b.as_bytes());
    }
    bytes
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    bytes: &[u8],
) -> io::Result<Resp> {
    stream.write_all(bytes).await?;
    stream.flush().await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse(&raw)
}

fn parse(raw: &[u8]) -> io::Result<Resp> {
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_owned());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no header end"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let body = raw[split + 4..].to_vec();
    let declared = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    if let Some(len) = declared
        && body.len() < len
    {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "body shorter than Content-Length",
        ));
    }
    Ok(Resp {
        status,
        headers,
        body,
    })
}

fn tls_config(roots: rustls::RootCertStore) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// Sends over https to the emulator, trusting only its CA. `server_name` is the SNI and
/// certificate name to check (default `127.0.0.1`).
pub async fn https(emu: &Emulator, req: Request) -> io::Result<Resp> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(emu.ca_pem().as_bytes()).unwrap())
        .unwrap();
    let connector = TlsConnector::from(tls_config(roots));
    let name = req
        .host
        .as_deref()
        .map(|h| h.split(':').next().unwrap_or(h).to_owned())
        .unwrap_or_else(|| "127.0.0.1".into());
    let server_name = ServerName::try_from(name).unwrap();
    let tcp = TcpStream::connect(emu.addr()).await?;
    let tls = connector.connect(server_name, tcp).await?;
    exchange(tls, &encode(&req, &emu.addr().to_string())).await
}

/// Sends to the plain-http listener.
pub async fn http(emu: &Emulator, req: Request) -> io::Result<Resp> {
    let url = url::Url::parse(&emu.http_base_url()).unwrap();
    let authority = format!("127.0.0.1:{}", url.port().unwrap());
    let tcp = TcpStream::connect(&authority).await?;
    exchange(tcp, &encode(&req, &authority)).await
}

/// Sends to the Service Fabric listener, pinning its certificate by thumbprint.
pub async fn service_fabric(emu: &Emulator, req: Request, thumbprint: &str) -> io::Result<Resp> {
    // The same pinning MSAL's backends use for Service Fabric: only that leaf is trusted.
    let pin = msal_core::http::PinnedServerCertificate::from_hex(thumbprint)
        .expect("a SHA-1 thumbprint in hex");
    let config = msal_http_rustls::pinned_client_config(pin).unwrap();
    let url = url::Url::parse(&emu.service_fabric_url()).unwrap();
    let authority = format!("127.0.0.1:{}", url.port().unwrap());
    let tcp = TcpStream::connect(&authority).await?;
    let tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await?;
    exchange(tls, &encode(&req, &authority)).await
}

/// Base64url without padding.
pub fn b64url(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes a JWT payload without checking it.
pub fn jwt_payload(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// Query parameters of a URL.
pub fn query_of(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub fn tid() -> &'static str {
    ids::TENANT_ID
}

pub async fn start() -> Emulator {
    Emulator::start(EmulatorConfig::default()).await.unwrap()
}

pub fn token_path() -> String {
    format!("/{}/oauth2/v2.0/token", tid())
}

pub async fn post_token(emu: &Emulator, form: &[(&str, &str)]) -> Resp {
    https(emu, Request::post_form(token_path(), form))
        .await
        .unwrap()
}
