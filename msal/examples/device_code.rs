//! Browserless device (a CLI over SSH, a TV): the app shows a code, the user enters it in a browser
//! on another device, and the app polls until they finish. Ctrl-C stops the wait.
//!
//! ```sh
//! cargo run -p msal --example device_code                          # emulator: approved by itself
//! MSAL_CLIENT_ID=… MSAL_TENANT_ID=… cargo run -p msal --example device_code
//! ```
//! Against Entra ID the app registration must allow public client flows.

#[path = "support/target.rs"]
mod target;

use msal::Error;
use target::{AppKind, BoxError, Target, redacted};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let target = Target::from_env(AppKind::Public).await?;
    let app = target.public_client()?.build()?;

    // Two steps, so the app decides how to show the code: here, on stderr, which stays visible
    // when stdout is piped.
    let flow = app.initiate_device_flow(&target.scopes).await?;
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

    let user = result.account.as_ref().map_or("?", |a| a.username.as_str());
    println!(
        "Signed in as {user}: {} token {}, expires in {} min",
        result.token_type,
        redacted(result.access_token.secret()),
        result.expires_in().as_secs() / 60,
    );
    Ok(())
}
