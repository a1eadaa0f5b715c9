//! A token cache kept in a file: tokens survive restarts and are shared by every process that
//! opens the same file (MSAL Python with msal-extensions, MSAL.NET and msal-node read the same
//! format). Two app instances stand in for two runs: the second is served from the file.
//!
//! ```sh
//! cargo run -p msal --example cache_file --features persistence             # temporary file
//! cargo run -p msal --example cache_file --features persistence -- cache.json   # keep it
//! MSAL_CLIENT_ID=… MSAL_TENANT_ID=… MSAL_CLIENT_SECRET=… cargo run -p msal --example cache_file --features persistence
//! ```
//! The file holds refresh tokens and is not encrypted: it is written with mode 0600, so keep it in
//! the user's profile (or wrap the store with one that encrypts).
//!
//! Against Microsoft Entra ID (when `MSAL_CLIENT_ID` is set): `MSAL_AUTHORITY` or
//! `MSAL_TENANT_ID`; `MSAL_CLIENT_SECRET`, or `MSAL_CERT_PATH` + `MSAL_KEY_PATH` (PEM files);
//! `MSAL_SCOPES` (default `https://graph.microsoft.com/.default`). Without it the example starts
//! a local emulator (`msal_emulator`) and uses its made-up identities, so it runs offline.

use std::path::{Path, PathBuf};

use msal::{
    Certificate, ClientCredential, ConfidentialClientApplication,
    ConfidentialClientApplicationBuilder, TokenCache, cache::FileCacheStore,
};
use msal_emulator::{Emulator, EmulatorConfig, ids};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // Microsoft Entra ID when `MSAL_CLIENT_ID` is set, otherwise a local emulator. It stops when
    // dropped: keep it for as long as the apps run.
    let emulator = match var("MSAL_CLIENT_ID") {
        Some(_) => None,
        None => {
            let emulator = Emulator::start(EmulatorConfig::default()).await?;
            println!(
                "MSAL_CLIENT_ID is not set: using a local Entra ID emulator at {}",
                emulator.base_url()
            );
            Some(emulator)
        }
    };
    let scopes = match &emulator {
        Some(_) => vec![ids::APP_SCOPE.to_owned()],
        None => scopes_from_env("https://graph.microsoft.com/.default"),
    };
    let keep = std::env::args().nth(1).map(PathBuf::from);
    let path = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("msal-example-cache-{}.json", std::process::id()))
    });
    println!("Cache file: {}", path.display());

    for instance in ["first app instance", "second app instance"] {
        let app = app_with_file_cache(emulator.as_ref(), &path)?;
        let result = app.acquire_token_for_client(&scopes).await?;
        println!(
            "{instance}: token {} from {:?}",
            redacted(result.access_token().secret()),
            result.token_source(),
        );
    }
    print_sections(&path)?;

    if keep.is_none() {
        std::fs::remove_file(&path)?;
    }
    Ok(())
}

/// Each app gets its own `TokenCache` over the file, as separate processes would: the store loads
/// the file before every cache read and merges and saves it, under a lock file, after every write.
fn app_with_file_cache(
    emulator: Option<&Emulator>,
    path: &Path,
) -> Result<ConfidentialClientApplication, BoxError> {
    let cache = TokenCache::with_store(FileCacheStore::new(path));
    Ok(app_builder(emulator)?.token_cache(cache).build()?)
}

/// The emulator's confidential client, or the app registration named by the environment.
fn app_builder(
    emulator: Option<&Emulator>,
) -> Result<ConfidentialClientApplicationBuilder, BoxError> {
    let Some(emulator) = emulator else {
        // An app with no user has no one to pick a tenant, so Entra ID needs one named.
        let authority = match (var("MSAL_AUTHORITY"), var("MSAL_TENANT_ID")) {
            (Some(authority), _) => authority,
            (None, Some(tenant)) => format!("https://login.microsoftonline.com/{tenant}"),
            (None, None) => return Err("set MSAL_AUTHORITY or MSAL_TENANT_ID".into()),
        };
        let client_id = var("MSAL_CLIENT_ID").ok_or("set MSAL_CLIENT_ID")?;
        return Ok(
            ConfidentialClientApplication::builder(client_id, credential_from_env()?)
                .authority(authority)?,
        );
    };
    Ok(ConfidentialClientApplication::builder(
        ids::CONFIDENTIAL_CLIENT_ID,
        ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
    .authority(emulator.authority())?
    // 127.0.0.1 is no Microsoft cloud: without this, the app would first ask
    // login.microsoftonline.com to vouch for it (instance discovery).
    .known_authorities(emulator.known_authorities())
    // Trusts the emulator's private CA.
    .http_client(emulator.http_client()?))
}

/// What the file holds, by section (`AccessToken`, `Account`, ...), without any of its secrets.
fn print_sections(path: &Path) -> Result<(), BoxError> {
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let sections = json.as_object().ok_or("the cache is not a JSON object")?;
    for (section, entries) in sections {
        let count = entries.as_object().map_or(0, |e| e.len());
        println!("  {section}: {count} entries");
    }
    Ok(())
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
