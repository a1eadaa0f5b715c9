//! Partition reads through `RedisCacheStore` with 100k tenants' partitions in Redis.
//!
//! `cargo bench -p msal-cache-redis --bench partition_read`
//!
//! Starts its own `redis-server` on a free port when one is installed; without it only the L1
//! benchmarks run (against an unreachable Redis, primed by write-through).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)] // bench code

#[path = "../tests/support/mod.rs"]
mod support;

use std::{
    hint::black_box,
    time::{Duration, Instant, UNIX_EPOCH},
};

use criterion::{Criterion, criterion_group, criterion_main};
use msal_cache::{AccessKind, AccessTokenQuery, CacheAccess, CacheStore, TokenCache, keys};
use msal_cache_redis::RedisCacheStore;
use serde_json::json;

const TENANTS: usize = 100_000;
const NOW: u64 = 1_795_670_000;
const ENV: &str = "login.microsoftonline.com";
const CLIENT: &str = "00000000-0000-4000-8000-0000000000a2";
const SCOPE: &str = "https://graph.microsoft.com/.default";

fn tenant(i: usize) -> String {
    format!("{i:08x}-2b34-4da1-9baa-8bc8c9d6a490")
}

/// One tenant's app-token partition as `TokenCache` saves it: a token-sized access token plus
/// the client's AppMetadata.
fn partition_json(i: usize) -> String {
    let realm = tenant(i);
    let secret = format!("eyJ0eXAiOiJKV1Qi.{}.{i:08}", "x".repeat(1_150));
    serde_json::to_string_pretty(&json!({
        "AccessToken": {
            format!("-{ENV}-accesstoken-{CLIENT}-{realm}-{SCOPE}"): {
                "credential_type": "AccessToken", "secret": secret, "home_account_id": null,
                "environment": ENV, "client_id": CLIENT, "target": SCOPE, "realm": realm,
                "token_type": "Bearer", "cached_at": (NOW - 100).to_string(),
                "expires_on": (NOW + 3500).to_string(),
                "extended_expires_on": (NOW + 3500).to_string()
            }
        },
        "AppMetadata": {
            format!("appmetadata-{ENV}-{CLIENT}"): {"client_id": CLIENT, "environment": ENV}
        }
    }))
    .unwrap()
}

fn read(i: usize) -> CacheAccess {
    CacheAccess::new(
        AccessKind::Read,
        keys::app_partition_key(CLIENT, &tenant(i)),
        CLIENT,
    )
}

/// Fills Redis with every tenant's partition: pipelined SETs, 2 000 per round trip.
async fn populate(url: &str) -> Duration {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let started = Instant::now();
    for chunk in (0..TENANTS).collect::<Vec<_>>().chunks(2_000) {
        let mut pipe = redis::pipe();
        for &i in chunk {
            let key = format!("bench:{}", keys::app_partition_key(CLIENT, &tenant(i)));
            pipe.set(key, partition_json(i)).ignore();
        }
        pipe.query_async::<()>(&mut conn).await.unwrap();
    }
    started.elapsed()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // Not `support::redis`: a bench without Redis still measures the L1.
    let server = if std::process::Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        support::redis("bench")
    } else {
        eprintln!("*** redis-server not installed: L1 benchmarks only ***");
        None
    };
    let url = server
        .as_ref()
        .map_or_else(|| "redis://127.0.0.1:1".to_owned(), |s| s.url());
    if server.is_some() {
        let took = rt.block_on(populate(&url));
        let memory = server
            .as_ref()
            .and_then(|s| s.command(&["INFO", "memory"]))
            .and_then(|info| {
                info.lines()
                    .find_map(|l| l.strip_prefix("used_memory_human:").map(str::to_owned))
            })
            .unwrap_or_default();
        eprintln!(
            "populated {TENANTS} partitions in {took:?} (pipelined); redis used_memory {memory}"
        );
    }
    let build = |l1_ttl: Duration| {
        rt.block_on(
            RedisCacheStore::builder(url.as_str())
                .key_prefix("bench")
                .l1_ttl(l1_ttl)
                .l1_capacity(TENANTS + 10)
                .operation_timeout(Duration::from_millis(200))
                .build(),
        )
        .unwrap()
    };

    let mut group = c.benchmark_group("partition_read");
    // L1 hit: the hot path of every cache-served acquire_token_for_client within the TTL.
    let l1 = build(Duration::from_secs(3600));
    rt.block_on(async {
        let write = CacheAccess::new(AccessKind::Write, read(42).partition_key, CLIENT);
        let _lock = l1.lock(&write).await.unwrap();
        l1.load(&write).await.unwrap();
        l1.save(&write, &partition_json(42)).await.unwrap();
    });
    let hot = read(42);
    group.bench_function("l1_hit", |b| {
        b.iter(|| rt.block_on(async { black_box(l1.load(&hot).await.unwrap()) }))
    });

    // The same through TokenCache: load, parse the partition, look the token up.
    let cache = TokenCache::with_store(l1.clone());
    let query = AccessTokenQuery::app(CLIENT, tenant(42), [ENV], [SCOPE]);
    let now = UNIX_EPOCH + Duration::from_secs(NOW);
    assert!(
        rt.block_on(cache.find_access_token(&query, now))
            .unwrap()
            .is_some()
    );
    group.bench_function("l1_hit_find_access_token", |b| {
        b.iter(|| {
            rt.block_on(async { black_box(cache.find_access_token(&query, now).await.unwrap()) })
        })
    });

    if server.is_some() {
        // L1 miss: one GET of a random tenant's partition out of 100k, plus validation.
        let cold = build(Duration::ZERO);
        let mut i = 0usize;
        group.bench_function("l1_miss_redis_get", |b| {
            b.iter(|| {
                i = (i + 7_919) % TENANTS;
                let access = read(i);
                rt.block_on(async { black_box(cold.load(&access).await.unwrap()) })
            })
        });
        assert!(cold.stats().failures == 0, "{:?}", cold.stats());
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
