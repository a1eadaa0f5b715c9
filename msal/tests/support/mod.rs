//! Shared end-to-end test setup: an emulator per test and apps pointed at it.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeSet;

use msal::{
    ClientCredential, ConfidentialClientApplication, ConfidentialClientApplicationBuilder,
    PublicClientApplication, PublicClientApplicationBuilder, authority::DiscoveryCache,
    http::ReqwestClient,
};
#[allow(unused_imports)]
pub use msal_emulator::{Emulator, EmulatorConfig, Endpoint, Fault, FaultRule, LoggedRequest, ids};

pub async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

pub fn http(emu: &Emulator) -> ReqwestClient {
    ReqwestClient::builder()
        .add_root_certificate_pem(emu.ca_pem().as_bytes())
        .unwrap()
        .no_proxy()
        .build()
        .unwrap()
}

/// A public client (a1) at the emulator, with its own discovery cache so request counts are exact.
pub fn public_app(emu: &Emulator) -> PublicClientApplicationBuilder {
    PublicClientApplication::builder(ids::PUBLIC_CLIENT_ID)
        .authority(emu.authority())
        .unwrap()
        .known_authorities(["127.0.0.1"])
        .http_client(http(emu))
        .discovery_cache(DiscoveryCache::new())
}

pub fn confidential_app(
    emu: &Emulator,
    credential: ClientCredential,
) -> ConfidentialClientApplicationBuilder {
    ConfidentialClientApplication::builder(ids::CONFIDENTIAL_CLIENT_ID, credential)
        .authority(emu.authority())
        .unwrap()
        .known_authorities(["127.0.0.1"])
        .http_client(http(emu))
        .discovery_cache(DiscoveryCache::new())
}

pub fn secret_app(emu: &Emulator) -> ConfidentialClientApplication {
    confidential_app(
        emu,
        ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
    .build()
    .unwrap()
}

/// The OBO middle-tier API (a3) at the emulator.
pub fn obo_api(emu: &Emulator) -> ConfidentialClientApplication {
    ConfidentialClientApplication::builder(
        ids::OBO_CLIENT_ID,
        ClientCredential::secret(ids::OBO_CLIENT_SECRET),
    )
    .authority(emu.authority())
    .unwrap()
    .known_authorities(["127.0.0.1"])
    .http_client(http(emu))
    .build()
    .unwrap()
}

/// The requests MSAL Python sent for `flow`, from the interop fixture.
pub fn python_requests(flow: &str) -> Vec<serde_json::Value> {
    msal_test_support::fixtures::python_requests()[flow]
        .as_array()
        .unwrap()
        .clone()
}

fn names(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_ascii_lowercase())
        .collect()
}

/// Asserts that our request has exactly the form keys, query keys and header names MSAL Python
/// sent for the same step (header names compared case-insensitively; the HTTP library's own
/// headers are left out of the fixture, and so of the comparison).
pub fn assert_wire_parity(ours: &LoggedRequest, python: &serde_json::Value) {
    let form: BTreeSet<String> = ours.form_keys().into_iter().collect();
    assert_eq!(
        form,
        names(&python["form_keys"]).into_iter().collect(),
        "form keys of {}",
        ours.path
    );
    let query: BTreeSet<String> = ours
        .query_keys()
        .into_iter()
        .map(|k| k.to_ascii_lowercase())
        .collect();
    assert_eq!(
        query,
        names(&python["query_keys"]),
        "query keys of {}",
        ours.path
    );
    let ignored = [
        "host",
        "content-length",
        "connection",
        "accept-encoding",
        "user-agent",
    ];
    let headers: BTreeSet<String> = ours
        .headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .filter(|k| !ignored.contains(&k.as_str()))
        .collect();
    assert_eq!(
        headers,
        names(&python["headers"]),
        "header names of {}",
        ours.path
    );
    for (k, v) in python["values"].as_object().unwrap() {
        let ours_value = ours
            .form_param(k)
            .or_else(|| ours.query_param(k))
            .or_else(|| ours.header(k));
        let want = match (k.to_ascii_lowercase().as_str(), v.as_str().unwrap()) {
            ("x-client-sku", _) => msal::SKU.to_owned(),
            ("x-client-ver", _) => msal::VERSION.to_owned(),
            (_, v) => v.to_owned(),
        };
        assert_eq!(
            ours_value,
            Some(want.as_str()),
            "value of {k} in {}",
            ours.path
        );
    }
}

/// The requests of the emulator's log to `path_suffix`.
pub fn sent(emu: &Emulator, method: &str, path_suffix: &str) -> Vec<LoggedRequest> {
    emu.requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.ends_with(path_suffix))
        .collect()
}

/// Asserts that `cache` holds no account and no token of any kind (the sections MSAL Python's
/// serialization has are all empty or absent).
pub fn assert_cache_empty(cache: &msal::TokenCache) {
    let json: serde_json::Value = serde_json::from_str(&cache.serialize()).unwrap();
    for section in ["Account", "AccessToken", "RefreshToken", "IdToken"] {
        let entries = json
            .get(section)
            .and_then(serde_json::Value::as_object)
            .map_or(0, serde_json::Map::len);
        assert_eq!(entries, 0, "the cache has {section} entries");
    }
}

/// `auth_uri` with its `nonce` parameter replaced: the identity provider then puts another
/// nonce in the ID token, as a replayed or injected answer would.
pub fn with_forged_nonce(auth_uri: &str) -> String {
    let mut url = url::Url::parse(auth_uri).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "nonce" {
                "forged-nonce".into()
            } else {
                v
            };
            (k.into_owned(), v.into_owned())
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}
