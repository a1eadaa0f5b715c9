//! Each fault fires exactly `count` times, then the endpoint serves normally.
// Helpers outside #[test] functions unwrap too: a failed setup should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::{Request, http, https};
use msal_emulator::{Emulator, EmulatorConfig, Endpoint, Fault, FaultRule, ids};

fn cc_request() -> Request {
    Request::post_form(
        format!("/{}/oauth2/v2.0/token", ids::TENANT_ID),
        &[
            ("client_id", ids::CONFIDENTIAL_CLIENT_ID),
            ("client_secret", ids::CONFIDENTIAL_CLIENT_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", ids::APP_SCOPE),
        ],
    )
}

async fn start() -> Emulator {
    Emulator::start(EmulatorConfig::default()).await.unwrap()
}

#[tokio::test]
async fn status_fault_with_retry_after_fires_count_times() {
    let emu = start().await;
    emu.add_fault(FaultRule::new(
        Endpoint::Token,
        2,
        Fault::Status {
            status: 429,
            retry_after: Some("2".into()),
            body: None,
        },
    ));
    for _ in 0..2 {
        let r = https(&emu, cc_request()).await.unwrap();
        assert_eq!(r.status, 429);
        assert_eq!(r.header("Retry-After"), Some("2"));
        assert_eq!(r.json()["error"], "temporarily_unavailable");
    }
    assert_eq!(https(&emu, cc_request()).await.unwrap().status, 200);
    let statuses: Vec<u16> = emu.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);

    // Custom body; other endpoints are unaffected.
    emu.add_fault(FaultRule::new(
        Endpoint::Token,
        1,
        Fault::Status {
            status: 400,
            retry_after: None,
            body: Some(r#"{"error":"invalid_grant","suberror":"bad_token"}"#.into()),
        },
    ));
    let discovery = https(
        &emu,
        Request::get(format!(
            "/{}/v2.0/.well-known/openid-configuration",
            ids::TENANT_ID
        )),
    )
    .await
    .unwrap();
    assert_eq!(discovery.status, 200);
    let r = https(&emu, cc_request()).await.unwrap();
    assert_eq!(r.json()["suberror"], "bad_token");
    assert_eq!(https(&emu, cc_request()).await.unwrap().status, 200);
}

#[tokio::test]
async fn connection_reset_and_truncated_body() {
    let emu = start().await;
    emu.add_fault(FaultRule::new(Endpoint::Token, 1, Fault::ConnectionReset));
    assert!(https(&emu, cc_request()).await.is_err());
    assert_eq!(emu.requests().last().unwrap().status, 0);
    assert_eq!(https(&emu, cc_request()).await.unwrap().status, 200);

    emu.add_fault(FaultRule::new(Endpoint::Token, 1, Fault::TruncatedBody));
    assert!(https(&emu, cc_request()).await.is_err());
    assert_eq!(https(&emu, cc_request()).await.unwrap().status, 200);
}

#[tokio::test]
async fn malformed_html_oversize_and_wrong_content_type() {
    let emu = start().await;
    emu.add_fault(FaultRule::new(Endpoint::Token, 1, Fault::MalformedJson));
    let r = https(&emu, cc_request()).await.unwrap();
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());

    emu.add_fault(FaultRule::new(Endpoint::Token, 1, Fault::HtmlErrorPage));
    let r = https(&emu, cc_request()).await.unwrap();
    assert_eq!(r.status, 500);
    assert!(r.header("Content-Type").unwrap().starts_with("text/html"));

    emu.add_fault(FaultRule::new(
        Endpoint::Token,
        1,
        Fault::OversizeBody(300_000),
    ));
    let r = https(&emu, cc_request()).await.unwrap();
    assert_eq!(r.body.len(), 300_000);

    emu.add_fault(FaultRule::new(Endpoint::Token, 1, Fault::WrongContentType));
    let r = https(&emu, cc_request()).await.unwrap();
    assert!(r.header("Content-Type").unwrap().starts_with("text/html"));
    assert!(r.json()["access_token"].is_string());

    let r = https(&emu, cc_request()).await.unwrap();
    assert!(
        r.header("Content-Type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(emu.count("POST", "/token"), 5);
}

#[tokio::test]
async fn delay_and_path_and_managed_identity_faults() {
    let emu = start().await;
    emu.add_fault(FaultRule::new(
        Endpoint::Token,
        1,
        Fault::Delay(Duration::from_millis(300)),
    ));
    let started = Instant::now();
    assert_eq!(https(&emu, cc_request()).await.unwrap().status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    https(&emu, cc_request()).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(300));

    emu.add_fault(FaultRule::status(
        Endpoint::Path("/discovery/v2.0/keys".into()),
        1,
        503,
    ));
    let keys = format!("/{}/discovery/v2.0/keys", ids::TENANT_ID);
    assert_eq!(https(&emu, Request::get(&keys)).await.unwrap().status, 503);
    assert_eq!(https(&emu, Request::get(&keys)).await.unwrap().status, 200);

    emu.add_fault(FaultRule::status(Endpoint::Imds, 3, 500));
    let imds = Request::get(
        "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fx%2F",
    )
    .header("Metadata", "true");
    for _ in 0..3 {
        assert_eq!(http(&emu, imds.clone()).await.unwrap().status, 500);
    }
    assert_eq!(http(&emu, imds).await.unwrap().status, 200);
    assert_eq!(emu.count("GET", "/metadata/identity/oauth2/token"), 4);
    emu.clear_requests();
    assert!(emu.requests().is_empty());
}
