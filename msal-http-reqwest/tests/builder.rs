//! Builder behaviour: configuration errors, what clones and `default()` share, and pinning
//! through a caller's own reqwest client. Servers are loopback servers the tests start.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use msal_core::http::HttpClient;
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

/// Pinning needs rustls (without it a pinned request is `Unsupported`).
#[cfg(feature = "rustls")]
#[tokio::test]
async fn caller_client_still_honours_pins() {
    use msal_core::http::{PinnedServerCertificate, TransportErrorKind};
    use msal_http_conformance::{
        pki::self_signed_identity,
        server::{Reply, TestServer, Transport},
    };

    // A caller's client keeps its own verifier, which trusts no self-signed certificate; a
    // pinned request must go through a separate client that trusts exactly the pinned leaf.
    let client = ReqwestClient::from_client(
        ReqwestClient::preconfigured_reqwest_builder()
            .unwrap()
            .build()
            .unwrap(),
    );
    let identity = self_signed_identity();
    let right = PinnedServerCertificate {
        sha1: identity.leaf_sha1(),
    };
    let server = TestServer::start(Transport::Tls(identity), Reply::json(r#"{"ok":true}"#)).await;
    let url = format!("https://localhost:{}/token", server.port());
    let pinned = |pin: PinnedServerCertificate| {
        let mut request = http::Request::get(&url).body(Vec::new()).unwrap();
        request.extensions_mut().insert(pin);
        request
    };

    let wrong = PinnedServerCertificate {
        sha1: self_signed_identity().leaf_sha1(),
    };
    let error = client.send(pinned(wrong)).await.unwrap_err();
    assert_eq!(error.kind(), TransportErrorKind::Tls, "{error}");
    assert!(
        server.requests().is_empty(),
        "no request may cross a refused pin"
    );

    let response = client
        .send(pinned(right))
        .await
        .expect("the pinned certificate is trusted");
    assert_eq!(response.body(), br#"{"ok":true}"#);
    assert_eq!(server.requests().len(), 1);
}
