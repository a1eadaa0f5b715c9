//! Desktop app: silent first (cached token, or a refresh behind the scenes), and the system
//! browser only when the user must interact. The second sign-in below is silent.
//!
//! ```sh
//! cargo run -p msal --example desktop_interactive --features interactive
//! MSAL_CLIENT_ID=… cargo run -p msal --example desktop_interactive --features interactive
//! ```
//! Against Entra ID, register `http://localhost` as a "Mobile and desktop" redirect URI: the
//! browser returns to a listener on 127.0.0.1 with an ephemeral port. With the emulator a
//! stand-in browser plays the user.

#[path = "support/browser.rs"]
mod browser;
#[path = "support/target.rs"]
mod target;

use std::time::Duration;

use msal::{
    AuthenticationResult, BrowserOpener, Prompt, PublicClientApplication, http::ReqwestClient,
    prelude::*,
};
use target::{AppKind, BoxError, Target, redacted};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let target = Target::from_env(AppKind::Public).await?;
    let app = target.public_client()?.build()?;

    for _ in 0..2 {
        let result = sign_in(&app, &target).await?;
        let user = result.account.as_ref().map_or("?", |a| a.username.as_str());
        println!(
            "Signed in as {user}: {} token {} from {:?}",
            result.token_type,
            redacted(result.access_token.secret()),
            result.token_source,
        );
    }
    Ok(())
}

async fn sign_in(
    app: &PublicClientApplication,
    target: &Target,
) -> Result<AuthenticationResult, BoxError> {
    // A real app keeps its cache in a file (see the cache_file example), so the account is found
    // here on the next start too.
    if let Some(account) = app.get_accounts().await?.first() {
        match app.acquire_token_silent(&target.scopes, account).await {
            Ok(result) => return Ok(result),
            // Expired or revoked refresh token, new consent or MFA needed: ask the user.
            Err(e) if e.is_interaction_required() => {}
            Err(e) => return Err(e.into()),
        }
    }

    println!("Opening the browser to sign in…");
    let mut request = app
        .acquire_token_interactive(&target.scopes)
        // Let the user pick (or add) an account instead of reusing the browser's session.
        .prompt(Prompt::SelectAccount)
        .parent_window_handle(PublicClientApplication::CONSOLE_WINDOW_HANDLE)
        // Give up if the browser tab is abandoned.
        .timeout(Duration::from_secs(300));
    // With the emulator a stand-in plays the user; otherwise the default opener launches the
    // system browser.
    if let Some(http) = &target.http {
        request = request.browser_opener(StandInBrowser { http: http.clone() });
    }
    Ok(request.await?)
}

/// Plays the user's browser against the emulator (see `support/browser.rs`).
#[derive(Debug)]
struct StandInBrowser {
    http: ReqwestClient,
}

impl BrowserOpener for StandInBrowser {
    fn open(&self, url: &str) -> std::io::Result<()> {
        let (http, url) = (self.http.clone(), url.to_owned());
        // A browser runs beside the app, which is waiting on its loopback listener: don't block.
        tokio::spawn(async move {
            if let Err(e) = browser::sign_in(&http, &url).await {
                eprintln!("stand-in browser: {e}");
            }
        });
        Ok(())
    }
}
