//! Proof-of-Possession: a token bound to a key only this app holds, signed for one HTTP request
//! (a Signed HTTP Request, SHR). A stolen SHR is useless for any other request, and the key never
//! leaves the process.
//!
//! ```sh
//! cargo run -p msal --example pop --features pop
//! MSAL_CLIENT_ID=… MSAL_TENANT_ID=… MSAL_CLIENT_SECRET=… cargo run -p msal --example pop --features pop
//! ```

#[path = "support/target.rs"]
mod target;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use msal::pop::{HttpMethod, PopAuthScheme};
use target::{AppKind, BoxError, Target, redacted};

const URL: &str = "https://api.example/items";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let target = Target::from_env(AppKind::Daemon).await?;
    // The app generates its PoP key (ES256) on first use; `.pop_key(..)` brings your own.
    let app = target
        .confidential_client(target.credential(false)?)?
        .build()?;

    // A PoP-protected API answers a request without a valid SHR with a fresh nonce, so a signed
    // request cannot be replayed later: `401` with `WWW-Authenticate: PoP nonce="…"`.
    let challenge = http::HeaderValue::from_static(r#"PoP nonce="AAABAAEAiL9Kn2Z27Uu""#);
    let scheme = PopAuthScheme::from_www_authenticate(HttpMethod::Get, URL, &challenge)?;

    let result = app
        .acquire_token_for_client(&target.scopes)
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
