//! What an app is given to talk to the emulator: the HTTP clients trust this emulator's CA and
//! no other, and the known authority is the authority's host.
// A failed setup should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::start;
#[cfg(any(feature = "reqwest", feature = "hyper-client"))]
use msal_core::http::{HttpClient, TransportErrorKind};
#[cfg(any(feature = "reqwest", feature = "hyper-client"))]
use msal_emulator::Emulator;

#[cfg(any(feature = "reqwest", feature = "hyper-client"))]
fn openid_configuration(emu: &Emulator) -> http::Request<Vec<u8>> {
    let url = format!("{}/v2.0/.well-known/openid-configuration", emu.authority());
    http::Request::get(url).body(Vec::new()).unwrap()
}

/// The client reaches its own emulator, and fails TLS against another one: each emulator has
/// its own CA, and the built-in roots are off.
#[cfg(any(feature = "reqwest", feature = "hyper-client"))]
async fn trusts_only_its_emulator(client: impl HttpClient, own: &Emulator, other: &Emulator) {
    let response = client.send(openid_configuration(own)).await.unwrap();
    assert_eq!(response.status(), 200);
    let error = client
        .send(openid_configuration(other))
        .await
        .expect_err("another emulator's certificate is not trusted");
    assert_eq!(error.kind(), TransportErrorKind::Tls, "{error}");
}

#[cfg(feature = "reqwest")]
#[tokio::test]
async fn reqwest_client_trusts_only_its_emulator() {
    let (own, other) = (start().await, start().await);
    trusts_only_its_emulator(own.http_client().unwrap(), &own, &other).await;
}

#[cfg(feature = "hyper-client")]
#[tokio::test]
async fn hyper_client_trusts_only_its_emulator() {
    let (own, other) = (start().await, start().await);
    trusts_only_its_emulator(own.hyper_client().unwrap(), &own, &other).await;
}

#[tokio::test]
async fn known_authorities_name_the_authority_host() {
    let emu = start().await;
    let authority = url::Url::parse(&emu.authority()).unwrap();
    assert_eq!(
        emu.known_authorities(),
        vec![authority.host_str().unwrap().to_owned()]
    );
}
