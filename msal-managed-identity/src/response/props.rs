//! Property tests: every source's answer, whatever its bytes, status and headers, parses to a
//! token or a typed error, never a panic, and never quotes the token.

use super::*;
use crate::UserAssignedManagedIdentity;
use ManagedIdentitySource as S;
use msal_test_support::http_answer;
use proptest::prelude::*;

const NOW: u64 = 1_795_670_000;
const CANARY: &str = "CANARY-ACCESS-TOKEN-7f3a";

fn source() -> impl Strategy<Value = S> {
    prop::sample::select(vec![
        S::ServiceFabric,
        S::AppService,
        S::MachineLearning,
        S::CloudShell,
        S::AzureArc,
        S::Imds,
    ])
}

fn identity() -> impl Strategy<Value = ManagedIdentity> {
    let id = "[A-Za-z0-9/_-]{0,24}";
    prop_oneof![
        Just(ManagedIdentity::SystemAssigned),
        id.prop_map(|v| UserAssignedManagedIdentity::client_id(v).into()),
        id.prop_map(|v| UserAssignedManagedIdentity::object_id(v).into()),
        id.prop_map(|v| UserAssignedManagedIdentity::resource_id(v).into()),
    ]
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "access_token",
            "expires_in",
            "expires_on",
            "ext_expires_in",
            "refresh_in",
            "token_type",
            "resource",
            "refresh_token",
            "id_token",
            "client_info",
            "scope",
            "client_id",
            "object_id",
            "msi_res_id",
            "mi_res_id",
            "error",
            "error_description",
            "error_codes",
            "code",
            "message",
            "statusCode",
            "correlationId",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z_]{1,12}",
    ]
}

/// Numbers and numeric strings at and past every limit a lifetime can hit.
fn lifetime() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(|n| Value::from(n.to_string())),
        (0u64..10_000_000).prop_map(|n| Value::from(NOW + n)),
        prop::sample::select(vec![
            "18446744073709551615",
            "18446744073709551616",
            "9223372036854775807",
            "-1",
            "1e300",
            " 3600 ",
            "",
            "09/14/2017 00:00:00 PM +00:00",
        ])
        .prop_map(Value::from),
        prop::sample::select(vec![1e300, -1.0, 0.5, 1.8e19, f64::MAX])
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
    ]
}

/// JSON values up to a small depth, with the field names the parser looks for.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        lifetime(),
        ".{0,40}".prop_map(Value::String),
    ];
    msal_test_support::json_tree(leaf.boxed(), field_name().boxed())
}

fn json_answer(status: u16, body: &Value) -> HttpResponse {
    http_answer(
        status,
        Some("application/json"),
        None,
        serde_json::to_vec(body).unwrap(),
    )
}

/// What holds for every outcome of `parse`: only two error variants; an HTTP error is always
/// a service error carrying its status; a success is a normalised app token.
fn check_outcome(
    resp: &HttpResponse,
    outcome: &Result<Parsed, Error>,
) -> Result<(), TestCaseError> {
    let status = resp.status();
    match outcome {
        Ok(p) => {
            prop_assert!(status.is_success());
            prop_assert!(!p.response.access_token.secret().is_empty());
            prop_assert!(p.response.expires_in.is_some());
            prop_assert!(p.response.refresh_token.is_none());
            prop_assert!(p.response.id_token.is_none());
            prop_assert!(p.response.client_info.is_none());
            prop_assert!(p.response.scope.is_none());
            prop_assert!(!p.resource.is_empty());
        }
        Err(Error::Service(se)) => prop_assert_eq!(se.status, Some(status)),
        Err(Error::InvalidResponse { status: s, .. }) => {
            prop_assert!(status.is_success());
            prop_assert_eq!(*s, status);
        }
        Err(e) => prop_assert!(false, "unexpected error variant: {e:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(msal_test_support::proptest_config(256))]

    #[test]
    fn parse_answers_arbitrary_bytes_with_a_token_or_typed_error(
        source in source(),
        identity in identity(),
        status in 100u16..600,
        ct in proptest::option::of(prop_oneof![
            Just("application/json".to_owned()),
            Just("text/html".to_owned()),
            ".{0,30}",
        ]),
        retry_after in proptest::option::of(".{0,20}"),
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let resp = http_answer(status, ct.as_deref(), retry_after.as_deref(), body);
        let outcome = parse(source, &identity, "https://r/", &resp, from_unix_secs(NOW));
        check_outcome(&resp, &outcome)?;
    }

    #[test]
    fn parse_answers_wrongly_typed_json_with_a_token_or_typed_error(
        source in source(),
        identity in identity(),
        status in prop_oneof![Just(200u16), 100u16..600],
        body in json_value(),
    ) {
        let resp = json_answer(status, &body);
        let outcome = parse(source, &identity, "https://r/", &resp, from_unix_secs(NOW));
        check_outcome(&resp, &outcome)?;
    }

    #[test]
    fn any_lifetime_parses_without_overflow_and_is_normalised(
        source in source(),
        fields in proptest::collection::vec(
            (prop::sample::select(vec!["expires_in", "expires_on", "ext_expires_in", "refresh_in"]), lifetime()),
            0..5,
        ),
    ) {
        let mut body = Map::new();
        body.insert("access_token".into(), "at".into());
        body.insert("token_type".into(), "Bearer".into());
        for (k, v) in fields {
            body.insert(k.to_owned(), v);
        }
        let resp = json_answer(200, &Value::Object(body));
        let now = from_unix_secs(NOW);
        let outcome = parse(source, &ManagedIdentity::SystemAssigned, "https://r/", &resp, now);
        check_outcome(&resp, &outcome)?;
        if let Ok(p) = outcome {
            // The absolute expiry and the relative lifetime agree (an expiry in the past
            // is kept as sent, with a zero lifetime).
            let expires_in = p.response.expires_in.unwrap();
            match p.expires_on.duration_since(now) {
                Ok(d) => prop_assert_eq!(d.as_secs(), expires_in),
                Err(_) => prop_assert_eq!(expires_in, 0),
            }
            for secs in [Some(expires_in), p.response.ext_expires_in, p.response.refresh_in]
                .into_iter()
                .flatten()
            {
                prop_assert!(now.checked_add(Duration::from_secs(secs)).is_some());
            }
        }
    }

    #[test]
    fn errors_never_quote_the_access_token(
        source in source(),
        identity in identity(),
        status in prop_oneof![Just(200u16), 100u16..600],
        extra in proptest::collection::vec((field_name(), json_value()), 0..6),
        ct in prop::sample::select(vec!["application/json", "text/html", "text/plain"]),
    ) {
        let mut body: Map<String, Value> = extra.into_iter().collect();
        body.insert("access_token".into(), CANARY.into());
        body.insert("refresh_token".into(), CANARY.into());
        let resp = http_answer(status, Some(ct), None, serde_json::to_vec(&body).unwrap());
        if let Err(e) = parse(source, &identity, "https://r/", &resp, from_unix_secs(NOW)) {
            prop_assert!(!e.to_string().contains(CANARY), "{e}");
            prop_assert!(!format!("{e:?}").contains(CANARY), "{e:?}");
        }
    }

    #[test]
    fn error_answers_map_to_the_documented_service_error(
        source in source(),
        status in 400u16..600,
        body in prop_oneof![
            json_value(),
            // The three error shapes, with wrongly typed members.
            (json_value(), json_value(), json_value()).prop_map(|(code, message, id)| {
                serde_json::json!({"error": {"code": code, "message": message, "correlationId": id}})
            }),
            (json_value(), json_value()).prop_map(|(code, message)| {
                serde_json::json!({"statusCode": code, "message": message})
            }),
            (".{0,600}", ".{0,600}").prop_map(|(code, message)| {
                serde_json::json!({"error": {"code": code, "message": message}})
            }),
        ],
    ) {
        let resp = json_answer(status, &body);
        let e = service_error(source, &resp, from_unix_secs(NOW));
        let Error::Service(se) = &e else {
            return Err(TestCaseError::fail(format!("not a service error: {e:?}")));
        };
        prop_assert_eq!(se.status, Some(resp.status()));
        let obj = body.as_object();
        match obj.and_then(|o| o.get("error")) {
            Some(Value::String(code)) => prop_assert_eq!(&se.error, code),
            Some(Value::Object(inner)) => {
                prop_assert!(!se.error.is_empty());
                prop_assert!(se.error.chars().count() <= MAX_DESCRIPTION_CHARS);
                if source == S::ServiceFabric {
                    prop_assert!(["unauthorized_client", "invalid_client", "invalid_scope", "invalid_request"]
                        .contains(&se.error.as_str()));
                }
                let message = inner.get("message").and_then(Value::as_str);
                prop_assert_eq!(se.error_description.clone(), message.map(capped));
            }
            _ => {
                if let Some(message) = obj.and_then(|o| o.get("message")).and_then(Value::as_str) {
                    prop_assert_eq!(&se.error, "invalid_scope");
                    prop_assert_eq!(
                        se.error_description.clone(),
                        Some(format!("{status}, {}", capped(message)))
                    );
                } else {
                    let expected = if status >= 500 {
                        "service_not_available"
                    } else if status == 429 {
                        "too_many_requests"
                    } else {
                        "invalid_request"
                    };
                    prop_assert_eq!(se.error.as_str(), expected);
                }
            }
        }
    }
}
