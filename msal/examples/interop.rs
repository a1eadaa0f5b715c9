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
        .ok_or("usage: interop <python> <read_cache.py> [--bench <bench_silent.py>]")?;
    // `--bench <bench_silent.py>`: also time the same silent call in both libraries.
    let bench = match (args.next().as_deref(), args.next()) {
        (Some("--bench"), Some(script)) => Some(script),
        _ => None,
    };
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
    let py = python.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .args(args)
            .env("REQUESTS_CA_BUNDLE", &ca_env)
            .env("CURL_CA_BUNDLE", &ca_env)
            .output()
    })
    .await??;
    if let Some(bench_script) = &bench {
        compare_silent(&pca, &python, bench_script, &cache_path, &ca_path, &emu).await?;
    }
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

/// Times `acquire_token_silent` answered from the same cache file in msal-rs and MSAL Python.
async fn compare_silent(
    pca: &PublicClientApplication,
    python: &str,
    script: &str,
    cache_path: &std::path::Path,
    ca_path: &std::path::Path,
    emu: &Emulator,
) -> Result<(), BoxError> {
    const ITERATIONS: u32 = 20_000;
    let account = pca
        .get_accounts()
        .await?
        .into_iter()
        .next()
        .ok_or("no account")?;
    let start = std::time::Instant::now();
    for _ in 0..ITERATIONS {
        std::hint::black_box(
            pca.acquire_token_silent([ids::USER_SCOPE], &account)
                .await?,
        );
    }
    let rust_ns = start.elapsed().as_nanos() as f64 / f64::from(ITERATIONS);
    let (python, script) = (python.to_owned(), script.to_owned());
    let args = [
        script,
        cache_path.display().to_string(),
        emu.authority(),
        ca_path.display().to_string(),
        ids::PUBLIC_CLIENT_ID.to_owned(),
        ids::USER_SCOPE.to_owned(),
        ITERATIONS.to_string(),
    ];
    let ca_env = ca_path.display().to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args(args)
            .env("REQUESTS_CA_BUNDLE", &ca_env)
            .env("CURL_CA_BUNDLE", &ca_env)
            .output()
    })
    .await??;
    if !out.status.success() {
        return Err(format!(
            "python bench failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let python_ns: f64 = String::from_utf8_lossy(&out.stdout).trim().parse()?;
    println!(
        "acquire_token_silent cache hit, same cache file: msal-rs {:.0} ns, MSAL Python 1.39.0 {:.0} ns ({:.0}x faster)",
        rust_ns,
        python_ns,
        python_ns / rust_ns
    );
    Ok(())
}
