//! Builder behaviour that needs no server.

use msal_http_hyper::HyperClient;

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

#[test]
fn builds_outside_a_runtime_and_clones_share_state() {
    let client = HyperClient::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let clone = client.clone();
    assert_eq!(format!("{client:?}"), format!("{clone:?}"));
    assert!(format!("{:?}", HyperClient::default()).contains("usable: true"));
}
