//! The fallback rule, the same in every cached flow: when a proactive refresh (the cached token
//! is past `refresh_on` but still valid) fails with a 5xx, the still-valid cached token answers;
//! when it fails with `invalid_grant`, the error does. One test pair per flow; managed identity
//! has its pair in `msal-managed-identity/tests/behaviour.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, deprecated)]

mod support;

use std::time::{Duration, SystemTime};

use msal::{
    AuthenticationResult, ClientCredential, ConfidentialClientApplication, Error, ManualClock,
    TokenSource, prelude::*,
};
use msal_authority::DiscoveryCache;
use msal_emulator::{Emulator, EmulatorConfig, Endpoint, Fault, FaultRule, ids};
use support::*;

/// Entra sends `refresh_in` with long-lived tokens; ten minutes into a one-hour token here.
const REFRESH_IN: u64 = 600;

async fn emulator_with_refresh_in() -> Emulator {
    Emulator::start(EmulatorConfig::default().refresh_in(Some(REFRESH_IN)))
        .await
        .unwrap()
}

/// The token endpoint's next answer: a 503, or an `invalid_grant` error. Returns how many token
/// requests the emulator had seen, for [`assert_refresh_tried`].
fn fail_next_refresh(emu: &Emulator, with_invalid_grant: bool) -> usize {
    let fault = if with_invalid_grant {
        Fault::Status {
            status: 400,
            retry_after: None,
            body: Some(
                r#"{"error":"invalid_grant","error_description":"AADSTS50173: the grant was revoked"}"#
                    .into(),
            ),
        }
    } else {
        Fault::Status {
            status: 503,
            retry_after: None,
            body: None,
        }
    };
    // Two: the token client retries a 503 once.
    emu.add_fault(FaultRule::new(Endpoint::Token, 2, fault));
    token_requests(emu)
}

fn token_requests(emu: &Emulator) -> usize {
    emu.count("POST", "/oauth2/v2.0/token")
}

/// A cached answer proves nothing unless the refresh really went out and failed.
fn assert_refresh_tried(emu: &Emulator, before: usize) {
    assert!(
        token_requests(emu) > before,
        "the proactive refresh was never sent"
    );
}

fn assert_fell_back(fallback: &AuthenticationResult, first: &AuthenticationResult) {
    assert_eq!(fallback.token_source(), TokenSource::Cache);
    assert_eq!(fallback.access_token(), first.access_token());
}

fn assert_refused_with_invalid_grant(outcome: msal::Result<AuthenticationResult>) {
    let error = outcome.expect_err("invalid_grant must not be answered from the cache");
    assert!(error.is_interaction_required(), "{error:?}");
    assert_eq!(error.service_error().unwrap().error, "invalid_grant");
}

async fn client_credentials_refresh(invalid_grant: bool) {
    let emu = emulator_with_refresh_in().await;
    let clock = ManualClock::new(SystemTime::now());
    let app = confidential_app(
        &emu,
        ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
    .clock(clock.clone())
    .build()
    .unwrap();
    let first = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    clock.advance(Duration::from_secs(REFRESH_IN + 1));
    let before = fail_next_refresh(&emu, invalid_grant);
    let again = app.acquire_token_for_client([ids::APP_SCOPE]).await;
    assert_refresh_tried(&emu, before);
    if invalid_grant {
        assert_refused_with_invalid_grant(again);
    } else {
        assert_fell_back(&again.unwrap(), &first);
    }
}

#[tokio::test]
async fn client_credentials_falls_back_on_a_5xx() {
    client_credentials_refresh(false).await;
}

#[tokio::test]
async fn client_credentials_does_not_fall_back_on_invalid_grant() {
    client_credentials_refresh(true).await;
}

async fn silent_refresh(invalid_grant: bool) {
    let emu = emulator_with_refresh_in().await;
    let clock = ManualClock::new(SystemTime::now());
    let app = public_app(&emu).clock(clock.clone()).build().unwrap();
    let first = app
        .acquire_token_by_username_password(ids::USER_UPN, ids::USER_PASSWORD, [ids::USER_SCOPE])
        .await
        .unwrap();
    let account = first.account().cloned().unwrap();
    clock.advance(Duration::from_secs(REFRESH_IN + 1));
    let before = fail_next_refresh(&emu, invalid_grant);
    let again = app.acquire_token_silent([ids::USER_SCOPE], &account).await;
    assert_refresh_tried(&emu, before);
    if invalid_grant {
        assert_refused_with_invalid_grant(again);
    } else {
        assert_fell_back(&again.unwrap(), &first);
    }
}

#[tokio::test]
async fn silent_falls_back_on_a_5xx() {
    silent_refresh(false).await;
}

#[tokio::test]
async fn silent_does_not_fall_back_on_invalid_grant() {
    silent_refresh(true).await;
}

async fn on_behalf_of_refresh(invalid_grant: bool) {
    let emu = emulator_with_refresh_in().await;
    let clock = ManualClock::new(SystemTime::now());
    let user = public_app(&emu)
        .clock(clock.clone())
        .build()
        .unwrap()
        .acquire_token_by_username_password(ids::USER_UPN, ids::USER_PASSWORD, [ids::USER_SCOPE])
        .await
        .unwrap();
    let api = ConfidentialClientApplication::builder(
        ids::OBO_CLIENT_ID,
        ClientCredential::secret(ids::OBO_CLIENT_SECRET),
    )
    .authority(emu.authority())
    .unwrap()
    .known_authorities(["127.0.0.1"])
    .http_client(http(&emu))
    .discovery_cache(DiscoveryCache::new())
    .clock(clock.clone())
    .build()
    .unwrap();
    let first = api
        .acquire_token_on_behalf_of(user.access_token().clone(), [ids::OBO_DOWNSTREAM_SCOPE])
        .await
        .unwrap();
    clock.advance(Duration::from_secs(REFRESH_IN + 1));
    let before = fail_next_refresh(&emu, invalid_grant);
    let again = api
        .acquire_token_on_behalf_of(user.access_token().clone(), [ids::OBO_DOWNSTREAM_SCOPE])
        .await;
    assert_refresh_tried(&emu, before);
    if invalid_grant {
        assert_refused_with_invalid_grant(again);
    } else {
        assert_fell_back(&again.unwrap(), &first);
    }
}

#[tokio::test]
async fn on_behalf_of_falls_back_on_a_5xx() {
    on_behalf_of_refresh(false).await;
}

#[tokio::test]
async fn on_behalf_of_does_not_fall_back_on_invalid_grant() {
    on_behalf_of_refresh(true).await;
}

#[test]
fn only_failures_a_retry_may_cure_fall_back() {
    use msal::http::{TransportError, TransportErrorKind};
    use msal_cache::acquire::falls_back_to_cached_token;
    let status = |code: u16| {
        let mut e = msal::ServiceError::new("temporarily_unavailable");
        e.status = Some(http::StatusCode::from_u16(code).unwrap());
        Error::Service(Box::new(e))
    };
    assert!(falls_back_to_cached_token(&status(503)));
    assert!(falls_back_to_cached_token(&status(429)));
    assert!(falls_back_to_cached_token(&Error::Transport(
        TransportError::new(TransportErrorKind::Timeout, "slow")
    )));
    assert!(falls_back_to_cached_token(&Error::Transport(
        TransportError::new(TransportErrorKind::Connect, "refused")
    )));
    assert!(!falls_back_to_cached_token(&status(400)));
    assert!(!falls_back_to_cached_token(&Error::Configuration(
        "bad tenant".into()
    )));
    assert!(!falls_back_to_cached_token(&Error::InteractionRequired {
        reason: msal::InteractionReason::ServiceRequired,
        classification: None,
        source: None,
    }));
    assert!(!falls_back_to_cached_token(&Error::Transport(
        TransportError::new(TransportErrorKind::Tls, "bad certificate")
    )));
}
