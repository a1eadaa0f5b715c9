//! A token cache encrypted at rest (feature `keyring`): in the Secret Service on a Linux
//! desktop, in the Keychain on macOS, and on headless Linux (SSH, containers, CI) in a file
//! sealed under a key that only the kernel keyring holds. Two app instances stand in for two
//! runs: the second is served from the encrypted cache.
//!
//! ```sh
//! cargo run -p msal --example cache_keyring --features keyring
//! ```
//!
//! It runs offline against a local emulator (`msal_emulator`). Where nothing can encrypt the
//! cache it fails and says what to do; it never falls back to plaintext.

use msal::{
    ClientCredential, ConfidentialClientApplication, TokenCache,
    cache::{KeyringBackend, KeyringCacheStore},
};
use msal_emulator::{Emulator, EmulatorConfig, ids};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    // One fixed location, so that repeated runs use one keyring item (or kernel key).
    let location = std::env::temp_dir().join("msal-example-keyring-cache");

    // What msal-extensions' `trial_run()` is for: find out now, not at the first sign-in.
    let backend = KeyringCacheStore::new(&location).backend().await?;
    println!(
        "The token cache is kept in the {backend} (location {})",
        location.display()
    );

    for instance in ["first app instance", "second app instance"] {
        let cache = TokenCache::with_store(KeyringCacheStore::new(&location));
        let app = ConfidentialClientApplication::builder(
            ids::CONFIDENTIAL_CLIENT_ID,
            ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
        )
        .authority(emulator.authority())?
        .known_authorities(emulator.known_authorities())
        .http_client(emulator.http_client()?)
        .token_cache(cache)
        .build()?;
        let result = app.acquire_token_for_client([ids::APP_SCOPE]).await?;
        println!(
            "{instance}: token [redacted, {} chars] from {:?}",
            result.access_token().secret().len(),
            result.token_source(),
        );
    }

    let on_disk = std::fs::read(&location)?;
    match backend {
        KeyringBackend::KernelKeyring => println!(
            "On disk: {} bytes, sealed (they start with {:?}); the key is the kernel's `{}`",
            on_disk.len(),
            String::from_utf8_lossy(&on_disk[..on_disk.len().min(8)]),
            KeyringCacheStore::new(&location).kernel_key_description(),
        ),
        _ => println!(
            "On disk: an empty signal file ({} bytes); the tokens are in the {backend}",
            on_disk.len()
        ),
    }
    Ok(())
}
