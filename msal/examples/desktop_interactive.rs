//! Desktop app: silent first (cached token, or a refresh behind the scenes), and the system
//! browser only when the user must interact. The second sign-in below is silent.
//!
//! ```sh
//! cargo run -p msal --example desktop_interactive --features interactive
//! MSAL_CLIENT_ID=… cargo run -p msal --example desktop_interactive --features interactive
//! ```
//!
//! Against Microsoft Entra ID (when `MSAL_CLIENT_ID` is set): `MSAL_AUTHORITY` or
//! `MSAL_TENANT_ID` (default `organizations`), `MSAL_SCOPES` (default `User.Read`); register
//! `http://localhost` as a "Mobile and desktop" redirect URI: the browser returns to a listener on
//! 127.0.0.1 with an ephemeral port. Without it the example starts a local emulator
//! (`msal_emulator`) and a stand-in browser plays the user, so it runs offline.

// The stand-in browser: emulator-only, and shared with the web_app_hyper example.
#[path = "support/browser.rs"]
mod browser;

use std::time::Duration;

use msal::{
    AuthenticationResult, BrowserOpener, Prompt, PublicClientApplication, http::ReqwestClient,
    prelude::*,
};
use msal_emulator::{Emulator, EmulatorConfig, ids};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // The emulator (if any) stops when dropped: keep it for as long as the app runs.
    let (app, scopes, emulator) = create_app().await?;
    // With the emulator a stand-in plays the user; otherwise the default opener launches the
    // system browser.
    let stand_in = match &emulator {
        Some(emulator) => Some(StandInBrowser {
            http: emulator.http_client()?,
        }),
        None => None,
    };

    for _ in 0..2 {
        let result = sign_in(&app, &scopes, stand_in.as_ref()).await?;
        let user = result.account().map_or("?", |a| a.username.as_str());
        println!(
            "Signed in as {user}: {} token {} from {:?}",
            result.token_type(),
            redacted(result.access_token().secret()),
            result.token_source(),
        );
    }
    Ok(())
}

async fn sign_in(
    app: &PublicClientApplication,
    scopes: &[String],
    stand_in: Option<&StandInBrowser>,
) -> Result<AuthenticationResult, BoxError> {
    // A real app keeps its cache in a file (see the cache_file example), so the account is found
    // here on the next start too.
    if let Some(account) = app.get_accounts().await?.first() {
        match app.acquire_token_silent(scopes, account).await {
            Ok(result) => return Ok(result),
            // Expired or revoked refresh token, new consent or MFA needed: ask the user.
            Err(e) if e.is_interaction_required() => {}
            Err(e) => return Err(e.into()),
        }
    }

    println!("Opening the browser to sign in…");
    let mut request = app
        .acquire_token_interactive(scopes)
        // Let the user pick (or add) an account instead of reusing the browser's session.
        .prompt(Prompt::SelectAccount)
        .parent_window_handle(PublicClientApplication::CONSOLE_WINDOW_HANDLE)
        // Give up if the browser tab is abandoned.
        .timeout(Duration::from_secs(300));
    if let Some(stand_in) = stand_in {
        request = request.browser_opener(stand_in.clone());
    }
    Ok(request.await?)
}

/// Plays the user's browser against the emulator (see `support/browser.rs`).
#[derive(Debug, Clone)]
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

/// Microsoft Entra ID when `MSAL_CLIENT_ID` is set, otherwise a freshly started emulator.
async fn create_app() -> Result<(PublicClientApplication, Vec<String>, Option<Emulator>), BoxError>
{
    if let Some(client_id) = var("MSAL_CLIENT_ID") {
        let authority = var("MSAL_AUTHORITY").unwrap_or_else(|| {
            let tenant = var("MSAL_TENANT_ID").unwrap_or_else(|| "organizations".to_owned());
            format!("https://login.microsoftonline.com/{tenant}")
        });
        println!("Using Microsoft Entra ID at {authority}");
        let app = PublicClientApplication::builder(client_id)
            .authority(authority)?
            .build()?;
        return Ok((app, scopes_from_env("User.Read"), None));
    }

    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    println!(
        "MSAL_CLIENT_ID is not set: using a local Entra ID emulator at {}",
        emulator.base_url()
    );
    let app = PublicClientApplication::builder(ids::PUBLIC_CLIENT_ID)
        .authority(emulator.authority())?
        // 127.0.0.1 is no Microsoft cloud: without this, the app would first ask
        // login.microsoftonline.com to vouch for it (instance discovery).
        .known_authorities(emulator.known_authorities())
        // Trusts the emulator's private CA.
        .http_client(emulator.http_client()?)
        .build()?;
    Ok((app, vec![ids::USER_SCOPE.to_owned()], Some(emulator)))
}

/// `MSAL_SCOPES` (space- or comma-separated), else `default`.
fn scopes_from_env(default: &str) -> Vec<String> {
    var("MSAL_SCOPES").map_or_else(
        || vec![default.to_owned()],
        |s| {
            s.split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        },
    )
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// How a secret is shown: never its value, only its length.
fn redacted(secret: &str) -> String {
    format!("[redacted, {} chars]", secret.len())
}
