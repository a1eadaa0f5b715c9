//! Proof-of-Possession: a token bound to a key only this app holds, signed for one HTTP request
//! (a Signed HTTP Request, SHR). A stolen SHR is useless for any other request, and the key never
//! leaves the process.
//!
//! ```sh
//! cargo run -p msal --example pop --features pop
//! MSAL_CLIENT_ID=… MSAL_TENANT_ID=… MSAL_CLIENT_SECRET=… cargo run -p msal --example pop --features pop
//! ```
//!
//! Against Microsoft Entra ID (when `MSAL_CLIENT_ID` is set): `MSAL_AUTHORITY` or
//! `MSAL_TENANT_ID`; `MSAL_CLIENT_SECRET`, or `MSAL_CERT_PATH` + `MSAL_KEY_PATH` (PEM files);
//! `MSAL_SCOPES` (default `https://graph.microsoft.com/.default`). Without it the example starts
//! a local emulator (`msal_emulator`) and uses its made-up identities, so it runs offline.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use msal::{
    Certificate, ClientCredential, ConfidentialClientApplication,
    pop::{HttpMethod, PopAuthScheme},
};
use msal_emulator::{Emulator, EmulatorConfig, ids};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const URL: &str = "https://api.example/items";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // The app generates its PoP key (ES256) on first use; `.pop_key(..)` on the builder brings
    // your own. The emulator (if any) stops when dropped: keep it for as long as the app runs.
    let (app, scopes, _emulator) = create_app().await?;

    // A PoP-protected API answers a request without a valid SHR with a fresh nonce, so a signed
    // request cannot be replayed later: `401` with `WWW-Authenticate: PoP nonce="…"`.
    let challenge = http::HeaderValue::from_static(r#"PoP nonce="AAABAAEAiL9Kn2Z27Uu""#);
    let scheme = PopAuthScheme::from_www_authenticate(HttpMethod::Get, URL, &challenge)?;

    let result = app
        .acquire_token_for_client(&scopes)
        .auth_scheme(scheme)
        .await?;
    let header = result.authorization_header();
    let (scheme_name, shr) = header
        .to_str()?
        .split_once(' ')
        .ok_or("unexpected Authorization header")?;
    println!("GET {URL}\nAuthorization: {scheme_name} {}", redacted(shr));

    // The SHR is a JWT whose payload says what it is good for. `at` (the bound access token) is a
    // secret and `cnf` holds the public key; show only the request claims.
    let payload = shr.split('.').nth(1).ok_or("the SHR is not a JWT")?;
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload)?)?;
    for (claim, meaning) in [
        ("m", "method"),
        ("u", "host"),
        ("p", "path"),
        ("ts", "signed at (Unix time)"),
        ("nonce", "the API's nonce"),
    ] {
        println!("  {claim:<5} = {:<24} {meaning}", claims[claim].to_string());
    }
    Ok(())
}

/// Microsoft Entra ID when `MSAL_CLIENT_ID` is set, otherwise a freshly started emulator.
async fn create_app()
-> Result<(ConfidentialClientApplication, Vec<String>, Option<Emulator>), BoxError> {
    if let Some(client_id) = var("MSAL_CLIENT_ID") {
        // An app with no user has no one to pick a tenant, so Entra ID needs one named.
        let authority = match (var("MSAL_AUTHORITY"), var("MSAL_TENANT_ID")) {
            (Some(authority), _) => authority,
            (None, Some(tenant)) => format!("https://login.microsoftonline.com/{tenant}"),
            (None, None) => return Err("set MSAL_AUTHORITY or MSAL_TENANT_ID".into()),
        };
        println!("Using Microsoft Entra ID at {authority}");
        let app = ConfidentialClientApplication::builder(client_id, credential_from_env()?)
            .authority(authority)?
            .build()?;
        return Ok((
            app,
            scopes_from_env("https://graph.microsoft.com/.default"),
            None,
        ));
    }

    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    println!(
        "MSAL_CLIENT_ID is not set: using a local Entra ID emulator at {}",
        emulator.base_url()
    );
    let app = ConfidentialClientApplication::builder(
        ids::CONFIDENTIAL_CLIENT_ID,
        ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
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
    // The public certificate gives Entra ID the SHA-256 thumbprint it looks the key up by.
    let certificate = Certificate::from_pem(&std::fs::read_to_string(key_path)?, None)?
        .with_public_certificate_pem(&std::fs::read_to_string(cert_path)?)?;
    Ok(ClientCredential::certificate(certificate))
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
