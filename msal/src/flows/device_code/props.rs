//! Property tests: whatever the device-code endpoint and the polled token endpoint answer, both
//! legs end in a flow, a token or a typed error, never a panic, and never quote the device code.

use super::*;
use std::collections::HashMap;

use msal_core::{
    ManualClock, ManualSleep,
    http::{HttpClient, HttpRequest, HttpResponse, TransportError},
    token_endpoint::throttle::HttpCache,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::{
    PublicClientApplication, TokenCache,
    authority::{DiscoveryCache, InstanceDiscovery},
};

const TENANT: &str = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490";
const NOW: u64 = 1_795_670_000;
const DEVICE_CODE: &str = "DEVICE-CODE-CANARY-5d1c";

/// One answer, replayed as often as it is asked for.
#[derive(Debug, Clone)]
struct Canned {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Canned {
    fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: serde_json::to_vec(body).unwrap(),
        }
    }

    fn response(&self) -> HttpResponse {
        let mut b = http::Response::builder().status(self.status);
        for (k, v) in &self.headers {
            if http::HeaderValue::from_str(v).is_ok() {
                b = b.header(*k, v);
            }
        }
        b.body(self.body.clone()).unwrap()
    }
}

/// Entra in memory: discovery, then `device` for the device-code endpoint and `token` for
/// every poll.
#[derive(Debug)]
struct FakeEntra {
    device: Canned,
    token: Canned,
}

#[async_trait::async_trait]
impl HttpClient for FakeEntra {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let base = format!("https://login.microsoftonline.com/{TENANT}");
        if request.method() == http::Method::GET {
            let doc = json!({
                "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
                "token_endpoint": format!("{base}/oauth2/v2.0/token"),
                "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
                "issuer": format!("{base}/v2.0"),
            });
            return Ok(Canned::json(200, &doc).response());
        }
        if request.uri().path().ends_with("/devicecode") {
            Ok(self.device.response())
        } else {
            Ok(self.token.response())
        }
    }
}

/// Runs `f` against a fresh app talking to a [`FakeEntra`]; returns its output and the cache.
fn run<T>(
    device: Canned,
    token: Canned,
    f: impl AsyncFnOnce(&PublicClientApplication) -> T,
) -> (T, TokenCache) {
    let clock = ManualClock::from_unix_secs(NOW);
    let cache = TokenCache::new();
    let app = PublicClientApplication::builder("client")
        .token_cache(cache.clone())
        .authority(format!("https://login.microsoftonline.com/{TENANT}"))
        .unwrap()
        .instance_discovery(InstanceDiscovery::Disabled)
        .discovery_cache(DiscoveryCache::new())
        .http_cache(HttpCache::new())
        .clock(clock.clone())
        .sleep_impl(ManualSleep::new(clock))
        .http_client(FakeEntra { device, token })
        .build()
        .unwrap();
    let out = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f(&app));
    (out, cache)
}

fn now() -> SystemTime {
    msal_core::clock::from_unix_secs(NOW)
}

/// Numbers and numeric strings at and past every limit.
fn seconds() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0u64..4000).prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(|n| Value::from(n.to_string())),
        prop::sample::select(vec![
            "18446744073709551615",
            "-5",
            "1e300",
            " 900 ",
            "soon",
            ""
        ])
        .prop_map(Value::from),
        prop::sample::select(vec![1e300, -1.0, 0.25, 1.8e19])
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
    ]
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "user_code",
            "device_code",
            "verification_uri",
            "verification_url",
            "verification_uri_complete",
            "message",
            "interval",
            "expires_in",
            "error",
            "error_description",
            "error_codes",
            "access_token",
            "token_type",
            "refresh_token",
            "id_token",
            "client_info",
            "scope",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,12}",
    ]
}

/// JSON values up to a small depth, with the field names the flow looks for.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        seconds(),
        ".{0,40}".prop_map(Value::String),
    ];
    msal_test_support::json_tree(leaf.boxed(), field_name().boxed())
}

/// A field that is usually a string, sometimes missing or wrongly typed.
fn text_or_junk(s: &'static str) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(Some(Value::from(s))),
        1 => Just(None),
        1 => json_value().prop_map(Some),
    ]
}

fn arbitrary_answer() -> impl Strategy<Value = Canned> {
    (
        100u16..600,
        proptest::option::of(prop_oneof![Just("application/json".to_owned()), ".{0,30}"]),
        proptest::option::of(".{0,12}"),
        proptest::collection::vec(any::<u8>(), 0..400),
    )
        .prop_map(|(status, ct, retry_after, body)| {
            let mut headers = Vec::new();
            if let Some(ct) = ct {
                headers.push(("content-type", ct));
            }
            if let Some(ra) = retry_after {
                headers.push(("retry-after", ra));
            }
            Canned {
                status,
                headers,
                body,
            }
        })
}

const POLL_CODES: &[&str] = &[
    "authorization_pending",
    "slow_down",
    "expired_token",
    "code_expired",
    "authorization_declined",
    "access_denied",
    "invalid_grant",
    "bad_verification_code",
    "interaction_required",
    "",
];

/// What the token endpoint may say to a poll: OAuth errors (the polling vocabulary and
/// others), successes with odd lifetimes, any JSON, any bytes.
fn poll_answer() -> impl Strategy<Value = Canned> {
    prop_oneof![
        (
            prop_oneof![Just(400u16), 100u16..600],
            prop_oneof![
                prop::sample::select(POLL_CODES).prop_map(str::to_owned),
                "[a-z_]{1,20}"
            ],
            proptest::option::of(json_value()),
            proptest::collection::vec((field_name(), json_value()), 0..4),
        )
            .prop_map(|(status, error, description, extra)| {
                let mut body: Map<String, Value> = extra.into_iter().collect();
                body.insert("error".into(), error.into());
                if let Some(d) = description {
                    body.insert("error_description".into(), d);
                }
                Canned::json(status, &Value::Object(body))
            }),
        (seconds(), seconds(), seconds()).prop_map(|(expires_in, ext, refresh_in)| {
            Canned::json(
                200,
                &json!({"access_token": "at", "token_type": "Bearer", "expires_in": expires_in,
                    "ext_expires_in": ext, "refresh_in": refresh_in, "scope": "user.read"}),
            )
        }),
        (100u16..600, json_value()).prop_map(|(status, v)| Canned::json(status, &v)),
        arbitrary_answer(),
    ]
}

fn flow(interval: Duration) -> DeviceFlow {
    DeviceFlow {
        user_code: "USER-CODE".into(),
        device_code: DEVICE_CODE.into(),
        verification_uri: "https://microsoft.com/devicelogin".into(),
        verification_uri_complete: None,
        message: "sign in".into(),
        interval,
        expires_at: now() + Duration::from_secs(6),
        correlation_id: "00000000-0000-4000-8000-000000000000".into(),
        scopes: vec!["user.read".into()],
    }
}

fn initiate_with(answer: Canned) -> Result<DeviceFlow> {
    run(
        answer,
        Canned::json(500, &json!({})),
        async |app: &PublicClientApplication| app.initiate_device_flow(["user.read"]).send().await,
    )
    .0
}

fn assert_typed_initiate_error(e: &Error) -> Result<(), TestCaseError> {
    prop_assert!(
        matches!(
            e,
            Error::InvalidResponse { .. }
                | Error::Service(_)
                | Error::InteractionRequired { .. }
                | Error::AuthorizationDeclined(_)
        ),
        "unexpected error {e:?}"
    );
    prop_assert!(!e.to_string().contains(DEVICE_CODE));
    Ok(())
}

proptest! {
    #![proptest_config(msal_test_support::proptest_config(256))]

    #[test]
    fn device_code_answers_of_arbitrary_bytes_give_a_typed_error(answer in arbitrary_answer()) {
        match initiate_with(answer) {
            Ok(f) => prop_assert!(f.interval >= MIN_INTERVAL),
            Err(e) => assert_typed_initiate_error(&e)?,
        }
    }

    #[test]
    fn device_code_answers_of_arbitrary_json_give_a_flow_or_typed_error(
        status in prop_oneof![Just(200u16), 100u16..600],
        body in json_value(),
    ) {
        match initiate_with(Canned::json(status, &body)) {
            Ok(f) => prop_assert!(f.interval >= MIN_INTERVAL && f.expires_at >= now()),
            Err(e) => assert_typed_initiate_error(&e)?,
        }
    }

    #[test]
    fn device_code_answers_with_missing_or_wrongly_typed_fields_are_checked(
        user_code in text_or_junk("ABCD-EFGH"),
        device_code in text_or_junk(DEVICE_CODE),
        uri in text_or_junk("https://microsoft.com/devicelogin"),
        uri_as_url in any::<bool>(),
        complete in text_or_junk("https://microsoft.com/devicelogin?code=ABCD"),
        message in text_or_junk("Go and sign in"),
        interval in proptest::option::of(seconds()),
        expires_in in proptest::option::of(seconds()),
    ) {
        let mut body = Map::new();
        let uri_key = if uri_as_url { "verification_url" } else { "verification_uri" };
        for (k, v) in [
            ("user_code", user_code),
            ("device_code", device_code),
            (uri_key, uri),
            ("verification_uri_complete", complete),
            ("message", message),
            ("interval", interval),
            ("expires_in", expires_in),
        ] {
            if let Some(v) = v {
                body.insert(k.into(), v);
            }
        }
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        let lifetime = lenient_u64_field(&body, "expires_in").unwrap_or(DEFAULT_EXPIRES_IN);
        let complete_answer = text("user_code").is_some()
            && text("device_code").is_some()
            && text(uri_key).is_some()
            && now().checked_add(Duration::from_secs(lifetime)).is_some();
        match initiate_with(Canned::json(200, &Value::Object(body.clone()))) {
            Ok(f) => {
                prop_assert!(complete_answer);
                prop_assert_eq!(Some(f.user_code.clone()), text("user_code"));
                prop_assert_eq!(Some(f.device_code.clone()), text("device_code"));
                prop_assert_eq!(Some(f.verification_uri.clone()), text(uri_key));
                prop_assert_eq!(f.verification_uri_complete.clone(), text("verification_uri_complete"));
                let interval = lenient_u64_field(&body, "interval").unwrap_or(DEFAULT_INTERVAL);
                prop_assert_eq!(f.interval, Duration::from_secs(interval).max(MIN_INTERVAL));
                prop_assert_eq!(f.expires_at.duration_since(now()).unwrap().as_secs(), lifetime);
                let shown = format!("{f:?}");
                prop_assert!(!shown.contains(DEVICE_CODE));
                match text("message") {
                    Some(m) => prop_assert_eq!(&f.message, &m),
                    None => prop_assert!(f.message.contains(&f.user_code)),
                }
            }
            Err(e) => {
                prop_assert!(!complete_answer, "a complete answer was refused: {e}");
                prop_assert!(matches!(e, Error::InvalidResponse { .. }), "{e:?}");
                prop_assert!(!e.to_string().contains(DEVICE_CODE));
            }
        }
    }

    #[test]
    fn slow_down_lengthens_any_interval_without_overflow(
        interval in prop_oneof![
            Just(Duration::MAX),
            Just(Duration::from_secs(u64::MAX)),
            any::<u64>().prop_map(Duration::from_secs),
            any::<(u64, u32)>().prop_map(|(s, n)| Duration::new(s / 2, n % 1_000_000_000)),
        ],
        status in prop_oneof![Just(400u16), Just(429u16), Just(503u16)],
    ) {
        let (outcome, _) = run(
            Canned::json(500, &json!({})),
            Canned::json(status, &json!({"error": "slow_down"})),
            async |app: &PublicClientApplication| {
                app.acquire_token_by_device_flow(&flow(interval)).send().await
            },
        );
        prop_assert!(matches!(outcome, Err(Error::DeviceCodeExpired(None))), "{outcome:?}");
    }

    #[test]
    fn polling_answers_end_in_a_token_or_the_matching_typed_error(
        answer in poll_answer(),
        interval in prop_oneof![
            Just(Duration::from_secs(1)),
            any::<u64>().prop_map(Duration::from_secs),
            Just(Duration::MAX),
        ],
    ) {
        // The OAuth error the answer carries, if it is one.
        let code = serde_json::from_slice::<HashMap<String, Value>>(&answer.body)
            .ok()
            .and_then(|m| m.get("error").and_then(Value::as_str).map(str::to_owned));
        let (outcome, cache) = run(
            Canned::json(500, &json!({})),
            answer,
            async |app: &PublicClientApplication| {
                app.acquire_token_by_device_flow(&flow(interval)).send().await
            },
        );
        // Whatever lifetimes the answer claimed, the cached token's times stay readable.
        let cached: Value = serde_json::from_str(&cache.serialize()).unwrap();
        for at in cached["AccessToken"].as_object().into_iter().flat_map(|m| m.values()) {
            for k in ["expires_on", "extended_expires_on", "refresh_on"] {
                if let Some(t) = at.get(k) {
                    let secs = lenient_u64_field(at.as_object().unwrap(), k);
                    prop_assert!(
                        secs.is_some_and(|s| SystemTime::UNIX_EPOCH
                            .checked_add(Duration::from_secs(s))
                            .is_some()),
                        "cached {k} = {t}"
                    );
                }
            }
        }
        if let Err(e) = &outcome {
            prop_assert!(!e.to_string().contains(DEVICE_CODE), "{e}");
            prop_assert!(!format!("{e:?}").contains(DEVICE_CODE), "{e:?}");
            prop_assert!(
                !matches!(e, Error::Transport(_) | Error::Configuration(_) | Error::Cancelled),
                "{e:?}"
            );
        }
        match code.as_deref() {
            // Keep polling until the code expires (the clock moves with each wait).
            Some("authorization_pending" | "slow_down") => {
                prop_assert!(matches!(outcome, Err(Error::DeviceCodeExpired(_))), "{outcome:?}");
            }
            Some(c @ ("expired_token" | "code_expired")) => {
                let Err(Error::DeviceCodeExpired(Some(se))) = &outcome else {
                    return Err(TestCaseError::fail(format!("{outcome:?}")));
                };
                prop_assert_eq!(se.error.as_str(), c);
            }
            Some(c @ ("authorization_declined" | "access_denied")) => {
                let Err(Error::AuthorizationDeclined(se)) = &outcome else {
                    return Err(TestCaseError::fail(format!("{outcome:?}")));
                };
                prop_assert_eq!(se.error.as_str(), c);
            }
            Some(c) => {
                let Err(e) = &outcome else {
                    return Err(TestCaseError::fail(format!("{outcome:?}")));
                };
                prop_assert_eq!(e.service_error().map(|s| s.error.as_str()), Some(c));
            }
            None => {}
        }
    }
}
