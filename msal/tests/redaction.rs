//! Secrets never reach logs, Debug, Display or errors: full flows run with TRACE-level tracing
//! captured (PII logging off), then the capture and the Debug of every value that held a secret
//! are searched for every secret the flows handled.
#![cfg(feature = "reqwest")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, deprecated)]

mod support;

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use msal::prelude::*;
use support::*;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn trace_output_and_debug_never_contain_secrets() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emu = emulator().await;
    let mut secrets: Vec<String> = vec![
        ids::CONFIDENTIAL_CLIENT_SECRET.into(),
        ids::USER_PASSWORD.into(),
        ids::OBO_CLIENT_SECRET.into(),
    ];
    let mut debugs = Vec::new();

    let cca = secret_app(&emu);
    let app_token = cca
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    secrets.push(app_token.access_token().secret().to_owned());
    debugs.push(format!("{app_token:?} {cca:?}"));

    let pca = public_app(&emu).build().unwrap();
    let user = pca
        .acquire_token_by_username_password(ids::USER_UPN, ids::USER_PASSWORD, [ids::USER_SCOPE])
        .await
        .unwrap();
    secrets.push(user.access_token().secret().to_owned());
    secrets.push(user.id_token().unwrap().secret().to_owned());
    debugs.push(format!("{user:?} {pca:?}"));
    let wrong = pca
        .acquire_token_by_username_password(ids::USER_UPN, "wrong-password-123", [ids::USER_SCOPE])
        .await
        .unwrap_err();
    secrets.push("wrong-password-123".into());
    debugs.push(format!("{wrong:?} {wrong}"));

    let account = pca.get_accounts().await.unwrap().remove(0);
    let refreshed = pca
        .acquire_token_silent([ids::USER_SCOPE], &account)
        .force_refresh(true)
        .await
        .unwrap();
    secrets.push(refreshed.access_token().secret().to_owned());

    // The web-app flow: the code and the PKCE verifier are secrets too.
    let flow = cca
        .initiate_auth_code_flow([ids::USER_SCOPE])
        .redirect_uri(ids::REDIRECT_URI)
        .await
        .unwrap();
    secrets.push(flow.code_verifier.clone());
    let req = http::Request::get(flow.auth_uri())
        .body(Vec::new())
        .unwrap();
    let resp = msal::http::HttpClient::send(&support::http(&emu), req)
        .await
        .unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let response = msal::AuthResponse::from_redirect_url(&location).unwrap();
    secrets.push(response.get("code").unwrap().to_owned());
    debugs.push(format!("{flow:?} {response:?}"));
    let web = cca
        .acquire_token_by_auth_code_flow(&flow, response)
        .await
        .unwrap();
    secrets.push(web.access_token().secret().to_owned());

    // Refresh tokens only ever live in the cache.
    let cache: serde_json::Value = serde_json::from_str(&pca.token_cache().serialize()).unwrap();
    for rt in cache["RefreshToken"].as_object().unwrap().values() {
        secrets.push(rt["secret"].as_str().unwrap().to_owned());
    }

    debugs.push(format!("{:?} {:?}", pca.token_cache(), cca.token_cache()));

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("token_request"),
        "the capture must contain the flows' spans:\n{logs}"
    );
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret reached the TRACE log"
        );
        for d in &debugs {
            assert!(
                !d.contains(secret.as_str()),
                "a secret reached Debug/Display: {d}"
            );
        }
    }
    // PII logging is off: the username appears nowhere in the log.
    assert!(
        !logs.contains(ids::USER_UPN),
        "a username reached the log with PII logging off"
    );
}
