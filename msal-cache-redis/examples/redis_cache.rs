//! Two app instances sharing app tokens through Redis, against the local emulator.
//!
//! ```text
//! redis-server --port 6379 --save "" &      # optional: without Redis both calls still succeed
//! cargo run -p msal-cache-redis --example redis_cache -- redis://127.0.0.1:6379
//! ```
//! The second instance is answered from Redis (`Cache`) when Redis is up, and from the identity
//! provider when it is not.

use std::time::Duration;

use msal::{
    ClientCredential, ConfidentialClientApplication, TokenCache, authority::DiscoveryCache,
    http::ReqwestClient,
};
use msal_cache_redis::RedisCacheStore;
use msal_emulator::{Emulator, EmulatorConfig, ids};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    let emu = Emulator::start(EmulatorConfig::default()).await?;
    let http = ReqwestClient::builder()
        .add_root_certificate_pem(emu.ca_pem().as_bytes())?
        .no_proxy()
        .build()?;

    // Each instance (in production: each process or pod) has its own store and cache.
    let mut stores = Vec::new();
    let mut apps = Vec::new();
    for _ in 0..2 {
        let store = RedisCacheStore::builder(url.as_str())
            .key_prefix("msal-example")
            .l1_ttl(Duration::from_secs(5))
            .operation_timeout(Duration::from_millis(200))
            .build()
            .await?;
        let app = ConfidentialClientApplication::builder(
            ids::CONFIDENTIAL_CLIENT_ID,
            ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
        )
        .authority(emu.authority())?
        .known_authorities(["127.0.0.1"])
        .http_client(http.clone())
        .discovery_cache(DiscoveryCache::new())
        .token_cache(TokenCache::with_store(store.clone()))
        .build()?;
        stores.push(store);
        apps.push(app);
    }
    for (i, app) in apps.iter().enumerate() {
        let result = app.acquire_token_for_client([ids::APP_SCOPE]).await?;
        println!("instance {i}: token from {:?}", result.token_source());
    }
    for (i, store) in stores.iter().enumerate() {
        println!("instance {i}: {:?}", store.stats());
    }
    println!(
        "token requests seen by the identity provider: {}",
        emu.count("POST", "/oauth2/v2.0/token")
    );
    Ok(())
}
