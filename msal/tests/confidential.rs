//! Confidential clients end to end against the emulator: client credentials with every
//! credential kind, wire parity with MSAL Python, cache hits, faults, single-flight, OBO and the
//! web-app auth code flow.
#![cfg(feature = "reqwest")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use msal::{Certificate, ClientCredential, Error, TokenSource, prelude::*};
use support::*;

#[tokio::test]
async fn client_credentials_with_a_secret_then_from_the_cache() {
    let emu = emulator().await;
    let app = secret_app(&emu);
    let first = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(first.token_source(), TokenSource::IdentityProvider);
    assert!(first.account().is_none());
    assert_eq!(first.scopes(), vec![ids::APP_SCOPE.to_string()]);
    let second = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(second.token_source(), TokenSource::Cache);
    assert_eq!(second.access_token(), first.access_token());
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 1);

    // Wire parity with MSAL Python's cc_secret flow, discovery GET included.
    let python = python_requests("cc_secret");
    assert_wire_parity(&sent(&emu, "GET", "/openid-configuration")[0], &python[0]);
    assert_wire_parity(&sent(&emu, "POST", "/oauth2/v2.0/token")[0], &python[1]);
}

/// `.await` on the builder runs `TokenRequestFuture`: the network path, then the memoised hit
/// (ready on its first poll, on another thread too), and an error, not a panic, when polled
/// again after it completed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awaiting_the_builder_goes_to_the_network_then_hits_and_never_panics() {
    use std::{
        future::{Future, IntoFuture},
        task::{Context, Poll, Waker},
    };
    let emu = emulator().await;
    let app = secret_app(&emu);
    let first = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(first.token_source(), TokenSource::IdentityProvider);
    for _ in 0..3 {
        let hit = app
            .acquire_token_for_client([ids::APP_SCOPE])
            .await
            .unwrap();
        assert_eq!(hit.token_source(), TokenSource::Cache);
        assert_eq!(hit.access_token(), first.access_token());
        assert_eq!(hit.scopes(), [ids::APP_SCOPE]);
    }
    // Another thread's first call finds the token through the cache, then memoises it.
    let other = app.clone();
    let from_other_thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(
            other
                .acquire_token_for_client([ids::APP_SCOPE])
                .into_future(),
        )
    })
    .join()
    .unwrap()
    .unwrap();
    assert_eq!(from_other_thread.access_token(), first.access_token());
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 1);

    let mut future = std::pin::pin!(app.acquire_token_for_client([ids::APP_SCOPE]).into_future());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(
        matches!(future.as_mut().poll(&mut cx), Poll::Ready(Ok(_))),
        "a hit is ready at once"
    );
    assert!(matches!(
        future.as_mut().poll(&mut cx),
        Poll::Ready(Err(Error::InvalidArgument(_)))
    ));
}

#[tokio::test]
async fn client_credentials_with_certificates_match_msal_python() {
    let emu = emulator().await;
    let (key, cert) = emu.client_certificate();
    let sni = Certificate::from_pem(&key, None)
        .unwrap()
        .with_public_certificate_pem(&cert)
        .unwrap(); // x5c by default, as MSAL Python sends it with a public certificate
    let app = confidential_app(&emu, ClientCredential::certificate(sni))
        .build()
        .unwrap();
    app.acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    let ours = sent(&emu, "POST", "/oauth2/v2.0/token").remove(0);
    let python = &python_requests("cc_cert_sni_ps256")[1];
    assert_wire_parity(&ours, python);
    assert_eq!(
        assertion_header_keys(&ours),
        python["assertion_header"],
        "the JWT header MSAL Python sends with a public certificate (x5c included)"
    );

    let emu = emulator().await;
    let (key, _) = emu.client_certificate();
    let sha1 = Certificate::from_pem(&key, None)
        .unwrap()
        .with_thumbprint_sha1(&emu.client_certificate_thumbprint())
        .unwrap();
    let app = confidential_app(&emu, ClientCredential::certificate(sha1))
        .build()
        .unwrap();
    app.acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    let ours = sent(&emu, "POST", "/oauth2/v2.0/token").remove(0);
    let python = &python_requests("cc_cert_sha1_rs256")[1];
    assert_wire_parity(&ours, python);
    assert_eq!(assertion_header_keys(&ours), python["assertion_header"]);
}

/// The sorted keys of the JOSE header of the request's `client_assertion`.
fn assertion_header_keys(request: &msal_emulator::LoggedRequest) -> serde_json::Value {
    use base64::Engine as _;
    let jwt = request.form_param("client_assertion").unwrap();
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jwt.split('.').next().unwrap())
        .unwrap();
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&header).unwrap();
    let mut keys: Vec<&String> = header.keys().collect();
    keys.sort();
    serde_json::json!(keys)
}

#[tokio::test]
async fn a_wrong_secret_is_a_service_error_without_the_secret() {
    let emu = emulator().await;
    let app = confidential_app(&emu, ClientCredential::secret("not-the-secret"))
        .build()
        .unwrap();
    let e = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap_err();
    let se = e.service_error().expect("a service error");
    assert_eq!(se.error, "invalid_client");
    assert!(!format!("{e} {e:?}").contains("not-the-secret"));
}

#[tokio::test]
async fn a_503_is_retried_once_and_429_throttles_the_identical_request() {
    let emu = emulator().await;
    let app = secret_app(&emu);
    emu.add_fault(FaultRule::new(
        Endpoint::Token,
        1,
        Fault::Status {
            status: 503,
            retry_after: None,
            body: None,
        },
    ));
    assert!(app.acquire_token_for_client([ids::APP_SCOPE]).await.is_ok());
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 2);

    let scope = "https://other.fake-entra.invalid/.default";
    emu.add_fault(FaultRule::new(
        Endpoint::Token,
        1,
        Fault::Status {
            status: 429,
            retry_after: Some("30".into()),
            body: None,
        },
    ));
    let first = app.acquire_token_for_client([scope]).await.unwrap_err();
    assert_eq!(
        first.retry_after(),
        Some(Duration::from_secs(30)),
        "{first:?}"
    );
    let second = app.acquire_token_for_client([scope]).await.unwrap_err();
    assert!(matches!(second, Error::Throttled { .. }), "{second:?}");
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 3);
}

#[tokio::test]
async fn hostile_token_answers_are_typed_errors() {
    for fault in [
        Fault::MalformedJson,
        Fault::WrongContentType,
        Fault::OversizeBody(4 * 1024 * 1024),
    ] {
        let emu = emulator().await;
        let app = secret_app(&emu);
        emu.add_fault(FaultRule::new(Endpoint::Token, 1, fault.clone()));
        let e = app
            .acquire_token_for_client([ids::APP_SCOPE])
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::InvalidResponse { .. } | Error::Transport(_)),
            "{fault:?}: {e:?}"
        );
        assert_eq!(
            app.token_cache()
                .count(msal::cache::CredentialType::AccessToken),
            0
        );
    }
}

#[tokio::test]
async fn a_connection_dropped_mid_body_is_retried_once() {
    let emu = emulator().await;
    let app = secret_app(&emu);
    emu.add_fault(FaultRule::new(Endpoint::Token, 1, Fault::TruncatedBody));
    assert!(app.acquire_token_for_client([ids::APP_SCOPE]).await.is_ok());
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 2);
    emu.add_fault(FaultRule::new(Endpoint::Token, 2, Fault::ConnectionReset));
    let e = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .force_refresh(true)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_callers_make_one_token_request() {
    let emu = emulator().await;
    let app = secret_app(&emu);
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.acquire_token_for_client([ids::APP_SCOPE]).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 1);
    assert_eq!(emu.count("GET", "/openid-configuration"), 1);
}

#[tokio::test]
async fn force_refresh_and_claims_challenges_skip_the_cache() {
    let emu = emulator().await;
    let app = secret_app(&emu);
    app.acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    let forced = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .force_refresh(true)
        .await
        .unwrap();
    assert_eq!(forced.token_source(), TokenSource::IdentityProvider);
    let last = sent(&emu, "POST", "/oauth2/v2.0/token").pop().unwrap();
    assert_eq!(last.header("x-client-current-telemetry"), Some("4|730,1|"));
    let challenged = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .claims_challenge(r#"{"access_token":{"nbf":{"essential":true,"value":"1"}}}"#)
        .await
        .unwrap();
    assert_eq!(challenged.token_source(), TokenSource::IdentityProvider);
    assert!(
        sent(&emu, "POST", "/oauth2/v2.0/token")
            .pop()
            .unwrap()
            .form_param("claims")
            .is_some()
    );
}

#[tokio::test]
async fn web_app_auth_code_flow_then_silent() {
    let emu = emulator().await;
    let app = secret_app(&emu);
    let flow = app
        .initiate_auth_code_flow([ids::USER_SCOPE])
        .redirect_uri(ids::REDIRECT_URI)
        .await
        .unwrap();
    // The flow survives a round trip through the session store.
    let flow: msal::AuthCodeFlow =
        serde_json::from_str(&serde_json::to_string(&flow).unwrap()).unwrap();
    let location = follow_authorize(&emu, flow.auth_uri()).await;
    let response = msal::AuthResponse::from_redirect_url(&location).unwrap();
    let result = app
        .acquire_token_by_auth_code_flow(&flow, response)
        .await
        .unwrap();
    let account = result.account().cloned().expect("an account");
    assert_eq!(account.username, ids::USER_UPN);
    assert_eq!(
        account.home_account_id,
        format!("{}.{}", ids::USER_OID, ids::TENANT_ID)
    );
    assert_eq!(account.environment, "127.0.0.1");
    assert_wire_parity(
        &sent(&emu, "POST", "/oauth2/v2.0/token")[0],
        &python_requests("auth_code_confidential")[2],
    );

    let accounts = app.get_accounts().await.unwrap();
    assert_eq!(accounts, vec![account.clone()]);
    let silent = app
        .acquire_token_silent([ids::USER_SCOPE], &account)
        .await
        .unwrap();
    assert_eq!(silent.token_source(), TokenSource::Cache);
    let refreshed = app
        .acquire_token_silent([ids::USER_SCOPE], &account)
        .force_refresh(true)
        .await
        .unwrap();
    assert_eq!(refreshed.token_source(), TokenSource::IdentityProvider);
    let last = sent(&emu, "POST", "/oauth2/v2.0/token").pop().unwrap();
    assert_eq!(last.form_param("grant_type"), Some("refresh_token"));
    assert_eq!(last.header("x-client-current-telemetry"), Some("4|84,1|"));
}

#[tokio::test]
async fn a_tampered_state_is_refused_without_redeeming_the_code() {
    let emu = emulator().await;
    let app = secret_app(&emu);
    let flow = app
        .initiate_auth_code_flow([ids::USER_SCOPE])
        .redirect_uri(ids::REDIRECT_URI)
        .await
        .unwrap();
    let location = follow_authorize(&emu, flow.auth_uri())
        .await
        .replace(&format!("state={}", flow.state()), "state=forged");
    let e = app
        .acquire_token_by_auth_code_flow(
            &flow,
            msal::AuthResponse::from_redirect_url(&location).unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::StateMismatch));
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 0);
}

#[tokio::test]
async fn a_nonce_mismatch_fails_and_caches_nothing() {
    let emu = emulator().await;
    let app = secret_app(&emu);
    let flow = app
        .initiate_auth_code_flow([ids::USER_SCOPE])
        .redirect_uri(ids::REDIRECT_URI)
        .await
        .unwrap();
    let location = follow_authorize(&emu, &with_forged_nonce(flow.auth_uri())).await;
    let e = app
        .acquire_token_by_auth_code_flow(
            &flow,
            msal::AuthResponse::from_redirect_url(&location).unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::IdToken(msal::IdTokenError::NonceMismatch)),
        "{e:?}"
    );
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 1);
    // The rejected sign-in left nothing behind for acquire_token_silent to serve.
    assert!(app.get_accounts().await.unwrap().is_empty());
    assert_cache_empty(app.token_cache());
}

/// A token response for the emulator's test user whose ID token has `claims`.
fn token_response_with_claims(claims: serde_json::Value) -> String {
    use base64::Engine as _;
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let client_info = b64(&serde_json::json!({"uid": ids::USER_OID, "utid": ids::TENANT_ID}));
    let id_token = format!(
        "{}.{}.sig",
        b64(&serde_json::json!({"alg": "RS256"})),
        b64(&claims)
    );
    serde_json::json!({
        "token_type": "Bearer",
        "access_token": "AT-CANARY",
        "refresh_token": "RT-CANARY",
        "expires_in": 3600,
        "scope": ids::USER_SCOPE,
        "client_info": client_info,
        "id_token": id_token,
    })
    .to_string()
}

#[tokio::test]
async fn an_id_token_with_mistyped_claims_fails_the_checks_and_caches_nothing() {
    let emu = emulator().await;
    let app = secret_app(&emu);
    let user = |nonce: &str, exp: serde_json::Value| {
        serde_json::json!({
            "nonce": nonce, "exp": exp, "aud": ids::CONFIDENTIAL_CLIENT_ID,
            "oid": ids::USER_OID, "tid": ids::TENANT_ID, "preferred_username": ids::USER_UPN,
        })
    };
    for (forge_nonce, is_expected) in [
        (
            false,
            (|e| matches!(e, msal::IdTokenError::Malformed(_))) as fn(&_) -> bool,
        ),
        (true, |e| matches!(e, msal::IdTokenError::NonceMismatch)),
    ] {
        let flow = app
            .initiate_auth_code_flow([ids::USER_SCOPE])
            .redirect_uri(ids::REDIRECT_URI)
            .await
            .unwrap();
        let sent_nonce = url::Url::parse(flow.auth_uri())
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "nonce")
            .unwrap()
            .1
            .into_owned();
        let nonce = if forge_nonce { "forged" } else { &sent_nonce };
        let body = token_response_with_claims(user(nonce, "soon-CANARY".into()));
        emu.add_fault(FaultRule::new(
            Endpoint::Token,
            1,
            Fault::Status {
                status: 200,
                retry_after: None,
                body: Some(body),
            },
        ));
        let location = follow_authorize(&emu, flow.auth_uri()).await;
        let e = app
            .acquire_token_by_auth_code_flow(
                &flow,
                msal::AuthResponse::from_redirect_url(&location).unwrap(),
            )
            .await
            .unwrap_err();
        match &e {
            Error::IdToken(id) if is_expected(id) => {}
            other => panic!("forged nonce {forge_nonce}: {other:?}"),
        }
        assert!(!e.to_string().contains("CANARY"), "{e}");
        assert!(!format!("{e:?}").contains("CANARY"), "{e:?}");
        assert!(app.get_accounts().await.unwrap().is_empty());
        assert_cache_empty(app.token_cache());
    }
}

#[tokio::test]
async fn a_spa_code_in_the_response_is_a_secret_of_the_result() {
    let emu = emulator().await;
    let app = secret_app(&emu);
    let body = serde_json::json!({
        "token_type": "Bearer", "access_token": "AT-CANARY", "expires_in": 3600,
        "spa_code": "SPA-CODE-CANARY", "spa_accesstoken": "SPA-AT-CANARY",
        "some_new_token": "NEW-TOKEN-CANARY", "resource": "visible",
    });
    emu.add_fault(FaultRule::new(
        Endpoint::Token,
        1,
        Fault::Status {
            status: 200,
            retry_after: None,
            body: Some(body.to_string()),
        },
    ));
    let result = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(result.spa_code().unwrap().secret(), "SPA-CODE-CANARY");
    assert_eq!(result.spa_access_token().unwrap().secret(), "SPA-AT-CANARY");
    assert_eq!(result.extra().get("resource"), Some(&"visible".into()));
    assert!(!result.extra().contains_key("some_new_token"));
    let debug = format!("{result:?}");
    assert!(!debug.contains("CANARY"), "{debug}");
}

#[tokio::test]
async fn on_behalf_of_is_cached_by_assertion() {
    let emu = emulator().await;
    let pca = public_app(&emu).build().unwrap();
    #[allow(deprecated)]
    let user = pca
        .acquire_token_by_username_password(ids::USER_UPN, ids::USER_PASSWORD, [ids::USER_SCOPE])
        .await
        .unwrap();
    let api = obo_api(&emu);
    let first = api
        .acquire_token_on_behalf_of(user.access_token().clone(), [ids::OBO_DOWNSTREAM_SCOPE])
        .await
        .unwrap();
    assert_eq!(first.token_source(), TokenSource::IdentityProvider);
    let obo = sent(&emu, "POST", "/oauth2/v2.0/token").pop().unwrap();
    assert_wire_parity(&obo, &python_requests("obo")[1]);
    let second = api
        .acquire_token_on_behalf_of(user.access_token().clone(), [ids::OBO_DOWNSTREAM_SCOPE])
        .await
        .unwrap();
    assert_eq!(second.token_source(), TokenSource::Cache);
}

/// Plays the browser: GETs the authorize URL and returns the redirect's Location.
pub async fn follow_authorize(emu: &Emulator, auth_uri: &str) -> String {
    use msal::http::HttpClient;
    let req = http::Request::get(auth_uri).body(Vec::new()).unwrap();
    let resp = support::http(emu).send(req).await.unwrap();
    assert_eq!(
        resp.status(),
        302,
        "{}",
        String::from_utf8_lossy(resp.body())
    );
    resp.headers()["location"].to_str().unwrap().to_owned()
}
