//! Builder behaviour that needs no server.

use msal_core::http::{HttpClient, PinnedServerCertificate, TransportErrorKind};
use msal_http_reqwest::{ReqwestClient, reqwest};

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

#[test]
fn clones_are_cheap_and_default_is_new() {
    let client = ReqwestClient::default();
    let clone = client.clone();
    assert_eq!(format!("{client:?}"), format!("{clone:?}"));
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
