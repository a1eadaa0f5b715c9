//! Builder behaviour: configuration errors, what clones and `default()` share, and pinning
//! through a caller's own reqwest client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use msal_core::http::{HttpClient, PinnedServerCertificate, TransportErrorKind};
use msal_http_reqwest::{ReqwestClient, reqwest};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

#[test]
fn malformed_pem_is_a_crypto_error() {
    let result =
        ReqwestClient::builder().add_root_certificate_pem(b"-----BEGIN CERTIFICATE-----\n!!!");
    assert!(matches!(result, Err(msal_core::Error::Crypto(_))));
    let empty = ReqwestClient::builder().add_root_certificate_pem(b"no pem here");
    assert!(matches!(empty, Err(msal_core::Error::Crypto(_))));
}

#[test]
fn no_roots_at_all_is_a_configuration_error() {
    let result = ReqwestClient::builder()
        .tls_built_in_root_certs(false)
        .build();
    assert!(matches!(result, Err(msal_core::Error::Configuration(_))));
}

#[test]
fn debug_hides_proxy_urls() {
    let proxy = reqwest::Proxy::all("http://user:hunter2@proxy.example:8080").unwrap();
    let client = ReqwestClient::builder().proxy(proxy).build().unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("1 explicit"), "{debug}");
}

/// A keep-alive HTTP/1.1 server on loopback that answers every request `ok` and counts the
/// connections it accepts.
async fn counting_server() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                loop {
                    let n = match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    buf.extend_from_slice(&chunk[..n]);
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        buf.drain(..end + 4);
                        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if socket.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (addr, accepted)
}

async fn get_ok(client: &ReqwestClient, addr: SocketAddr) {
    let request = http::Request::get(format!("http://{addr}/x"))
        .body(Vec::new())
        .unwrap();
    let response = client.send(request).await.expect("the request succeeds");
    assert_eq!(response.body(), b"ok");
}

#[tokio::test]
async fn clones_are_cheap_and_default_is_new() {
    let (addr, accepted) = counting_server().await;
    let client = ReqwestClient::default();
    get_ok(&client, addr).await;
    // A clone is the same client: its request reuses the pooled connection.
    let clone = client.clone();
    get_ok(&clone, addr).await;
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "a clone opened its own connection"
    );
    // `default()` is a new client with its own pool, not a process-wide one.
    get_ok(&ReqwestClient::default(), addr).await;
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        2,
        "default() reused another client's pool"
    );
}

#[tokio::test]
async fn caller_client_still_honours_pins() {
    // A caller's client keeps its own verifier, so a pinned request goes through a separate,
    // pinned client; with nobody listening it must fail to connect rather than be refused.
    let client = ReqwestClient::from_client(
        ReqwestClient::preconfigured_reqwest_builder()
            .unwrap()
            .build()
            .unwrap(),
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut request = http::Request::get(format!("https://127.0.0.1:{port}/"))
        .body(Vec::new())
        .unwrap();
    request
        .extensions_mut()
        .insert(PinnedServerCertificate { sha1: [7; 20] });
    let error = client.send(request).await.unwrap_err();
    assert_eq!(error.kind(), TransportErrorKind::Connect, "{error}");
}
