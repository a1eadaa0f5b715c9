//! Property tests: untrusted input never panics and always yields `Ok` or a typed error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use http::HeaderValue;
use msal_core::Error;
use msal_pop::{HttpMethod, PopAuthScheme};
use proptest::prelude::*;

fn method() -> impl Strategy<Value = HttpMethod> {
    prop_oneof![
        Just(HttpMethod::Get),
        Just(HttpMethod::Post),
        Just(HttpMethod::Put),
        Just(HttpMethod::Delete),
        Just(HttpMethod::Patch),
    ]
}

/// Strings built from the characters the challenge grammar cares about, so the parser's
/// branches (quotes, escapes, commas, `=`, token68) are exercised far more than by random text.
fn challenge_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("PoP".to_owned()),
            Just("pop".to_owned()),
            Just("Bearer".to_owned()),
            Just("nonce".to_owned()),
            Just("realm".to_owned()),
            Just("=".to_owned()),
            Just("\"".to_owned()),
            Just("\\".to_owned()),
            Just(",".to_owned()),
            Just(" ".to_owned()),
            Just("\t".to_owned()),
            Just("/".to_owned()),
            "[a-zA-Z0-9+_.~-]{1,8}",
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

fn only_invalid_argument<T>(r: Result<T, Error>) -> Result<(), TestCaseError> {
    match r {
        Ok(_) | Err(Error::InvalidArgument(_)) => Ok(()),
        Err(e) => Err(TestCaseError::fail(format!("unexpected error kind: {e:?}"))),
    }
}

proptest! {
    #![proptest_config(msal_test_support::proptest_config(512))]

    #[test]
    fn from_www_authenticate_never_panics_on_bytes(
        m in method(),
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        if let Ok(h) = HeaderValue::from_bytes(&bytes) {
            only_invalid_argument(
                PopAuthScheme::from_www_authenticate(m, "https://r.example/", &h),
            )?;
        }
    }

    #[test]
    fn from_www_authenticate_never_panics_on_challenge_like_text(
        m in method(),
        text in challenge_like(),
    ) {
        if let Ok(h) = HeaderValue::from_str(&text) {
            let r = PopAuthScheme::from_www_authenticate(m, "https://r.example/", &h);
            if let Ok(s) = &r {
                prop_assert!(!s.nonce().is_empty());
            }
            only_invalid_argument(r)?;
        }
    }

    #[test]
    fn a_pop_nonce_survives_any_surrounding_challenges(
        nonce in "[ -~]{1,64}",
        prefix in prop_oneof![Just(""), Just("Bearer realm=\"\", "), Just("Negotiate abc==, ")],
    ) {
        let escaped = nonce.replace('\\', "\\\\").replace('"', "\\\"");
        let h = HeaderValue::from_str(&format!("{prefix}PoP realm=\"\", nonce=\"{escaped}\"")).unwrap();
        let s = PopAuthScheme::from_www_authenticate(HttpMethod::Get, "https://r.example/", &h).unwrap();
        prop_assert_eq!(s.nonce(), nonce.as_str());
    }

    #[test]
    fn new_never_panics(m in method(), url in any::<String>(), nonce in any::<String>()) {
        only_invalid_argument(PopAuthScheme::new(m, &url, nonce))?;
    }

    #[test]
    fn new_never_panics_on_url_like_text(
        m in method(),
        url in "(https?|ftp|)(://)?[a-zA-Z0-9.:@\\[\\]%/?#&=-]{0,40}",
    ) {
        if let Ok(s) = PopAuthScheme::new(m, &url, "n") {
            prop_assert!(!s.host().is_empty());
            prop_assert!(s.path().starts_with('/'));
        }
    }

    #[test]
    fn method_parsing_never_panics(s in any::<String>()) {
        only_invalid_argument(s.parse::<HttpMethod>())?;
    }
}
