//! Builder behaviour: configuration errors, and what clones and `default()` share (observed
//! through a loopback server the test starts).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use msal_core::http::HttpClient;
use msal_http_hyper::HyperClient;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

#[test]
fn malformed_pem_is_a_crypto_error() {
    let result =
        HyperClient::builder().add_root_certificate_pem(b"-----BEGIN CERTIFICATE-----\n!!!");
    assert!(matches!(result, Err(msal_core::Error::Crypto(_))));
    let empty = HyperClient::builder().add_root_certificate_pem(b"no pem here");
    assert!(matches!(empty, Err(msal_core::Error::Crypto(_))));
}

#[test]
fn no_roots_at_all_is_a_configuration_error() {
    let result = HyperClient::builder()
        .tls_built_in_root_certs(false)
        .build();
    assert!(matches!(result, Err(msal_core::Error::Configuration(_))));
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

async fn get_ok(client: &HyperClient, addr: SocketAddr) {
    let request = http::Request::get(format!("http://{addr}/x"))
        .body(Vec::new())
        .unwrap();
    let response = client.send(request).await.expect("the request succeeds");
    assert_eq!(response.body(), b"ok");
}

#[test]
fn builds_outside_a_runtime_and_clones_share_state() {
    // Built before any runtime exists, as an app's static setup might do.
    let client = HyperClient::default();
    let clone = client.clone();
    let other = HyperClient::default();
    let built = HyperClient::builder().build().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (addr, accepted) = counting_server().await;
        get_ok(&client, addr).await;
        // A clone is the same client: its request reuses the pooled connection.
        get_ok(&clone, addr).await;
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            1,
            "a clone opened its own connection"
        );
        // `default()` is a new client with its own pool, not a process-wide one.
        get_ok(&other, addr).await;
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            2,
            "default() reused another client's pool"
        );
        get_ok(&built, addr).await;
    });
}
