//! Interactive sign-in driven by a real browser: headless Chromium (Debian package `chromium`)
//! opens the sign-in page, the emulator answers with its auto-submitting form_post page, and the
//! browser posts the answer to the app's loopback listener.
//!
//! Skipped (loudly) when Chromium is not installed, unless `MSAL_REQUIRE_CHROMIUM=1` (CI sets
//! it after installing the package).
#![cfg(all(feature = "interactive", feature = "reqwest"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::{
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use msal::{BrowserOpener, TokenSource};
use support::*;

/// Opens the URL in a headless Chromium that trusts nothing but ignores the emulator's private
/// CA (the flags are the ones this workplace documents for a closed network).
#[derive(Debug, Clone)]
struct HeadlessChromium {
    binary: &'static str,
    profile: Arc<tempfile::TempDir>,
    child: Arc<Mutex<Option<Child>>>,
}

impl BrowserOpener for HeadlessChromium {
    fn open(&self, url: &str) -> std::io::Result<()> {
        let child = Command::new(self.binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--ignore-certificate-errors",
            ])
            .arg(format!("--user-data-dir={}", self.profile.path().display()))
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        *self.child.lock().unwrap() = Some(child);
        Ok(())
    }
}

impl Drop for HeadlessChromium {
    fn drop(&mut self) {
        if Arc::strong_count(&self.child) == 1
            && let Some(mut c) = self.child.lock().unwrap().take()
        {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_headless_chromium_completes_the_loopback_flow() {
    let Some(binary) = msal_test_support::chromium() else {
        msal_test_support::skip_or_fail(
            "a_real_headless_chromium_completes_the_loopback_flow",
            "chromium",
            "apt-get install chromium",
            "MSAL_REQUIRE_CHROMIUM",
        );
        return;
    };
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();
    let browser = HeadlessChromium {
        binary,
        profile: Arc::new(tempfile::tempdir().unwrap()),
        child: Arc::new(Mutex::new(None)),
    };
    let result = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .browser_opener(browser.clone())
        .timeout(Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(result.token_source(), TokenSource::IdentityProvider);
    assert_eq!(result.account().unwrap().username, ids::USER_UPN);
    let authorize = sent(&emu, "GET", "/oauth2/v2.0/authorize").remove(0);
    assert!(
        authorize
            .header("user-agent")
            .is_some_and(|ua| ua.contains("Chrome")),
        "the browser itself signed in"
    );
    drop(browser);
}
