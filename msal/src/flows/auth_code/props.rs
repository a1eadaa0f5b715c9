//! Property tests: a redirect's query, form body or URL is whatever the browser (or anyone who
//! can reach the redirect URI) sends, so every input parses to fields or a typed error.

use super::*;
use proptest::prelude::*;

const CODE: &str = "CODE-CANARY-91be";

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "code",
            "state",
            "error",
            "error_description",
            "error_uri",
            "client_info",
            "session_state",
            "",
        ])
        .prop_map(str::to_owned),
        ".{1,12}",
    ]
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((key(), ".{0,30}"), 0..8)
}

/// Parameters with distinct names (a repeated name is refused; see the round-trip property).
fn distinct_params() -> impl Strategy<Value = Vec<(String, String)>> {
    params().prop_map(|params| {
        let mut seen = std::collections::BTreeSet::new();
        params
            .into_iter()
            .filter(|(k, _)| seen.insert(k.clone()))
            .collect()
    })
}

fn encode(params: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Percent signs that do and don't start a valid escape, and escapes of invalid UTF-8.
fn messy_value() -> impl Strategy<Value = (String, bool)> {
    proptest::collection::vec(
        prop::sample::select(vec![
            "%", "%z", "%zz", "%2", "%41", "%ff", "%C3", "+", "x", "%%",
        ]),
        0..12,
    )
    .prop_map(|tokens| {
        let invalid_utf8 = tokens.iter().any(|t| *t == "%ff" || *t == "%C3");
        (tokens.concat(), invalid_utf8)
    })
}

proptest! {
    #![proptest_config(msal_test_support::proptest_config(256))]

    #[test]
    fn any_form_body_within_the_cap_parses_or_is_refused_for_a_repeat(
        body in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let names: Vec<String> = form_urlencoded::parse(&body).map(|(k, _)| k.into_owned()).collect();
        let distinct = names.iter().collect::<std::collections::BTreeSet<_>>().len();
        match AuthResponse::from_form(&body) {
            Ok(r) => {
                prop_assert_eq!(distinct, names.len());
                prop_assert_eq!(r.params.len(), names.len());
            }
            Err(e) => {
                prop_assert!(distinct < names.len(), "refused without a repeat: {e}");
                prop_assert!(matches!(e, Error::InvalidArgument(_)));
            }
        }
        // A leading `?` is not part of the query.
        let text = String::from_utf8_lossy(&body);
        prop_assert_eq!(
            AuthResponse::from_query(&format!("?{text}")).ok(),
            AuthResponse::from_query(&text).ok()
        );
    }

    #[test]
    fn oversize_answers_are_refused_without_quoting_them(
        extra in 1usize..4096,
        filler in prop::sample::select(vec![b'a', b'&', b'=', b'%', 0xff]),
    ) {
        let mut body = format!("code={CODE}&").into_bytes();
        body.resize(MAX_RESPONSE_LEN + extra, filler);
        let e = AuthResponse::from_form(&body).unwrap_err();
        prop_assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
        prop_assert!(!e.to_string().contains(CODE));
        let text = String::from_utf8_lossy(&body).into_owned();
        let e = AuthResponse::from_query(&text).unwrap_err();
        prop_assert!(matches!(e, Error::InvalidArgument(_)));
        if filler.is_ascii() {
            let url = format!("http://localhost:1/?{text}");
            let e = AuthResponse::from_redirect_url(&url).unwrap_err();
            prop_assert!(matches!(e, Error::InvalidArgument(_)));
            prop_assert!(!e.to_string().contains(CODE));
        }
        // At the cap exactly, it is parsed.
        body.truncate(MAX_RESPONSE_LEN);
        prop_assert!(AuthResponse::from_form(&body).is_ok());
    }

    #[test]
    fn encoded_params_round_trip_and_a_repeated_one_is_refused(params in params()) {
        let fields = params.iter().map(|(k, _)| k).collect::<std::collections::BTreeSet<_>>();
        match AuthResponse::from_query(&encode(&params)) {
            Ok(r) => {
                prop_assert_eq!(fields.len(), params.len(), "a repeated parameter was accepted");
                for (k, v) in &params {
                    prop_assert_eq!(r.get(k), Some(v.as_str()));
                }
                prop_assert_eq!(r.params.len(), fields.len());
            }
            Err(e) => {
                prop_assert!(fields.len() < params.len(), "refused without a repeat: {e}");
                prop_assert!(matches!(e, Error::InvalidArgument(_)));
            }
        }
    }

    #[test]
    fn debug_never_shows_the_code(params in params(), suffix in "[A-Za-z0-9]{0,8}") {
        // One `code`, and no repeated name (a repeat is refused before Debug matters).
        let mut seen = std::collections::BTreeSet::new();
        let mut params: Vec<_> = params
            .into_iter()
            .filter(|(k, _)| k != "code" && seen.insert(k.clone()))
            .collect();
        params.push(("code".into(), format!("{CODE}{suffix}")));
        let r = AuthResponse::from_query(&encode(&params)).unwrap();
        let shown = format!("{r:?}");
        prop_assert!(!shown.contains(CODE), "{shown}");
    }

    #[test]
    fn bad_percent_encoding_is_kept_or_replaced_never_an_error(
        (value, invalid_utf8) in messy_value(),
        key_first in any::<bool>(),
    ) {
        let query = if key_first {
            format!("code=c&state={value}")
        } else {
            format!("state={value}&code=c")
        };
        let r = AuthResponse::from_query(&query).unwrap();
        let state = r.get("state").unwrap();
        prop_assert_eq!(state.contains('\u{fffd}'), invalid_utf8, "{:?} -> {:?}", value, state);
        prop_assert!(!state.contains('&'));
        prop_assert_eq!(r.get("code"), Some("c"));
    }

    #[test]
    fn redirect_urls_use_the_query_else_the_fragment(
        path in "(/[a-z]{0,8}){0,3}",
        query in proptest::option::of(distinct_params()),
        fragment in proptest::option::of(distinct_params()),
    ) {
        let mut url = format!("http://localhost:8400{path}");
        if let Some(q) = &query {
            url.push('?');
            url.push_str(&encode(q));
        }
        if let Some(f) = &fragment {
            url.push('#');
            url.push_str(&encode(f));
        }
        let r = AuthResponse::from_redirect_url(&url).unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        let expected = match parsed.query().filter(|q| !q.is_empty()) {
            Some(q) => AuthResponse::from_query(q).unwrap(),
            None => AuthResponse::from_query(parsed.fragment().unwrap_or_default()).unwrap(),
        };
        prop_assert_eq!(r, expected);
    }

    #[test]
    fn arbitrary_redirect_urls_give_fields_or_invalid_argument(
        url in prop_oneof![
            ".{0,200}",
            "[a-z]{1,8}://[^/?#]{0,20}[/?#].{0,100}",
            proptest::collection::vec(any::<u8>(), 0..200)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ],
    ) {
        match AuthResponse::from_redirect_url(&url) {
            Ok(r) => prop_assert!(r.params.keys().map(String::len).sum::<usize>() <= url.len() * 3),
            Err(e) => prop_assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}"),
        }
    }
}
