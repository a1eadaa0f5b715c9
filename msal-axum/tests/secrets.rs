//! No token, code, PKCE verifier or session id in a URL the browser visits or the identity
//! provider receives, in the app's logs at every level, or in `Debug` output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use support::{browser::Browser, *};

/// Every log line of the app, msal and tower-sessions, at trace level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_a_url_a_log_line_or_debug_output() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "msal_axum=trace,msal=trace,tower_sessions=trace,tower_sessions_core=trace,axum=trace",
        ))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let emu = emulator().await;
    let downstream = downstream().await;
    let app = start_app(&emu, &downstream, msal_axum::MemoryStore::default(), None).await;
    let browser = Browser::new(http(&emu));
    let page = browser
        .open(&format!("{}/protected", app.base))
        .await
        .unwrap();
    assert!(page.body.contains("Hello,"), "{}", page.body);
    browser
        .open(&format!("{}/auth/sign-out", app.base))
        .await
        .unwrap();

    let mut secrets: Vec<(&str, String)> = Vec::new();
    for token in downstream.tokens.lock().unwrap().iter() {
        secrets.push(("access token", token.clone()));
    }
    let redemption = emu
        .requests()
        .into_iter()
        .find(|r| r.form_param("grant_type") == Some("authorization_code"))
        .unwrap();
    secrets.push(("code", redemption.form_param("code").unwrap().to_owned()));
    secrets.push((
        "PKCE verifier",
        redemption.form_param("code_verifier").unwrap().to_owned(),
    ));
    secrets.push(("client secret", ids::CONFIDENTIAL_CLIENT_SECRET.to_owned()));
    for header in browser.set_cookie_headers() {
        let value = header.split(';').next().unwrap();
        if let Some(id) = value
            .strip_prefix("msal_session=")
            .filter(|v| !v.is_empty())
        {
            secrets.push(("session id", id.to_owned()));
        }
    }
    assert!(secrets.len() >= 6, "{secrets:?}");

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("user signed in"), "the capture works: {logs}");
    let mut urls = browser.visited();
    urls.extend(emu.requests().iter().map(|r| {
        let query: Vec<String> = r.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{}?{}", r.path, query.join("&"))
    }));
    let debug = format!("{:?}", app.auth);
    for (what, secret) in &secrets {
        assert!(!logs.contains(secret.as_str()), "the {what} is in the logs");
        assert!(
            !urls.iter().any(|u| u.contains(secret.as_str())),
            "the {what} is in a URL"
        );
        assert!(!debug.contains(secret.as_str()), "the {what} is in Debug");
    }
}
