//! Daemon: an app with no user signs in as itself (client credentials), with a secret or a
//! certificate, and asks twice: the second answer comes from the token cache.
//!
//! ```sh
//! cargo run -p msal --example daemon                     # emulator, client secret
//! cargo run -p msal --example daemon -- --certificate    # emulator, client certificate
//! MSAL_CLIENT_ID=… MSAL_TENANT_ID=… MSAL_CLIENT_SECRET=… cargo run -p msal --example daemon
//! ```
//!
//! Against Microsoft Entra ID (when `MSAL_CLIENT_ID` is set): `MSAL_AUTHORITY`
//! (`https://login.microsoftonline.com/<tenant>`) or `MSAL_TENANT_ID`; `MSAL_CLIENT_SECRET`, or
//! `MSAL_CERT_PATH` + `MSAL_KEY_PATH` (PEM files); `MSAL_SCOPES` (space- or comma-separated,
//! default `https://graph.microsoft.com/.default`). Without it the example starts a local
//! emulator (`msal_emulator`) and uses its made-up identities, so it runs offline.

use msal::{
    Certificate, ClientCredential, ConfidentialClientApplication, TokenSource, authority::Region,
};
use msal_emulator::{Emulator, EmulatorConfig, ids};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let use_certificate = std::env::args().any(|a| a == "--certificate");
    // The emulator (if any) stops when dropped: keep it for as long as the app runs.
    let (app, scopes, _emulator) = create_app(use_certificate).await?;

    for attempt in 1..=2 {
        let result = app.acquire_token_for_client(&scopes).await?;
        let source = match result.token_source() {
            TokenSource::Cache => "the token cache",
            _ => "the identity provider",
        };
        println!(
            "#{attempt}: {} token {} from {source}, expires in {} min, scopes {:?}",
            result.token_type(),
            redacted(result.access_token().secret()),
            result.expires_in().as_secs() / 60,
            result.scopes(),
        );
        // How the token is used: `Authorization: Bearer …` on the API request (not sent here).
        let mut request = http::Request::get("https://graph.microsoft.com/v1.0/users").body(())?;
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, result.authorization_header());
    }
    Ok(())
}

/// One app (and so one token cache) for the life of the process: building one per request
/// would throw the cache away.
async fn create_app(
    use_certificate: bool,
) -> Result<(ConfidentialClientApplication, Vec<String>, Option<Emulator>), BoxError> {
    if let Some(client_id) = var("MSAL_CLIENT_ID") {
        // A daemon has no user to pick a tenant, so Entra ID needs one named.
        let authority = match (var("MSAL_AUTHORITY"), var("MSAL_TENANT_ID")) {
            (Some(authority), _) => authority,
            (None, Some(tenant)) => format!("https://login.microsoftonline.com/{tenant}"),
            (None, None) => return Err("set MSAL_AUTHORITY or MSAL_TENANT_ID for a daemon".into()),
        };
        println!("Using Microsoft Entra ID at {authority}");
        let app = ConfidentialClientApplication::builder(client_id, credential_from_env()?)
            .authority(authority)?
            // Inside Azure, regional token endpoints (ESTS-R) are closer and keep serving during
            // a global outage. AutoDetect reads REGION_NAME or asks the instance metadata service
            // (at most 2 s) and falls back to the global endpoint outside Azure.
            .azure_region(Region::AutoDetect)
            .build()?;
        let scopes = scopes_from_env("https://graph.microsoft.com/.default");
        return Ok((app, scopes, None));
    }

    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    println!(
        "MSAL_CLIENT_ID is not set: using a local Entra ID emulator at {}",
        emulator.base_url()
    );
    // Certificates are preferred in production: nothing shared to leak, and the private key can
    // stay in a key store.
    let credential = if use_certificate {
        let (key_pem, cert_pem) = emulator.client_certificate();
        ClientCredential::certificate(certificate(&key_pem, &cert_pem)?)
    } else {
        ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET)
    };
    let app = ConfidentialClientApplication::builder(ids::CONFIDENTIAL_CLIENT_ID, credential)
        .authority(emulator.authority())?
        // 127.0.0.1 is no Microsoft cloud: without this, the app would first ask
        // login.microsoftonline.com to vouch for it (instance discovery).
        .known_authorities(emulator.known_authorities())
        // Trusts the emulator's private CA.
        .http_client(emulator.http_client()?)
        .build()?;
    Ok((app, vec![ids::APP_SCOPE.to_owned()], Some(emulator)))
}

/// `MSAL_CLIENT_SECRET`, else the certificate in `MSAL_CERT_PATH` and its key in `MSAL_KEY_PATH`.
fn credential_from_env() -> Result<ClientCredential, BoxError> {
    if let Some(secret) = var("MSAL_CLIENT_SECRET") {
        return Ok(ClientCredential::secret(secret));
    }
    let (Some(cert_path), Some(key_path)) = (var("MSAL_CERT_PATH"), var("MSAL_KEY_PATH")) else {
        return Err("set MSAL_CLIENT_SECRET, or MSAL_CERT_PATH and MSAL_KEY_PATH".into());
    };
    let key_pem = std::fs::read_to_string(key_path)?;
    let cert_pem = std::fs::read_to_string(cert_path)?;
    Ok(ClientCredential::certificate(certificate(
        &key_pem, &cert_pem,
    )?))
}

/// A certificate credential from PEM: the public certificate gives Entra ID the SHA-256
/// thumbprint (`x5t#S256`) it looks the key up by.
fn certificate(key_pem: &str, cert_pem: &str) -> Result<Certificate, BoxError> {
    Ok(Certificate::from_pem(key_pem, None)?.with_public_certificate_pem(cert_pem)?)
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
