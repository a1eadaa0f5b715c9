//! Public clients end to end against the emulator: device code, username/password, silent
//! refresh after expiry, accounts, refresh-token migration, and MSAL Python wire parity.
#![cfg(feature = "reqwest")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, deprecated)]

mod support;

use std::time::{Duration, SystemTime};

use msal::{Error, InteractionReason, ManualClock, TokenSource, prelude::*};
use msal_core::InstantSleep;
use support::*;

#[tokio::test]
async fn device_code_flow_polls_until_approved() {
    let emu = emulator().await;
    let app = public_app(&emu).sleep_impl(InstantSleep).build().unwrap();
    let flow = app.initiate_device_flow([ids::USER_SCOPE]).await.unwrap();
    assert!(flow.message.contains(&flow.user_code));
    assert!(!format!("{flow:?}").contains(&flow.device_code));
    let result = app.acquire_token_by_device_flow(&flow).await.unwrap();
    assert_eq!(
        result.account().unwrap().account_source.as_deref(),
        Some("urn:ietf:params:oauth:grant-type:device_code")
    );

    let python = python_requests("device_flow");
    let ours = emu
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect::<Vec<_>>();
    assert_wire_parity(&ours[0], &python[1]);
    assert_wire_parity(&ours[1], &python[2]);
    assert_wire_parity(&ours[2], &python[3]);
}

#[tokio::test]
async fn device_code_calls_pass_extra_body_and_query_params() {
    let emu = emulator().await;
    let app = public_app(&emu).sleep_impl(InstantSleep).build().unwrap();
    let flow = app
        .initiate_device_flow([ids::USER_SCOPE])
        .extra_body_param("x_start", "a")
        // Ours win over the caller's, as in MSAL Python's `data=` merge.
        .extra_body_param("client_id", "not-the-client")
        .extra_query_param("dc", "ESTS-PUB-WUS2")
        .await
        .unwrap();
    let result = app
        .acquire_token_by_device_flow(&flow)
        .extra_body_param("x_poll", "b")
        .extra_query_param("slice", "testslice")
        .await
        .unwrap();
    assert!(result.account().is_some());
    let start = sent(&emu, "POST", "/devicecode").remove(0);
    assert_eq!(start.form_param("x_start"), Some("a"));
    assert_eq!(start.form_param("client_id"), Some(ids::PUBLIC_CLIENT_ID));
    assert_eq!(start.query_param("dc"), Some("ESTS-PUB-WUS2"));
    let polls = sent(&emu, "POST", "/oauth2/v2.0/token");
    assert!(!polls.is_empty());
    for poll in &polls {
        assert_eq!(poll.form_param("x_poll"), Some("b"));
        assert_eq!(poll.query_param("slice"), Some("testslice"));
        assert_eq!(poll.form_param("x_start"), None, "each leg has its own");
    }

    // Both legs at once.
    let emu = emulator().await;
    let app = public_app(&emu).sleep_impl(InstantSleep).build().unwrap();
    app.acquire_token_with_device_code([ids::USER_SCOPE])
        .on_device_code(|_| {})
        .extra_body_param("x_both", "c")
        .extra_query_param("q_both", "d")
        .await
        .unwrap();
    for request in sent(&emu, "POST", "/devicecode").into_iter().chain(sent(
        &emu,
        "POST",
        "/oauth2/v2.0/token",
    )) {
        assert_eq!(request.form_param("x_both"), Some("c"));
        assert_eq!(request.query_param("q_both"), Some("d"));
    }
}

#[tokio::test]
async fn device_code_decline_expiry_and_cancellation_are_typed() {
    let emu = Emulator::start(EmulatorConfig::default().device_code_polls_before_approval(None))
        .await
        .unwrap();
    let app = public_app(&emu).sleep_impl(InstantSleep).build().unwrap();
    let flow = app.initiate_device_flow([ids::USER_SCOPE]).await.unwrap();
    assert!(emu.decline_device_code(&flow.user_code));
    assert!(matches!(
        app.acquire_token_by_device_flow(&flow).await,
        Err(Error::AuthorizationDeclined(_))
    ));

    let flow = app.initiate_device_flow([ids::USER_SCOPE]).await.unwrap();
    let stop = app
        .acquire_token_by_device_flow(&flow)
        .exit_condition(|_| true)
        .await;
    assert!(matches!(stop, Err(Error::Cancelled)));
    let cancelled = app
        .acquire_token_by_device_flow(&flow)
        .cancel_on(std::future::ready(()))
        .await;
    assert!(matches!(cancelled, Err(Error::Cancelled)));
    let mut expired = flow.clone();
    expired.expires_at = SystemTime::UNIX_EPOCH;
    assert!(matches!(
        app.acquire_token_by_device_flow(&expired).await,
        Err(Error::DeviceCodeExpired(_))
    ));
}

#[tokio::test]
async fn username_password_matches_msal_python_and_feeds_silent() {
    let emu = emulator().await;
    let clock = ManualClock::new(SystemTime::now());
    let app = public_app(&emu).clock(clock.clone()).build().unwrap();
    let result = app
        .acquire_token_by_username_password(ids::USER_UPN, ids::USER_PASSWORD, [ids::USER_SCOPE])
        .await
        .unwrap();
    assert_eq!(result.token_source(), TokenSource::IdentityProvider);
    let python = python_requests("username_password");
    assert_wire_parity(
        &sent(&emu, "GET", &format!("/userrealm/{}", ids::USER_UPN))[0],
        &python[1],
    );
    assert_wire_parity(&sent(&emu, "POST", "/oauth2/v2.0/token")[0], &python[2]);

    let account = app
        .get_accounts()
        .username("ALICE@contoso.example")
        .await
        .unwrap()
        .pop()
        .expect("one account");
    assert_eq!(account.account_source.as_deref(), Some("password"));
    // Two hours later the access token has expired: the refresh token is used (telemetry 84,3).
    clock.advance(Duration::from_secs(7200));
    let refreshed = app
        .acquire_token_silent([ids::USER_SCOPE], &account)
        .await
        .unwrap();
    assert_eq!(refreshed.token_source(), TokenSource::IdentityProvider);
    let refresh = sent(&emu, "POST", "/oauth2/v2.0/token").pop().unwrap();
    assert_wire_parity(&refresh, &python_requests("silent_refresh_after_expiry")[1]);

    let cached = app
        .acquire_token_silent([ids::USER_SCOPE], &account)
        .await
        .unwrap();
    assert_eq!(cached.token_source(), TokenSource::Cache);
    assert_eq!(cached.account(), Some(&account));

    app.remove_account(&account).await.unwrap();
    assert!(app.get_accounts().await.unwrap().is_empty());
    let gone = app.acquire_token_silent([ids::USER_SCOPE], &account).await;
    assert!(matches!(
        gone,
        Err(Error::InteractionRequired {
            reason: InteractionReason::NoTokenFound,
            ..
        })
    ));
    assert!(
        app.acquire_token_silent([ids::USER_SCOPE], &account)
            .await
            .optional()
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_wrong_password_and_a_revoked_refresh_token_ask_for_interaction() {
    let emu = emulator().await;
    let clock = ManualClock::new(SystemTime::now());
    let app = public_app(&emu).clock(clock.clone()).build().unwrap();
    let wrong = app
        .acquire_token_by_username_password(ids::USER_UPN, "wrong", [ids::USER_SCOPE])
        .await
        .unwrap_err();
    assert!(wrong.is_interaction_required(), "{wrong:?}");
    assert!(!format!("{wrong} {wrong:?}").contains("alice-fake-password"));

    app.acquire_token_by_username_password(ids::USER_UPN, ids::USER_PASSWORD, [ids::USER_SCOPE])
        .await
        .unwrap();
    let account = app.get_accounts().await.unwrap().remove(0);
    emu.revoke_all_refresh_tokens();
    clock.advance(Duration::from_secs(7200));
    let e = app
        .acquire_token_silent([ids::USER_SCOPE], &account)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InteractionRequired {
                reason: InteractionReason::ServiceRequired,
                ..
            }
        ),
        "{e:?}"
    );
    // `.optional()` keeps a service-required interaction as an error; `.ok()` maps it to None.
    assert!(
        app.acquire_token_silent([ids::USER_SCOPE], &account)
            .await
            .optional()
            .is_err()
    );
    assert!(
        app.acquire_token_silent([ids::USER_SCOPE], &account)
            .await
            .ok()
            .is_none()
    );
}

#[tokio::test]
async fn federated_users_get_unsupported_for_ropc() {
    let emu = Emulator::start(EmulatorConfig::default().with_federated_user(
        "bob@federated.example",
        "0b0b0b0b-0000-4000-8000-000000000001",
    ))
    .await
    .unwrap();
    let app = public_app(&emu).build().unwrap();
    let e = app
        .acquire_token_by_username_password("bob@federated.example", "pw", [ids::USER_SCOPE])
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 0);
}

#[tokio::test]
async fn refresh_token_migration_stores_the_tokens() {
    let emu = emulator().await;
    let first = public_app(&emu).build().unwrap();
    first
        .acquire_token_by_username_password(ids::USER_UPN, ids::USER_PASSWORD, [ids::USER_SCOPE])
        .await
        .unwrap();
    let rt = refresh_token_of(&first);
    let migrated = public_app(&emu).build().unwrap();
    let result = migrated
        .acquire_token_by_refresh_token(rt, [ids::USER_SCOPE])
        .await
        .unwrap();
    assert!(result.account().is_some());
    assert_eq!(migrated.get_accounts().await.unwrap().len(), 1);
    let last = sent(&emu, "POST", "/oauth2/v2.0/token").pop().unwrap();
    assert_eq!(last.header("x-client-current-telemetry"), Some("4|85,1|"));
}

#[tokio::test]
async fn reserved_scopes_and_bad_authorities_are_rejected_up_front() {
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();
    let e = app.initiate_device_flow(["openid"]).await.unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)));
    assert!(
        msal::PublicClientApplication::builder("x")
            .authority("http://login.microsoftonline.com/common")
            .is_err()
    );
    assert!(
        msal::PublicClientApplication::builder("x")
            .exclude_scopes(["openid"])
            .build()
            .is_err()
    );
    assert_eq!(
        emu.requests().len(),
        0,
        "build() and argument checks make no request"
    );
}

fn refresh_token_of(app: &msal::PublicClientApplication) -> String {
    let json: serde_json::Value = serde_json::from_str(&app.token_cache().serialize()).unwrap();
    let rts = json["RefreshToken"].as_object().unwrap();
    rts.values().next().unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned()
}
