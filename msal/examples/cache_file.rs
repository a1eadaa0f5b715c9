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

#[path = "support/target.rs"]
mod target;

use std::path::{Path, PathBuf};

use msal::{ConfidentialClientApplication, TokenCache, cache::FileCacheStore};
use target::{AppKind, BoxError, Target, redacted};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let target = Target::from_env(AppKind::Daemon).await?;
    let keep = std::env::args().nth(1).map(PathBuf::from);
    let path = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("msal-example-cache-{}.json", std::process::id()))
    });
    println!("Cache file: {}", path.display());

    for instance in ["first app instance", "second app instance"] {
        let app = app_with_file_cache(&target, &path)?;
        let result = app.acquire_token_for_client(&target.scopes).await?;
        println!(
            "{instance}: token {} from {:?}",
            redacted(result.access_token.secret()),
            result.token_source,
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
    target: &Target,
    path: &Path,
) -> Result<ConfidentialClientApplication, BoxError> {
    let cache = TokenCache::with_store(FileCacheStore::new(path));
    Ok(target
        .confidential_client(target.credential(false)?)?
        .token_cache(cache)
        .build()?)
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
