//! `deserialize` never panics, and a failure keeps the old state.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use msal_cache::{CredentialType, TokenCache};
use proptest::prelude::*;
use serde_json::{Map, Value};

use msal_test_support::fixtures::PYTHON_CACHE as PYTHON;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        // Values that look like the real thing, to get past the first checks.
        prop_oneof![
            Just("1795673093"),
            Just(""),
            Just("AccessToken"),
            Just("a b c"),
            Just("-1")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        let key = prop_oneof![
            ".{0,8}",
            prop_oneof![
                Just("AccessToken"),
                Just("RefreshToken"),
                Just("IdToken"),
                Just("Account"),
                Just("AppMetadata"),
                Just("home_account_id"),
                Just("environment"),
                Just("client_id"),
                Just("realm"),
                Just("target"),
                Just("expires_on"),
                Just("secret"),
                Just("family_id"),
                Just("authority_type"),
                Just("ext_cache_key"),
                Just("key_id"),
            ]
            .prop_map(str::to_owned),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn loaded() -> TokenCache {
    let cache = TokenCache::new();
    cache.deserialize(PYTHON).unwrap();
    cache
}

proptest! {
    #![proptest_config(msal_test_support::proptest_config(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let cache = loaded();
        let text = String::from_utf8_lossy(&bytes);
        if cache.deserialize(&text).is_err() {
            prop_assert_eq!(cache.count(CredentialType::AccessToken), 9);
        }
        let _ = cache.serialize();
    }

    #[test]
    fn arbitrary_json_never_panics_and_round_trips(value in arb_json()) {
        let cache = loaded();
        let text = value.to_string();
        match cache.deserialize(&text) {
            Ok(()) => {
                // Whatever was accepted comes back out as the same JSON value.
                let out: Value = serde_json::from_str(&cache.serialize()).unwrap();
                prop_assert_eq!(out, value);
                // Lookups over odd entries do not panic either.
                let rt = futures_block_on(cache.get_accounts(["x"], Some("y"), true));
                prop_assert!(rt.is_ok());
            }
            Err(_) => prop_assert_eq!(cache.count(CredentialType::AccessToken), 9),
        }
    }

    #[test]
    fn truncated_fixture_keeps_old_state(cut in 1usize..24_000) {
        let cache = loaded();
        let cut = cut.min(PYTHON.len() - 1);
        if let Some(prefix) = PYTHON.get(..cut) {
            prop_assert!(cache.deserialize(prefix).is_err() || prefix.trim().is_empty());
            prop_assert_eq!(cache.count(CredentialType::AccessToken), 9);
        }
    }
}

fn futures_block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}
