//! Proof-of-Possession end to end: tokens bound to the app's key, a fresh SHR per call, and
//! bearer and PoP tokens for the same scopes kept apart in the cache.
#![cfg(all(feature = "pop", feature = "reqwest"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use msal::{
    TokenSource,
    pop::{HttpMethod, PopAuthScheme, PopKey},
};
use support::*;

fn claims(jwt: &str) -> serde_json::Map<String, serde_json::Value> {
    let claims = msal::id_token::decode_unverified(jwt).unwrap();
    serde_json::to_value(claims)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn client_credentials_pop_tokens_are_bound_signed_and_isolated() {
    let emu = emulator().await;
    let key = PopKey::generate_es256().unwrap();
    let app = confidential_app(
        &emu,
        msal::ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
    .pop_key(key.clone())
    .build()
    .unwrap();
    let scheme = PopAuthScheme::new(
        HttpMethod::Post,
        "https://api.fake-entra.invalid/items?x=1",
        "n1",
    )
    .unwrap();
    let first = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .auth_scheme(scheme.clone())
        .await
        .unwrap();
    assert_eq!(first.token_type(), "pop");
    assert_eq!(first.token_source(), TokenSource::IdentityProvider);
    assert!(
        first
            .authorization_header()
            .to_str()
            .unwrap()
            .starts_with("PoP ")
    );
    let request = sent(&emu, "POST", "/oauth2/v2.0/token").pop().unwrap();
    assert_eq!(request.form_param("token_type"), Some("pop"));
    assert_eq!(request.form_param("req_cnf"), Some(key.req_cnf().as_str()));

    let shr = claims(first.access_token().secret());
    assert_eq!(shr["m"], "POST");
    assert_eq!(shr["u"], "api.fake-entra.invalid");
    assert_eq!(shr["p"], "/items");
    assert_eq!(shr["nonce"], "n1");
    let inner = claims(shr["at"].as_str().unwrap());
    assert_eq!(inner["cnf"]["kid"], key.kid());

    // Served from the cache, signed afresh for another request.
    let other = PopAuthScheme::new(
        HttpMethod::Get,
        "https://api.fake-entra.invalid/other",
        "n2",
    )
    .unwrap();
    let second = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .auth_scheme(other)
        .await
        .unwrap();
    assert_eq!(second.token_source(), TokenSource::Cache);
    let shr2 = claims(second.access_token().secret());
    assert_eq!(
        (shr2["m"].as_str(), shr2["nonce"].as_str()),
        (Some("GET"), Some("n2"))
    );
    assert_eq!(shr2["at"], shr["at"]);

    // A bearer request for the same scopes never gets the PoP-bound token.
    let bearer = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(bearer.token_type(), "Bearer");
    assert_eq!(bearer.token_source(), TokenSource::IdentityProvider);
    assert_ne!(bearer.access_token().secret(), shr["at"].as_str().unwrap());
    assert!(msal::prelude::ClientApplication::is_pop_supported(&app));
}
