//! The token-endpoint client against a scripted transport: wire parity with MSAL Python, retry,
//! throttling and hostile answers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use msal_core::{
    AssertionContext, ClientCredential, Error, ManualClock, ManualSleep,
    http::{TransportError, TransportErrorKind},
    token_endpoint::{
        Form, TokenEndpointClient, TokenEndpointConfig, TokenEndpointRequest, new_correlation_id,
        telemetry::{ApiId, CacheInfo},
    },
};
use support::ScriptedHttp;

const ENDPOINT: &str = "https://127.0.0.1/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/oauth2/v2.0/token";
const OK_BODY: &str =
    r#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"at-value"}"#;

fn fixture_flow(name: &str) -> Vec<serde_json::Value> {
    msal_test_support::fixtures::python_requests()[name]
        .as_array()
        .unwrap()
        .clone()
}

fn client(http: &ScriptedHttp, clock: &ManualClock) -> TokenEndpointClient {
    TokenEndpointClient::new(
        Arc::new(http.clone()),
        Arc::new(clock.clone()),
        Arc::new(ManualSleep::new(clock.clone())),
        TokenEndpointConfig::default(),
    )
}

async fn client_credentials_request(
    credential: &ClientCredential,
    clock: &ManualClock,
) -> TokenEndpointRequest {
    let mut form = Form::new();
    form.set("client_id", "00000000-0000-4000-8000-0000000000a2")
        .set("grant_type", "client_credentials")
        .set("client_info", "1")
        .set("scope", "https://api.fake-entra.invalid/.default");
    credential
        .apply(
            &mut form,
            AssertionContext::new("00000000-0000-4000-8000-0000000000a2", ENDPOINT),
            None,
            clock,
            false,
        )
        .await
        .unwrap();
    let mut req = TokenEndpointRequest::new(
        ENDPOINT,
        form,
        ApiId::AcquireTokenForClient,
        new_correlation_id(),
    );
    req.cache_info = CacheInfo::NoCachedAccessToken;
    req
}

fn form_of(req: &http::Request<Vec<u8>>) -> Vec<(String, String)> {
    form_urlencoded::parse(req.body()).into_owned().collect()
}

#[tokio::test]
async fn client_credentials_request_matches_msal_python_on_the_wire() {
    let http = ScriptedHttp::default();
    let clock = ManualClock::from_unix_secs(1_795_670_000);
    http.push_json(200, OK_BODY);
    let tokens = client(&http, &clock)
        .obtain_token(client_credentials_request(&ClientCredential::secret("s3cret"), &clock).await)
        .await
        .unwrap();
    assert_eq!(tokens.access_token.secret(), "at-value");

    let expected = fixture_flow("cc_secret")
        .into_iter()
        .find(|r| r["endpoint"] == "token")
        .unwrap();
    let sent = http.last();
    let form = form_of(&sent);
    let keys: BTreeSet<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    let want: BTreeSet<&str> = expected["form_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(keys, want);
    let headers: BTreeSet<String> = sent
        .headers()
        .keys()
        .map(|k| k.as_str().to_owned())
        .collect();
    let want: BTreeSet<String> = expected["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_ascii_lowercase())
        .collect();
    assert_eq!(headers, want);
    for (k, v) in expected["values"].as_object().unwrap() {
        let got = sent
            .headers()
            .get(k.as_str())
            .map(|h| h.to_str().unwrap().to_owned())
            .or_else(|| form.iter().find(|(fk, _)| fk == k).map(|(_, v)| v.clone()));
        let want = match k.as_str() {
            "x-client-sku" => msal_core::SKU.to_owned(),
            "x-client-ver" => msal_core::VERSION.to_owned(),
            _ => v.as_str().unwrap().to_owned(),
        };
        if k == "x-client-os" && std::env::consts::OS != "linux" {
            continue;
        }
        assert_eq!(got.as_deref(), Some(want.as_str()), "{k}");
    }
    assert_eq!(sent.method(), http::Method::POST);
}

#[tokio::test]
async fn a_5xx_is_retried_exactly_once_after_a_second() {
    let http = ScriptedHttp::default();
    let clock = ManualClock::from_unix_secs(1_795_670_000);
    http.push_json(503, "{}");
    http.push_json(200, OK_BODY);
    let c = client(&http, &clock);
    let req = client_credentials_request(&ClientCredential::secret("s"), &clock).await;
    assert!(c.obtain_token(req.clone()).await.is_ok());
    assert_eq!(http.count(), 2);
    assert_eq!(
        msal_core::clock::unix_secs(msal_core::Clock::now(&clock)),
        1_795_670_001
    );

    // Two failures: one retry, then the typed error (and no third request).
    http.push_json(500, "");
    http.push_json(502, "<html>");
    let e = c.obtain_token(req).await.unwrap_err();
    assert!(
        matches!(&e, Error::Service(s) if s.error == "service_not_available"),
        "{e:?}"
    );
    assert_eq!(http.count(), 4);
}

#[tokio::test]
async fn timeouts_are_retried_once_then_reported_as_transport_timeouts() {
    let http = ScriptedHttp::default();
    let clock = ManualClock::from_unix_secs(1_795_670_000);
    http.push(Err(TransportError::new(
        TransportErrorKind::Timeout,
        "slow",
    )));
    http.push(Err(TransportError::new(
        TransportErrorKind::Timeout,
        "slow",
    )));
    let c = client(&http, &clock);
    let e = c
        .obtain_token(client_credentials_request(&ClientCredential::secret("s"), &clock).await)
        .await
        .unwrap_err();
    assert!(matches!(&e, Error::Transport(t) if t.kind() == TransportErrorKind::Timeout));
    assert_eq!(http.count(), 2);
    // A TLS failure is not retried.
    http.push(Err(TransportError::new(
        TransportErrorKind::Tls,
        "bad cert",
    )));
    assert!(
        c.obtain_token(client_credentials_request(&ClientCredential::secret("s"), &clock).await)
            .await
            .is_err()
    );
    assert_eq!(http.count(), 3);
}

#[tokio::test]
async fn retry_after_blocks_the_identical_request_until_it_passes() {
    let http = ScriptedHttp::default();
    let clock = ManualClock::from_unix_secs(1_795_670_000);
    let c = client(&http, &clock);
    http.push(Ok(http::Response::builder()
        .status(429)
        .header("Retry-After", "2")
        .header("content-type", "application/json")
        .body(br#"{"error":"temporarily_unavailable","error_description":"slow down"}"#.to_vec())
        .unwrap()));
    let req = client_credentials_request(&ClientCredential::secret("s"), &clock).await;
    let first = c.obtain_token(req.clone()).await.unwrap_err();
    assert!(matches!(&first, Error::Service(s) if s.retry_after == Some(Duration::from_secs(2))));
    let second = c.obtain_token(req.clone()).await.unwrap_err();
    assert!(
        matches!(&second, Error::Throttled { retry_after, .. } if *retry_after == Duration::from_secs(2))
    );
    assert_eq!(
        http.count(),
        1,
        "the throttled request must not reach the network"
    );

    // Another app (client id) is not blocked.
    let mut other = req.clone();
    other.form.set("client_id", "someone-else");
    http.push_json(200, OK_BODY);
    assert!(c.obtain_token(other).await.is_ok());

    clock.advance(Duration::from_secs(2));
    http.push_json(200, OK_BODY);
    assert!(c.obtain_token(req).await.is_ok());
    assert_eq!(http.count(), 3);
}

#[tokio::test]
async fn invalid_grant_is_replayed_for_the_identical_request_for_a_minute() {
    let http = ScriptedHttp::default();
    let clock = ManualClock::from_unix_secs(1_795_670_000);
    let c = client(&http, &clock);
    let mut form = Form::new();
    form.set("client_id", "a1")
        .set("grant_type", "refresh_token")
        .set("refresh_token", "rt")
        .set("scope", "s");
    let req = TokenEndpointRequest::new(
        ENDPOINT,
        form,
        ApiId::AcquireTokenSilent,
        new_correlation_id(),
    );
    http.push_json(
        400,
        r#"{"error":"invalid_grant","error_description":"AADSTS70000: revoked"}"#,
    );
    assert!(
        c.obtain_token(req.clone())
            .await
            .unwrap_err()
            .is_interaction_required()
    );
    assert!(
        c.obtain_token(req.clone())
            .await
            .unwrap_err()
            .is_interaction_required()
    );
    assert_eq!(http.count(), 1);
    clock.advance(Duration::from_secs(61));
    http.push_json(200, OK_BODY);
    assert!(c.obtain_token(req).await.is_ok());
    assert_eq!(http.count(), 2);
}

#[tokio::test]
async fn hostile_answers_are_typed_errors_without_echoing_the_body() {
    let clock = ManualClock::from_unix_secs(1_795_670_000);
    let cases: Vec<(u16, &str, &str)> = vec![
        (200, "application/json", r#"{"access_token":"leak","#),
        (200, "text/html", "<html>leak</html>"),
        (200, "application/json", r#"["leak"]"#),
        (
            200,
            "application/json",
            r#"{"token_type":"Bearer","leak":1}"#,
        ),
        (
            200,
            "application/json",
            r#"{"access_token":"leak","expires_in":"later"}"#,
        ),
        (403, "text/html", "<html>leak</html>"),
    ];
    for (status, ct, body) in cases {
        let http = ScriptedHttp::default();
        http.push(Ok(http::Response::builder()
            .status(status)
            .header("content-type", ct)
            .body(body.as_bytes().to_vec())
            .unwrap()));
        let e = client(&http, &clock)
            .obtain_token(client_credentials_request(&ClientCredential::secret("s"), &clock).await)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::InvalidResponse { .. }), "{body}: {e:?}");
        assert!(!format!("{e} {e:?}").contains("leak"), "{e}");
    }
}

#[tokio::test]
async fn telemetry_carries_failures_into_the_next_request() {
    let http = ScriptedHttp::default();
    let clock = ManualClock::from_unix_secs(1_795_670_000);
    let c = client(&http, &clock);
    let mut req = client_credentials_request(&ClientCredential::secret("s"), &clock).await;
    req.correlation_id = "corr-1".into();
    http.push_json(400, r#"{"error":"invalid_scope"}"#);
    assert!(c.obtain_token(req.clone()).await.is_err());
    let mut req2 = req.clone();
    req2.form.set("scope", "other/.default");
    http.push_json(200, OK_BODY);
    c.obtain_token(req2.clone()).await.unwrap();
    assert_eq!(
        http.last().headers()["x-client-last-telemetry"],
        "4|0|730,corr-1|invalid_scope|"
    );
    http.push_json(200, OK_BODY);
    c.obtain_token(req2).await.unwrap();
    assert_eq!(http.last().headers()["x-client-last-telemetry"], "4|0|||");
}
