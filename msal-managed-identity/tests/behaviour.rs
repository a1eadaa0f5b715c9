//! The flow around the sources: cache, proactive refresh, claims, IMDS retries, throttling,
//! single-flight, broken answers, redaction.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use msal_core::{
    Error, ManualClock, ManualSleep, TokenSource, clock::from_unix_secs, http::TransportErrorKind,
};
use msal_emulator::{Endpoint, Fault, FaultRule};
use msal_managed_identity::{
    AcquireManagedIdentityToken, SystemAssignedManagedIdentity, UserAssignedManagedIdentity,
};

const RESOURCE: &str = ids::MI_RESOURCE;

fn imds_count(em: &msal_emulator::Emulator) -> usize {
    em.count("GET", "/metadata/identity/oauth2/token")
}

#[test]
fn the_request_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let mi = client(
        SystemAssignedManagedIdentity,
        msal_core::Env::from_vars([("A", "b")]),
    );
    let fut = std::future::IntoFuture::into_future(mi.acquire_token_for_client(RESOURCE));
    assert_send(&fut);
    let send = mi.acquire_token_for_client(RESOURCE).send();
    assert_send(&send);
    let _: fn(AcquireManagedIdentityToken<'_>) -> AcquireManagedIdentityToken<'_> =
        |b| b.claims_challenge("{}");
}

#[tokio::test]
async fn imds_retries_5xx_with_backoff_then_succeeds() {
    let em = emulator().await;
    em.add_fault(FaultRule::status(Endpoint::Imds, 2, 500));
    let clock = ManualClock::new(SystemTime::now());
    let start = clock.now_for_test();
    let mi = client_builder(SystemAssignedManagedIdentity, imds_env(&em))
        .clock(clock.clone())
        .sleep_impl(ManualSleep::new(clock.clone()))
        .build();
    let r = mi.acquire_token_for_client(RESOURCE).await.unwrap();
    assert_eq!(r.token_source(), TokenSource::IdentityProvider);
    assert_eq!(imds_count(&em), 3);
    // 1 s, then 2 s.
    assert_eq!(
        clock.now_for_test().duration_since(start).unwrap(),
        Duration::from_secs(3)
    );
}

trait NowForTest {
    fn now_for_test(&self) -> SystemTime;
}
impl NowForTest for ManualClock {
    fn now_for_test(&self) -> SystemTime {
        msal_core::Clock::now(self)
    }
}

#[tokio::test]
async fn imds_retries_are_bounded_and_then_throttled() {
    let em = emulator().await;
    em.add_fault(FaultRule::status(Endpoint::Imds, 10, 503));
    let clock = ManualClock::new(SystemTime::now());
    let mi = client_builder(SystemAssignedManagedIdentity, imds_env(&em))
        .clock(clock.clone())
        .sleep_impl(ManualSleep::new(clock.clone()))
        .build();
    let e = mi.acquire_token_for_client(RESOURCE).await.unwrap_err();
    assert_eq!(
        e.service_error().unwrap().status.map(|s| s.as_u16()),
        Some(503)
    );
    assert_eq!(imds_count(&em), 4, "one attempt and three retries");
    // The identical request is held back for the default 5 s, without a request.
    let e = mi.acquire_token_for_client(RESOURCE).await.unwrap_err();
    assert!(matches!(e, Error::Throttled { .. }), "{e:?}");
    assert_eq!(imds_count(&em), 4);
    em.clear_faults();
    clock.advance(Duration::from_secs(6));
    mi.acquire_token_for_client(RESOURCE).await.unwrap();
    assert_eq!(imds_count(&em), 5);
}

#[tokio::test]
async fn imds_does_not_retry_a_400_and_other_sources_do_not_retry() {
    let em = emulator().await;
    em.add_fault(FaultRule::status(Endpoint::Imds, 1, 400));
    let mi = client(SystemAssignedManagedIdentity, imds_env(&em));
    assert!(mi.acquire_token_for_client(RESOURCE).await.is_err());
    assert_eq!(imds_count(&em), 1);

    em.add_fault(FaultRule::status(Endpoint::AppService, 1, 500));
    let app = client(SystemAssignedManagedIdentity, app_service_env(&em));
    let e = app.acquire_token_for_client(RESOURCE).await.unwrap_err();
    assert_eq!(e.service_error().unwrap().error, "temporarily_unavailable");
    assert_eq!(em.count("GET", "/msi/token"), 1);
}

#[tokio::test]
async fn retry_after_throttles_identical_requests() {
    let em = emulator().await;
    em.add_fault(FaultRule::new(
        Endpoint::AppService,
        1,
        Fault::Status {
            status: 429,
            retry_after: Some("30".into()),
            body: None,
        },
    ));
    let clock = ManualClock::new(SystemTime::now());
    let mi = client(SystemAssignedManagedIdentity, app_service_env(&em)).with_clock(clock.clone());
    let e = mi.acquire_token_for_client(RESOURCE).await.unwrap_err();
    assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
    clock.advance(Duration::from_secs(10));
    let e = mi.acquire_token_for_client(RESOURCE).await.unwrap_err();
    assert!(
        matches!(e, Error::Throttled { retry_after, .. } if retry_after == Duration::from_secs(20))
    );
    // Another resource is another request.
    mi.acquire_token_for_client("https://vault.azure.net")
        .await
        .unwrap();
    clock.advance(Duration::from_secs(21));
    mi.acquire_token_for_client(RESOURCE).await.unwrap();
    assert_eq!(em.count("GET", "/msi/token"), 3);
}

#[tokio::test]
async fn claims_challenge_bypasses_the_cache() {
    let em = emulator().await;
    let mi = client(SystemAssignedManagedIdentity, imds_env(&em));
    let first = mi.acquire_token_for_client(RESOURCE).await.unwrap();
    let hit = mi.acquire_token_for_client(RESOURCE).await.unwrap();
    assert_eq!(hit.token_source(), TokenSource::Cache);
    assert_eq!(imds_count(&em), 1);
    let fresh = mi
        .acquire_token_for_client(RESOURCE)
        .claims_challenge(r#"{"access_token":{"xms_cc":{"values":["cp1"]}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.token_source(), TokenSource::IdentityProvider);
    assert_eq!(imds_count(&em), 2);
    // IMDS takes neither the revoked token's hash nor capabilities.
    let last = mi_requests(&em).pop().unwrap();
    assert_eq!(last.query_keys(), ["api-version", "resource"]);
    let _ = first;
}

#[tokio::test]
async fn proactive_refresh_falls_back_to_the_cached_token() {
    let em = emulator().await;
    let clock = ManualClock::new(SystemTime::now());
    let mi = client(SystemAssignedManagedIdentity, app_service_env(&em)).with_clock(clock.clone());
    let first = mi.acquire_token_for_client(RESOURCE).await.unwrap();
    let refresh_on = first.refresh_on().unwrap();
    // Past refresh_on (half of a day), well before expiry: a refresh is tried.
    clock.set(refresh_on + Duration::from_secs(60));
    em.add_fault(FaultRule::status(Endpoint::AppService, 1, 500));
    let fallback = mi.acquire_token_for_client(RESOURCE).await.unwrap();
    assert_eq!(fallback.token_source(), TokenSource::Cache);
    assert_eq!(
        fallback.access_token().secret(),
        first.access_token().secret()
    );
    assert_eq!(em.count("GET", "/msi/token"), 2);
    // The 500 holds for 5 s; after that the refresh succeeds.
    clock.advance(Duration::from_secs(6));
    let refreshed = mi.acquire_token_for_client(RESOURCE).await.unwrap();
    assert_eq!(refreshed.token_source(), TokenSource::IdentityProvider);
    assert_eq!(em.count("GET", "/msi/token"), 3);
}

#[tokio::test]
async fn proactive_refresh_does_not_fall_back_on_a_client_error() {
    // The fallback rule of every cached flow: only failures a retry may cure (5xx, 429,
    // timeouts, connection errors) answer with the still-valid cached token.
    let em = emulator().await;
    let clock = ManualClock::new(SystemTime::now());
    let mi = client(SystemAssignedManagedIdentity, app_service_env(&em)).with_clock(clock.clone());
    let first = mi.acquire_token_for_client(RESOURCE).await.unwrap();
    clock.set(first.refresh_on().unwrap() + Duration::from_secs(60));
    em.add_fault(FaultRule::status(Endpoint::AppService, 1, 400));
    let refused = mi.acquire_token_for_client(RESOURCE).await;
    assert!(
        refused.is_err(),
        "a 400 must not be answered from the cache"
    );
    assert_eq!(em.count("GET", "/msi/token"), 2);
}

#[tokio::test]
async fn concurrent_callers_share_one_request() {
    let em = emulator().await;
    em.add_fault(FaultRule::new(
        Endpoint::Imds,
        1,
        Fault::Delay(Duration::from_millis(300)),
    ));
    let mi = client(SystemAssignedManagedIdentity, imds_env(&em));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let mi = mi.clone();
            tokio::spawn(async move { mi.acquire_token_for_client(RESOURCE).await })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap().unwrap().access_token().secret().to_owned());
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 1);
    assert_eq!(imds_count(&em), 1);
}

#[tokio::test]
async fn broken_answers_are_typed_errors() {
    let em = emulator().await;
    let mi = client(SystemAssignedManagedIdentity, app_service_env(&em));
    type Check = fn(&Error) -> bool;
    let cases: Vec<(Fault, Check)> = vec![
        (Fault::MalformedJson, |e| {
            matches!(e, Error::InvalidResponse { .. })
        }),
        (Fault::WrongContentType, |e| {
            matches!(e, Error::InvalidResponse { .. })
        }),
        (Fault::HtmlErrorPage, |e| {
            e.service_error()
                .is_some_and(|s| s.error == "service_not_available")
        }),
        (
            Fault::OversizeBody(400_000),
            |e| matches!(e, Error::Transport(t) if t.kind() == TransportErrorKind::BodyTooLarge),
        ),
        (Fault::ConnectionReset, |e| matches!(e, Error::Transport(_))),
    ];
    for (fault, check) in cases {
        mi.http_cache().clear();
        em.add_fault(FaultRule::new(Endpoint::AppService, 1, fault.clone()));
        let e = mi.acquire_token_for_client(RESOURCE).await.unwrap_err();
        assert!(check(&e), "{fault:?}: {e:?}");
        assert!(!e.to_string().contains("eyJ"), "no token in {e}");
    }
}

#[tokio::test]
async fn a_past_expires_on_is_never_served_from_the_cache() {
    let now = SystemTime::now();
    let past = msal_core::clock::unix_secs(now) - 10;
    let body = format!(
        r#"{{"access_token":"at-past","expires_on":"{past}","resource":"r","token_type":"Bearer"}}"#
    );
    let http = Scripted::new()
        .answer(200, &[("content-type", "application/json")], body.clone())
        .answer(200, &[("content-type", "application/json")], body);
    let env = msal_core::Env::from_vars([
        ("IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi/token"),
        ("IDENTITY_HEADER", "h"),
    ]);
    let mi = msal_managed_identity::ManagedIdentityClient::new(
        SystemAssignedManagedIdentity,
        http.clone(),
    )
    .with_env(env);
    let r = mi.acquire_token_for_client("r").await.unwrap();
    assert_eq!(r.expires_in(), Duration::ZERO);
    mi.acquire_token_for_client("r").await.unwrap();
    assert_eq!(http.count(), 2);
}

#[tokio::test]
async fn python_cache_entries_are_served_without_a_request() {
    let em = emulator().await;
    let cache = msal_cache::TokenCache::new();
    cache
        .deserialize(msal_test_support::fixtures::PYTHON_CACHE)
        .unwrap();
    let clock = ManualClock::new(from_unix_secs(1_795_670_000));
    let system = client(SystemAssignedManagedIdentity, imds_env(&em))
        .with_token_cache(cache.clone())
        .with_clock(clock.clone());
    let r = system.acquire_token_for_client(RESOURCE).await.unwrap();
    assert_eq!(r.token_source(), TokenSource::Cache);
    assert_eq!(r.refresh_on(), Some(from_unix_secs(1_795_712_696)));
    for id in [
        ids::MI_IMDS_CLIENT_ID,
        ids::MI_APP_SERVICE_CLIENT_ID,
        ids::MI_ML_CLIENT_ID,
        ids::MI_SERVICE_FABRIC_CLIENT_ID,
    ] {
        let user = client(UserAssignedManagedIdentity::client_id(id), imds_env(&em))
            .with_token_cache(cache.clone())
            .with_clock(clock.clone());
        let r = user.acquire_token_for_client(RESOURCE).await.unwrap();
        assert_eq!(r.token_source(), TokenSource::Cache, "{id}");
    }
    assert!(mi_requests(&em).is_empty());
    // Past refresh_on, the Python entry is refreshed over the wire.
    clock.set(from_unix_secs(1_795_712_700));
    let r = system.acquire_token_for_client(RESOURCE).await.unwrap();
    assert_eq!(r.token_source(), TokenSource::IdentityProvider);
}

#[tokio::test]
async fn secrets_stay_out_of_debug_and_errors() {
    let em = emulator().await;
    let mi = client(SystemAssignedManagedIdentity, app_service_env(&em));
    let r = mi.acquire_token_for_client(RESOURCE).await.unwrap();
    let header = em.config().app_service_identity_header.clone();
    for shown in [
        format!("{mi:?}"),
        format!("{r:?}"),
        format!("{:?}", mi.acquire_token_for_client(RESOURCE)),
    ] {
        assert!(!shown.contains(&header), "{shown}");
        assert!(!shown.contains(r.access_token().secret()), "{shown}");
    }
    let e = mi.acquire_token_for_client("").await.unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)));
}
