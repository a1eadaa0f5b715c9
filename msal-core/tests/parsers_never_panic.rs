//! Property tests: every parser of outside input in msal-core answers arbitrary bytes and
//! structured-but-wrong JSON with a value or a typed error, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use msal_core::{
    ServiceError, TokenResponse,
    id_token::{ClientInfo, decode_jwt_payload, decode_unverified},
    token_endpoint::{response::interpret, throttle::parse_retry_after},
};
use msal_test_support::http_answer;
use proptest::prelude::*;
use serde_json::Value;

/// JSON values up to a small depth, with the field names our parsers look for.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        ".{0,40}".prop_map(Value::String),
    ];
    msal_test_support::json_tree(leaf.boxed(), field_name().boxed())
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("access_token".to_owned()),
        Just("expires_in".to_owned()),
        Just("ext_expires_in".to_owned()),
        Just("refresh_in".to_owned()),
        Just("expires_on".to_owned()),
        Just("token_type".to_owned()),
        Just("refresh_token".to_owned()),
        Just("id_token".to_owned()),
        Just("client_info".to_owned()),
        Just("scope".to_owned()),
        Just("foci".to_owned()),
        Just("error".to_owned()),
        Just("error_codes".to_owned()),
        Just("error_description".to_owned()),
        Just("claims".to_owned()),
        "[a-z_]{1,12}",
    ]
}

proptest! {
    #![proptest_config(msal_test_support::proptest_config(512))]

    #[test]
    fn token_responses_from_arbitrary_json(v in json_value()) {
        if let Value::Object(map) = v.clone() {
            let _ = TokenResponse::from_json(http::StatusCode::OK, map);
        }
        let _ = ServiceError::from_json(Some(http::StatusCode::BAD_REQUEST), &v);
    }

    #[test]
    fn http_answers_from_arbitrary_bytes(
        status in 100u16..600,
        ct in proptest::option::of(".{0,30}"),
        body in proptest::collection::vec(any::<u8>(), 0..512),
        retry_after in proptest::option::of(".{0,30}"),
    ) {
        let resp = http_answer(status, ct.as_deref(), retry_after.as_deref(), body);
        let _ = interpret(&resp, std::time::SystemTime::UNIX_EPOCH);
    }

    #[test]
    fn http_answers_from_structured_json(status in 100u16..600, v in json_value()) {
        let resp = http_answer(status, Some("application/json"), None, serde_json::to_vec(&v).unwrap());
        let _ = interpret(&resp, std::time::SystemTime::UNIX_EPOCH);
    }

    #[test]
    fn jwts_and_client_info_from_arbitrary_strings(s in ".{0,300}", parts in proptest::collection::vec("[A-Za-z0-9_=+/-]{0,80}", 0..5)) {
        let _ = decode_unverified(&s);
        let _ = decode_jwt_payload(&parts.join("."));
        let _ = ClientInfo::decode(&s);
        let _ = parse_retry_after(&s, std::time::SystemTime::UNIX_EPOCH);
    }

    #[test]
    fn id_tokens_with_wrongly_typed_claims(v in json_value()) {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap());
        let _ = decode_unverified(&format!("e30.{payload}.sig"));
    }
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A well-formed ID token whose payload carries `pad_len` bytes of padding claim: valid in every
/// way except, when large, its size.
fn padded_token(pad_len: usize) -> String {
    let payload = format!(r#"{{"oid":"o","pad":"{}"}}"#, "x".repeat(pad_len));
    format!("{}.{}.sig", b64url(b"{}"), b64url(payload.as_bytes()))
}

/// `client_info` with real `uid`/`utid` and `pad_len` bytes of padding.
fn padded_client_info(pad_len: usize) -> String {
    b64url(
        format!(
            r#"{{"uid":"u","utid":"t","pad":"{}"}}"#,
            "x".repeat(pad_len)
        )
        .as_bytes(),
    )
}

#[test]
fn oversize_tokens_are_refused_not_decoded() {
    // The same construction decodes when small, so a refusal of the large one is the size limit
    // at work and not some other flaw of the input.
    let small = padded_token(1024);
    assert_eq!(decode_unverified(&small).unwrap().oid.as_deref(), Some("o"));
    let huge = padded_token(1024 * 1024);
    // Matched rather than unwrapped: a decoded 1 MiB claim set would flood the failure message.
    assert!(
        matches!(decode_unverified(&huge), Err(e) if e.to_string().contains("too long")),
        "a 1 MiB ID token was not refused for its size"
    );
    assert!(
        decode_jwt_payload(&huge).is_err(),
        "a 1 MiB JWT payload was decoded"
    );

    assert!(ClientInfo::decode(&padded_client_info(1024)).is_some());
    assert!(
        ClientInfo::decode(&padded_client_info(1024 * 1024)).is_none(),
        "a 1 MiB client_info was decoded"
    );
}
