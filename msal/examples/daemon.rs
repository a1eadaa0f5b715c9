//! Daemon: an app with no user signs in as itself (client credentials), with a secret or a
//! certificate, and asks twice: the second answer comes from the token cache.
//!
//! ```sh
//! cargo run -p msal --example daemon                     # emulator, client secret
//! cargo run -p msal --example daemon -- --certificate    # emulator, client certificate
//! MSAL_CLIENT_ID=… MSAL_TENANT_ID=… MSAL_CLIENT_SECRET=… cargo run -p msal --example daemon
//! ```
//! (or `MSAL_CERT_PATH` and `MSAL_KEY_PATH` instead of `MSAL_CLIENT_SECRET`; see
//! `examples/support/target.rs`).

#[path = "support/target.rs"]
mod target;

use msal::{TokenSource, authority::Region};
use target::{AppKind, BoxError, Target, redacted};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let target = Target::from_env(AppKind::Daemon).await?;
    let use_certificate = std::env::args().any(|a| a == "--certificate");
    // Certificates are preferred in production: nothing shared to leak, and the private key can
    // stay in a key store.
    let credential = target.credential(use_certificate)?;

    let mut builder = target.confidential_client(credential)?;
    if !target.is_emulator() {
        // Inside Azure, regional token endpoints (ESTS-R) are closer and keep serving during a
        // global outage. AutoDetect reads REGION_NAME or asks the instance metadata service (at
        // most 2 s) and falls back to the global endpoint outside Azure. The emulator has no
        // regional hosts, so it is left out there.
        builder = builder.azure_region(Region::AutoDetect);
    }
    // One app (and so one token cache) for the life of the process: building one per request
    // would throw the cache away.
    let app = builder.build()?;

    for attempt in 1..=2 {
        let result = app.acquire_token_for_client(&target.scopes).await?;
        let source = match result.token_source {
            TokenSource::Cache => "the token cache",
            _ => "the identity provider",
        };
        println!(
            "#{attempt}: {} token {} from {source}, expires in {} min, scopes {:?}",
            result.token_type,
            redacted(result.access_token.secret()),
            result.expires_in().as_secs() / 60,
            result.scopes,
        );
        // How the token is used: `Authorization: Bearer …` on the API request (not sent here).
        let mut request = http::Request::get("https://graph.microsoft.com/v1.0/users").body(())?;
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, result.authorization_header());
    }
    Ok(())
}
