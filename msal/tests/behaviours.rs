//! Cross-flow behaviours end to end: FOCI, device-code slow_down, authorize-URL parity,
//! proactive refresh with its fallback, OBO isolation per assertion, scope rules.
#![cfg(feature = "reqwest")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, deprecated)]

mod support;

use std::{collections::BTreeSet, time::Duration};

use msal::{
    ClientCredential, Error, InstantSleep, ManualClock, PublicClientApplication, TokenCache,
    TokenSource, prelude::*,
};
use msal_emulator::ClientConfig;
use support::*;

const FAMILY_APP: &str = "00000000-0000-4000-8000-0000000000f1";

#[tokio::test]
async fn a_second_family_app_signs_in_silently_with_the_family_refresh_token() {
    let config = EmulatorConfig::default()
        .with_client(ClientConfig::public(FAMILY_APP).in_family())
        .foci_family([ids::PUBLIC_CLIENT_ID, FAMILY_APP]);
    let emu = Emulator::start(config).await.unwrap();
    let cache = TokenCache::new();
    let first = public_app(&emu).token_cache(cache.clone()).build().unwrap();
    let r = first
        .acquire_token_by_username_password(ids::USER_UPN, ids::USER_PASSWORD, [ids::USER_SCOPE])
        .await
        .unwrap();
    assert_eq!(r.extra().get("foci").and_then(|v| v.as_str()), Some("1"));
    let account = r.account().unwrap();

    let sibling = PublicClientApplication::builder(FAMILY_APP)
        .authority(emu.authority())
        .unwrap()
        .known_authorities(["127.0.0.1"])
        .http_client(http(&emu))
        .token_cache(cache)
        .build()
        .unwrap();
    let silent = sibling
        .acquire_token_silent([ids::USER_SCOPE], account)
        .await
        .unwrap();
    assert_eq!(silent.token_source(), TokenSource::IdentityProvider);
    let refresh = sent(&emu, "POST", "/oauth2/v2.0/token").pop().unwrap();
    assert_eq!(refresh.form_param("client_id"), Some(FAMILY_APP));
    assert_eq!(refresh.form_param("grant_type"), Some("refresh_token"));
}

#[tokio::test]
async fn device_code_polling_backs_off_on_slow_down() {
    let emu = Emulator::start(EmulatorConfig::default().device_code_slow_down_on_poll(Some(1)))
        .await
        .unwrap();
    let clock = ManualClock::new(std::time::SystemTime::now());
    let app = public_app(&emu)
        .sleep_impl(msal::ManualSleep::new(clock.clone()))
        .clock(clock.clone())
        .build()
        .unwrap();
    let flow = app.initiate_device_flow([ids::USER_SCOPE]).await.unwrap();
    let start = msal::Clock::now(&clock);
    app.acquire_token_by_device_flow(&flow).await.unwrap();
    let waited = msal::Clock::now(&clock).duration_since(start).unwrap();
    // One slow_down adds five seconds to every later wait (RFC 8628 §3.5).
    assert!(
        waited >= flow.interval + Duration::from_secs(5),
        "waited {waited:?}"
    );
    let _ = InstantSleep;
}

#[tokio::test]
async fn the_authorize_url_has_msal_pythons_query_keys() {
    let emu = emulator().await;
    let app = secret_app(&emu);
    let flow = app
        .initiate_auth_code_flow([ids::USER_SCOPE])
        .redirect_uri(ids::REDIRECT_URI)
        .await
        .unwrap();
    let url = url::Url::parse(flow.auth_uri()).unwrap();
    let ours: BTreeSet<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    let python = &python_requests("auth_code_confidential")[1];
    let want: BTreeSet<String> = python["query_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ours, want);
    // With a login hint the URL also carries the CCS routing hint, as MSAL Python's does.
    let hinted = app
        .initiate_auth_code_flow([ids::USER_SCOPE])
        .login_hint(ids::USER_UPN)
        .await
        .unwrap();
    let url = url::Url::parse(hinted.auth_uri()).unwrap();
    let anchor = url
        .query_pairs()
        .find(|(k, _)| k == "X-AnchorMailbox")
        .map(|(_, v)| v.into_owned());
    assert_eq!(
        anchor.as_deref(),
        Some(format!("UPN:{}", ids::USER_UPN).as_str())
    );
}

#[tokio::test]
async fn proactive_refresh_after_refresh_on_and_its_fallback() {
    let emu = Emulator::start(EmulatorConfig::default().refresh_in(Some(600)))
        .await
        .unwrap();
    let clock = ManualClock::new(std::time::SystemTime::now());
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
    assert!(first.refresh_on().is_some());
    clock.advance(Duration::from_secs(601));
    // Past refresh_on but not expired: the service is down, so the cached token is returned.
    emu.add_fault(FaultRule::new(
        Endpoint::Token,
        2,
        Fault::Status {
            status: 503,
            retry_after: None,
            body: None,
        },
    ));
    let fallback = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(fallback.token_source(), TokenSource::Cache);
    assert_eq!(fallback.access_token(), first.access_token());
    let refresh = sent(&emu, "POST", "/oauth2/v2.0/token").pop().unwrap();
    assert_eq!(
        refresh.header("x-client-current-telemetry"),
        Some("4|730,4|")
    );
    // Once the throttle from the 503 passes, the refresh succeeds.
    clock.advance(Duration::from_secs(61));
    let refreshed = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(refreshed.token_source(), TokenSource::IdentityProvider);
    assert_ne!(refreshed.access_token(), first.access_token());
}

#[tokio::test]
async fn obo_tokens_are_not_shared_between_assertions() {
    let emu = emulator().await;
    let pca = public_app(&emu).build().unwrap();
    let one = pca
        .acquire_token_by_username_password(ids::USER_UPN, ids::USER_PASSWORD, [ids::USER_SCOPE])
        .await
        .unwrap();
    let two = pca
        .acquire_token_silent([ids::USER_SCOPE], one.account().unwrap())
        .force_refresh(true)
        .await
        .unwrap();
    assert_ne!(one.access_token(), two.access_token());
    let api = obo_api(&emu);
    let a = api
        .acquire_token_on_behalf_of(one.access_token().clone(), [ids::OBO_DOWNSTREAM_SCOPE])
        .await
        .unwrap();
    let b = api
        .acquire_token_on_behalf_of(two.access_token().clone(), [ids::OBO_DOWNSTREAM_SCOPE])
        .await
        .unwrap();
    assert_eq!(
        (a.token_source(), b.token_source()),
        (TokenSource::IdentityProvider, TokenSource::IdentityProvider)
    );
    let a2 = api
        .acquire_token_on_behalf_of(one.access_token().clone(), [ids::OBO_DOWNSTREAM_SCOPE])
        .await
        .unwrap();
    assert_eq!(a2.token_source(), TokenSource::Cache);
    assert_eq!(a2.access_token(), a.access_token());
}

#[tokio::test]
async fn scope_rules_are_enforced_before_any_request() {
    let emu = emulator().await;
    let app = secret_app(&emu);
    for bad in [
        vec![],
        vec!["https://a/.default", "https://b/.default"],
        vec!["https://a/.default", "User.Read"],
        vec!["profile"],
    ] {
        let e = app.acquire_token_for_client(&bad).await.unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)), "{bad:?}: {e:?}");
    }
    assert_eq!(emu.requests().len(), 0);
}

#[tokio::test]
async fn faults_on_discovery_and_device_code_endpoints_end_in_a_retry_or_a_typed_error() {
    // Discovery: a 503 is retried once, then the flow goes on.
    let emu = emulator().await;
    let app = secret_app(&emu);
    emu.add_fault(FaultRule::new(
        Endpoint::OpenIdConfiguration,
        1,
        Fault::Status {
            status: 503,
            retry_after: None,
            body: None,
        },
    ));
    app.acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(emu.count("GET", "/openid-configuration"), 2);

    // Discovery answering an HTML page or broken JSON: a typed error, nothing cached.
    for fault in [
        Fault::HtmlErrorPage,
        Fault::MalformedJson,
        Fault::WrongContentType,
    ] {
        let emu = emulator().await;
        let app = secret_app(&emu);
        emu.add_fault(FaultRule::new(
            Endpoint::OpenIdConfiguration,
            2,
            fault.clone(),
        ));
        let e = app
            .acquire_token_for_client([ids::APP_SCOPE])
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidResponse { .. } | Error::Service(_) | Error::Configuration(_)
            ),
            "{fault:?}: {e:?}"
        );
        assert_eq!(
            emu.count("POST", "/token"),
            0,
            "no token request without endpoints"
        );
        assert_eq!(
            app.token_cache()
                .count(msal::cache::CredentialType::AccessToken),
            0
        );
    }

    // The device-code endpoint throttled: the Retry-After reaches the caller.
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();
    emu.add_fault(FaultRule::new(
        Endpoint::DeviceCode,
        1,
        Fault::Status {
            status: 429,
            retry_after: Some("7".into()),
            body: None,
        },
    ));
    let e = app
        .initiate_device_flow([ids::USER_SCOPE])
        .await
        .unwrap_err();
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)), "{e:?}");

    // A token request slower than the app's timeout: retried once, then a transport timeout.
    let emu = emulator().await;
    let app = confidential_app(
        &emu,
        ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
    .timeout(Duration::from_millis(300))
    .build()
    .unwrap();
    emu.add_fault(FaultRule::new(
        Endpoint::Token,
        2,
        Fault::Delay(Duration::from_secs(2)),
    ));
    let started = std::time::Instant::now();
    let e = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap_err();
    // Two attempts of 300 ms with the one-second pause between them (the emulator does not log
    // requests whose client hung up, so time is the witness).
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(&e, Error::Transport(t) if t.kind() == msal::http::TransportErrorKind::Timeout),
        "{e:?}"
    );
}

#[tokio::test]
async fn ssh_certificates_through_extra_fields_are_cached_apart_from_bearer_tokens() {
    let emu = emulator().await;
    let app = secret_app(&emu);
    let jwk = r#"{"kty":"RSA","n":"wXgA3h0v","e":"AQAB"}"#;
    fn ssh<'a>(
        app: &'a msal::ConfidentialClientApplication,
        jwk: &str,
    ) -> msal::AcquireTokenForClient<'a> {
        app.acquire_token_for_client([ids::APP_SCOPE])
            .extra_body_param("token_type", "ssh-cert")
            .extra_body_param("req_cnf", jwk)
            .extra_body_param("key_id", "key-1")
    }
    let first = ssh(&app, jwk).await.unwrap();
    assert_eq!(first.token_type(), "ssh-cert");
    assert!(
        first
            .access_token()
            .secret()
            .starts_with("ssh-rsa-cert-v01@openssh.com")
    );
    let request = sent(&emu, "POST", "/oauth2/v2.0/token").pop().unwrap();
    assert_eq!(request.form_param("key_id"), Some("key-1"));
    let second = ssh(&app, jwk).await.unwrap();
    assert_eq!(second.token_source(), TokenSource::Cache);
    assert_eq!(second.access_token(), first.access_token());

    let bearer = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(bearer.token_type(), "Bearer");
    assert_eq!(bearer.token_source(), TokenSource::IdentityProvider);
    let again = ssh(&app, jwk).await.unwrap();
    assert_eq!(
        again.access_token(),
        first.access_token(),
        "the bearer token did not overwrite the certificate"
    );

    let missing = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .extra_body_param("token_type", "ssh-cert")
        .extra_body_param("req_cnf", jwk)
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::InvalidArgument(_)), "{missing:?}");
}

#[tokio::test]
async fn the_client_credentials_fast_path_never_outlives_a_cache_change() {
    let emu = emulator().await;
    let app = secret_app(&emu);
    let first = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    for _ in 0..3 {
        let hit = app
            .acquire_token_for_client([ids::APP_SCOPE])
            .await
            .unwrap();
        assert_eq!(
            (hit.token_source(), hit.access_token().clone()),
            (TokenSource::Cache, first.access_token().clone())
        );
    }
    // Removing the token (or clearing, or deserializing another state) must end the memo.
    app.remove_tokens_for_client().await.unwrap();
    let fresh = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(fresh.token_source(), TokenSource::IdentityProvider);
    app.token_cache().clear();
    let after_clear = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(after_clear.token_source(), TokenSource::IdentityProvider);
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 3);
}
