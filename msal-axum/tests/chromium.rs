//! The app as a user meets it: a real headless Chromium (Debian package `chromium`), driven over
//! the DevTools protocol, signs in against the emulator through the app (the emulator's
//! self-posting form_post page, the app's same-site re-post, the redirects), lands on a
//! protected page with the user's name and a downstream API's answer, signs out, and is sent
//! to sign in again.
//!
//! Skipped (loudly) when Chromium is not installed, unless `MSAL_REQUIRE_CHROMIUM=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use futures_util::{SinkExt as _, StreamExt as _};
use msal::http::HttpClient as _;
use serde_json::{Value, json};
use support::*;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

/// A headless Chromium with a fresh profile and a DevTools port; killed on drop.
struct Chromium {
    child: Child,
    profile: tempfile::TempDir,
}

impl Chromium {
    fn start(binary: &str) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                // The emulator's certificate is from a private CA.
                "--ignore-certificate-errors",
                // Port 0: Chromium picks one and writes it to DevToolsActivePort.
                "--remote-debugging-port=0",
                "--remote-debugging-address=127.0.0.1",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self { child, profile }
    }

    async fn devtools_port(&self) -> u16 {
        let file = self.profile.path().join("DevToolsActivePort");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(port) = std::fs::read_to_string(&file)
                .ok()
                .and_then(|text| text.lines().next()?.trim().parse().ok())
            {
                return port;
            }
            assert!(
                Instant::now() < deadline,
                "Chromium wrote no DevToolsActivePort"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One page target over the DevTools protocol.
struct Page {
    socket: WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>,
    next_id: u64,
}

impl Page {
    async fn attach(http: &msal::http::ReqwestClient, port: u16) -> Self {
        let list = http
            .send(
                http::Request::get(format!("http://127.0.0.1:{port}/json/list"))
                    .body(Vec::new())
                    .unwrap(),
            )
            .await
            .unwrap();
        let targets: Vec<Value> = serde_json::from_slice(list.body()).unwrap();
        let ws = targets
            .iter()
            .find(|t| t["type"] == "page")
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("a page target")
            .to_owned();
        let (socket, _) = tokio_tungstenite::connect_async(ws).await.unwrap();
        Self { socket, next_id: 0 }
    }

    /// Calls a DevTools method and returns its result (events in between are skipped).
    async fn call(&mut self, method: &str, params: Value) -> Value {
        match self.try_call(method, params).await {
            Ok(result) => result,
            Err(error) => panic!("{method}: {error}"),
        }
    }

    /// [`call`](Self::call), with DevTools' error reply as `Err`.
    async fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let message = json!({ "id": id, "method": method, "params": params }).to_string();
        self.socket
            .send(Message::Text(message.into()))
            .await
            .unwrap();
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(30), self.socket.next())
                .await
                .expect("DevTools answered")
                .expect("DevTools socket open")
                .unwrap();
            let Message::Text(text) = frame else { continue };
            let reply: Value = serde_json::from_str(&text).unwrap();
            if reply["id"] == id {
                return match reply.get("error") {
                    Some(error) => Err(error.clone()),
                    None => Ok(reply["result"].clone()),
                };
            }
        }
    }

    /// The page's address, visible text and script-readable cookies; empty while the page is
    /// between documents (an evaluation that a navigation interrupts fails with "Inspected
    /// target navigated or closed", and the caller polls again).
    async fn snapshot(&mut self) -> (String, String, String) {
        let Ok(result) = self
            .try_call(
                "Runtime.evaluate",
                json!({
                    "expression": "JSON.stringify([location.href, document.body ? document.body.innerText : '', document.cookie])",
                    "returnByValue": true,
                }),
            )
            .await
        else {
            return Default::default();
        };
        let parts: Vec<String> =
            serde_json::from_str(result["result"]["value"].as_str().unwrap_or("[]"))
                .unwrap_or_default();
        match <[String; 3]>::try_from(parts) {
            Ok([href, text, cookies]) => (href, text, cookies),
            Err(_) => Default::default(),
        }
    }

    /// Opens `url` and waits (following whatever redirects and form posts happen) until the
    /// page is at `until_url` and shows `until_text`; returns its text and cookies.
    async fn open(&mut self, url: &str, until_url: &str, until_text: &str) -> (String, String) {
        self.call("Page.navigate", json!({ "url": url })).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (href, text, cookies) = self.snapshot().await;
            if href == until_url && text.contains(until_text) {
                return (text, cookies);
            }
            assert!(
                Instant::now() < deadline,
                "stuck at {href} showing {text:?} (waiting for {until_url} with {until_text:?})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_chromium_signs_in_sees_the_protected_page_signs_out_and_must_sign_in_again() {
    let Some(binary) = msal_test_support::chromium() else {
        msal_test_support::skip_or_fail(
            "a_real_chromium_signs_in_sees_the_protected_page_signs_out_and_must_sign_in_again",
            "chromium",
            "apt-get install chromium",
            "MSAL_REQUIRE_CHROMIUM",
        );
        return;
    };
    let emu = emulator().await;
    let downstream = downstream().await;
    let app = start_app(&emu, &downstream, msal_axum::MemoryStore::default(), None).await;
    let browser = Chromium::start(binary);
    let port = browser.devtools_port().await;
    let mut page = Page::attach(&http(&emu), port).await;

    let protected = format!("{}/protected", app.base);
    let hello = format!("Hello, {}!", ids::USER_NAME);
    let (text, cookies) = page.open(&protected, &protected, &hello).await;
    assert!(
        text.contains(r#"Downstream API answered {"items":3}"#),
        "{text}"
    );
    assert!(
        !cookies.contains("msal_session"),
        "HttpOnly: scripts cannot read it"
    );
    let authorize = emu
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/oauth2/v2.0/authorize"))
        .expect("the browser went to sign in");
    assert!(
        authorize
            .header("user-agent")
            .is_some_and(|ua| ua.contains("Chrome")),
        "the browser itself signed in"
    );
    assert_eq!(
        emu.count("POST", "/oauth2/v2.0/token"),
        1,
        "one code redeemed"
    );

    let signed_out = format!("{}/signed-out", app.base);
    page.open(
        &format!("{}/auth/sign-out", app.base),
        &signed_out,
        "You are signed out.",
    )
    .await;
    assert_eq!(emu.count("GET", "/oauth2/v2.0/logout"), 1);

    // Signed out, the protected page sends the browser to sign in again (the emulator signs
    // the user straight back in).
    let authorizations = emu.count("GET", "/oauth2/v2.0/authorize");
    page.open(&protected, &protected, &hello).await;
    assert_eq!(
        emu.count("GET", "/oauth2/v2.0/authorize"),
        authorizations + 1,
        "signed in again"
    );
}
