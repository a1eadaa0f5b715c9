//! Connection reuse: sequential requests share one connection, and a connection the server
//! closed is replaced without the caller seeing an error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use msal_core::http::HttpClient;
use msal_http_hyper::HyperClient;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

/// A keep-alive HTTP/1.1 server that counts connections and, when `close_after_each`, closes
/// each connection right after its first response (without saying so in a header, as a server
/// timing out an idle connection would).
async fn server(close_after_each: bool) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
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
                        if close_after_each {
                            let _ = socket.shutdown().await;
                            return;
                        }
                    }
                }
            });
        }
    });
    (addr, accepted)
}

async fn get(client: &HyperClient, addr: std::net::SocketAddr) -> Vec<u8> {
    let request = http::Request::get(format!("http://{addr}/x"))
        .body(Vec::new())
        .unwrap();
    let response = client.send(request).await.expect("the request succeeds");
    assert_eq!(response.status(), 200);
    response.into_body()
}

#[tokio::test]
async fn sequential_requests_reuse_one_connection() {
    let (addr, accepted) = server(false).await;
    let client = HyperClient::new();
    for _ in 0..5 {
        assert_eq!(get(&client, addr).await, b"ok");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_connection_closed_by_the_server_is_replaced() {
    let (addr, accepted) = server(true).await;
    let client = HyperClient::new();
    for _ in 0..3 {
        assert_eq!(get(&client, addr).await, b"ok");
        // Let the connection task see the close, as it would between real token requests.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn concurrent_requests_open_their_own_connections() {
    let (addr, accepted) = server(false).await;
    let client = HyperClient::new();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { get(&client, addr).await })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.await.unwrap(), b"ok");
    }
    let opened = accepted.load(Ordering::SeqCst);
    assert!((1..=4).contains(&opened), "{opened} connections");
    // Afterwards they are idle in the pool and the next request opens none.
    get(&client, addr).await;
    assert_eq!(accepted.load(Ordering::SeqCst), opened);
}
