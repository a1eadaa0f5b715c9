//! Cache interop with MSAL Python, used by `cargo xtask interop`: msal-rs signs a user in and gets
//! an app token against the emulator, writes the cache to a file, then MSAL Python 1.39.0 (the
//! interpreter given as the first argument) reads that file and must answer `acquire_token_silent`
//! and `acquire_token_for_client` from it, without a single token request.

use std::process::Command;

use msal::{
    ClientCredential, ConfidentialClientApplication, PublicClientApplication, TokenCache,
    prelude::*,
};
use msal_emulator::{Emulator, EmulatorConfig, ids};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let python = args
        .next()
        .ok_or("usage: interop <python> <read_cache.py>")?;
    let script = args
        .next()
        .ok_or("usage: interop <python> <read_cache.py>")?;
    let emu = Emulator::start(EmulatorConfig::default()).await?;
    // Trusts the emulator's private CA (and nothing else).
    let http = emu.http_client()?;
    let cache = TokenCache::new();
    let pca = PublicClientApplication::builder(ids::PUBLIC_CLIENT_ID)
        .authority(emu.authority())?
        .known_authorities(emu.known_authorities())
        .http_client(http.clone())
        .token_cache(cache.clone())
        .build()?;
    #[allow(deprecated)]
    pca.acquire_token_by_username_password(ids::USER_UPN, ids::USER_PASSWORD, [ids::USER_SCOPE])
        .await?;
    let cca = ConfidentialClientApplication::builder(
        ids::CONFIDENTIAL_CLIENT_ID,
        ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
    .authority(emu.authority())?
    .known_authorities(emu.known_authorities())
    .http_client(http)
    .token_cache(cache.clone())
    .build()?;
    cca.acquire_token_for_client([ids::APP_SCOPE]).await?;

    let dir = std::env::temp_dir().join(format!("msal-interop-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let cache_path = dir.join("cache.json");
    let ca_path = dir.join("ca.pem");
    std::fs::write(&cache_path, cache.serialize())?;
    std::fs::write(&ca_path, emu.ca_pem())?;
    let token_requests_before = emu.count("POST", "/oauth2/v2.0/token");

    // requests prefers REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE over `verify=`, so point them at the
    // emulator's CA for the Python process.
    let ca_env = ca_path.display().to_string();
    let args = [
        script,
        cache_path.display().to_string(),
        emu.authority(),
        ca_path.display().to_string(),
        ids::PUBLIC_CLIENT_ID.to_owned(),
        ids::CONFIDENTIAL_CLIENT_ID.to_owned(),
        ids::CONFIDENTIAL_CLIENT_SECRET.to_owned(),
        ids::USER_SCOPE.to_owned(),
        ids::APP_SCOPE.to_owned(),
    ];
    // Python blocks on HTTP to the emulator, which runs on this runtime: run it on a thread.
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args(args)
            .env("REQUESTS_CA_BUNDLE", &ca_env)
            .env("CURL_CA_BUNDLE", &ca_env)
            .output()
    })
    .await??;
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "MSAL Python 1.39.0 found: {}",
        String::from_utf8_lossy(&output.stdout).trim()
    );
    if !output.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        return Err("MSAL Python could not use the cache msal-rs wrote".into());
    }
    let extra = emu.count("POST", "/oauth2/v2.0/token") - token_requests_before;
    if extra != 0 {
        return Err(format!(
            "MSAL Python sent {extra} token requests instead of answering from the cache"
        )
        .into());
    }
    println!("interop: MSAL Python answered both calls from the msal-rs cache (0 token requests)");
    Ok(())
}
