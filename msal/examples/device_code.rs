//! Browserless device (a CLI over SSH, a TV): the app shows a code, the user enters it in a browser
//! on another device, and the app polls until they finish. Ctrl-C stops the wait.
//!
//! ```sh
//! cargo run -p msal --example device_code                          # emulator: approved by itself
//! MSAL_CLIENT_ID=… MSAL_TENANT_ID=… cargo run -p msal --example device_code
//! ```
//!
//! Against Microsoft Entra ID (when `MSAL_CLIENT_ID` is set): `MSAL_AUTHORITY` or
//! `MSAL_TENANT_ID` (default `organizations`), `MSAL_SCOPES` (default `User.Read`); the app
//! registration must allow public client flows. Without it the example starts a local emulator
//! (`msal_emulator`), whose device codes approve themselves, so it runs offline.

use msal::{Error, PublicClientApplication};
use msal_emulator::{Emulator, EmulatorConfig, ids};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // The emulator (if any) stops when dropped: keep it for as long as the app runs.
    let (app, scopes, _emulator) = create_app().await?;

    // Two steps, so the app decides how to show the code: here, on stderr, which stays visible
    // when stdout is piped.
    let flow = app.initiate_device_flow(&scopes).await?;
    eprintln!("{}", flow.message);

    // Polls at the interval the service asked for, until the user signs in, declines, or the code
    // expires (about 15 minutes).
    let result = app
        .acquire_token_by_device_flow(&flow)
        .cancel_on(tokio::signal::ctrl_c())
        .await;
    let result = match result {
        Ok(result) => result,
        Err(Error::Cancelled) => {
            eprintln!("Cancelled.");
            return Ok(());
        }
        Err(Error::AuthorizationDeclined(_)) => return Err("the user declined the sign-in".into()),
        Err(Error::DeviceCodeExpired(_)) => return Err("the code expired; run again".into()),
        Err(e) => return Err(e.into()),
    };

    let user = result.account().map_or("?", |a| a.username.as_str());
    println!(
        "Signed in as {user}: {} token {}, expires in {} min",
        result.token_type(),
        redacted(result.access_token().secret()),
        result.expires_in().as_secs() / 60,
    );
    Ok(())
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
