//! `RedisCacheStore` against a real `redis-server` (one per test) and the emulator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use msal::{TokenSource, prelude::*};
use support::*;

#[tokio::test]
async fn two_instances_share_tokens() {
    let Some(redis) = redis("two_instances_share_tokens") else {
        return;
    };
    let emu = emulator().await;
    let (store1, store2) = (store(&redis.url()).await, store(&redis.url()).await);
    let (app1, app2) = (app(&emu, &store1), app(&emu, &store2));

    let first = app1
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(first.token_source(), TokenSource::IdentityProvider);
    let second = app2
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(second.token_source(), TokenSource::Cache);
    assert_eq!(second.access_token(), first.access_token());
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 1);

    // One key for the partition, holding exactly that partition.
    let key = store1.redis_key(&app_partition());
    assert_eq!(key, format!("test:{}", app_partition()));
    assert_eq!(access_tokens_in(&redis.get(&key).unwrap()), 1);
    assert_eq!(redis.command(&["DBSIZE"]).as_deref(), Some(":1"));
    assert_eq!(store1.stats().redis_writes, 1);
    assert_eq!(store2.stats().redis_writes, 0);

    // A third call on instance 2 is an L1 hit: no Redis round trip.
    let reads = store2.stats().redis_reads;
    app2.acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(store2.stats().redis_reads, reads);
    assert!(store2.stats().l1_hits >= 1);

    // Debug shows settings and counters, never the URL or a token.
    let debug = format!("{store1:?}");
    assert!(debug.contains("key_prefix") && !debug.contains("redis://"));
    assert!(!debug.contains(first.access_token().secret()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_from_two_instances_lose_nothing() {
    let Some(redis) = redis("concurrent_writes_from_two_instances_lose_nothing") else {
        return;
    };
    let emu = emulator().await;
    // No L1, so every write starts from what Redis holds and conflicts are as likely as can be.
    let build = || async {
        msal_cache_redis::RedisCacheStore::builder(redis.url())
            .key_prefix("test")
            .l1_ttl(Duration::ZERO)
            .max_merge_retries(50)
            .build()
            .await
            .unwrap()
    };
    let stores = [build().await, build().await];
    let apps = [app(&emu, &stores[0]), app(&emu, &stores[1])];
    const TASKS: usize = 8;
    const SCOPES_PER_TASK: usize = 3;
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let app = apps[task % 2].clone();
        handles.push(tokio::spawn(async move {
            for n in 0..SCOPES_PER_TASK {
                let result = app
                    .acquire_token_for_client([scope(task * SCOPES_PER_TASK + n)])
                    .await
                    .unwrap();
                assert_eq!(result.token_source(), TokenSource::IdentityProvider);
            }
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
    let blob = redis.get(&stores[0].redis_key(&app_partition())).unwrap();
    assert_eq!(access_tokens_in(&blob), TASKS * SCOPES_PER_TASK, "{blob}");
    let merges = stores[0].stats().merges + stores[1].stats().merges;
    eprintln!("concurrent writes: {merges} merges");

    // And each instance can serve every token from the cache now.
    for app in &apps {
        for i in 0..TASKS * SCOPES_PER_TASK {
            let hit = app.acquire_token_for_client([scope(i)]).await.unwrap();
            assert_eq!(hit.token_source(), TokenSource::Cache);
        }
    }
    assert_eq!(
        emu.count("POST", "/oauth2/v2.0/token"),
        TASKS * SCOPES_PER_TASK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_and_recovery() {
    let Some(mut redis) = redis("redis_outage_and_recovery") else {
        return;
    };
    let emu = emulator().await;
    let store1 = store(&redis.url()).await;
    let app1 = app(&emu, &store1);
    app1.acquire_token_for_client([scope(0)]).await.unwrap();

    redis.kill();
    let store2 = store(&redis.url()).await; // built while Redis is down: not an error
    let app2 = app(&emu, &store2);
    for i in 1..=5 {
        let started = Instant::now();
        for app in [&app1, &app2] {
            let result = app.acquire_token_for_client([scope(i)]).await.unwrap();
            assert!(result.access_token().secret().len() > 10);
        }
        // Bounded: two calls each with at most a few 300 ms Redis timeouts.
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "slow during outage"
        );
    }
    // Tokens acquired during the outage are served from memory.
    let again = app1.acquire_token_for_client([scope(3)]).await.unwrap();
    assert_eq!(again.token_source(), TokenSource::Cache);
    let (s1, s2) = (store1.stats(), store2.stats());
    assert!(s1.failures >= 5 && s2.failures >= 5, "{s1:?} {s2:?}");
    // Logged once per interval (an hour in these stores), not per call.
    assert_eq!((s1.failure_warnings, s2.failure_warnings), (1, 1));

    redis.start();
    // The connection comes back by itself; a new token reaches Redis again.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut i = 100;
    loop {
        app2.acquire_token_for_client([scope(i)]).await.unwrap();
        let stored = redis
            .get(&store2.redis_key(&app_partition()))
            .map_or(0, |b| access_tokens_in(&b));
        if stored > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the store did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
        i += 1;
    }
    // A fresh instance gets that token from Redis.
    let store3 = store(&redis.url()).await;
    let app3 = app(&emu, &store3);
    let hit = app3.acquire_token_for_client([scope(i)]).await.unwrap();
    assert_eq!(hit.token_source(), TokenSource::Cache);
    assert_eq!(store3.stats().failures, 0);
}

#[tokio::test]
async fn a_corrupt_value_is_treated_as_empty_and_replaced() {
    let Some(redis) = redis("a_corrupt_value_is_treated_as_empty_and_replaced") else {
        return;
    };
    let emu = emulator().await;
    let store = store(&redis.url()).await;
    let key = store.redis_key(&app_partition());
    redis.set(&key, "{\"AccessToken\": not json");
    let app = app(&emu, &store);
    let result = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(result.token_source(), TokenSource::IdentityProvider);
    assert!(store.stats().corrupt_values >= 1);
    // The write replaced the corrupt value with a readable partition.
    assert_eq!(access_tokens_in(&redis.get(&key).unwrap()), 1);
    let hit = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(hit.token_source(), TokenSource::Cache);
}

/// The race the merge exists for, step by step through the `CacheStore` calls `TokenCache`
/// makes: instance A loads under its (process-local) lock, instance B writes the same partition,
/// then A saves. B's entry must survive and A's deletion must stick.
#[tokio::test]
async fn a_racing_write_is_merged_not_overwritten() {
    use msal_cache::{AccessKind, CacheAccess, CacheStore};
    let Some(redis) = redis("a_racing_write_is_merged_not_overwritten") else {
        return;
    };
    let (a, b) = (store(&redis.url()).await, store(&redis.url()).await);
    let key = a.redis_key("p");
    redis.set(
        &key,
        r#"{"AccessToken": {"old": {"cached_at": "1"}, "kept": {"cached_at": "1"}}}"#,
    );
    let write = CacheAccess::new(AccessKind::Write, "p", "client");

    let _lock_a = a.lock(&write).await.unwrap();
    assert!(a.load(&write).await.unwrap().unwrap().contains("old"));
    {
        let _lock_b = b.lock(&write).await.unwrap();
        b.load(&write).await.unwrap();
        b.save(
            &write,
            r#"{"AccessToken": {"old": {"cached_at": "1"}, "kept": {"cached_at": "1"}, "from_b": {"cached_at": "5"}}}"#,
        )
        .await
        .unwrap();
    }
    // A pruned "old" and added "from_a".
    a.save(
        &write,
        r#"{"AccessToken": {"kept": {"cached_at": "1"}, "from_a": {"cached_at": "6"}}}"#,
    )
    .await
    .unwrap();
    let stored: serde_json::Value = serde_json::from_str(&redis.get(&key).unwrap()).unwrap();
    let mut entries: Vec<&str> = stored["AccessToken"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    entries.sort_unstable();
    assert_eq!(entries, ["from_a", "from_b", "kept"]);
    assert_eq!(a.stats().merges, 1);
    assert_eq!(b.stats().merges, 0);
    // A's L1 holds the merged partition, so A reads B's entry without a round trip.
    let read = CacheAccess::new(AccessKind::Read, "p", "client");
    assert!(a.load(&read).await.unwrap().unwrap().contains("from_b"));
}

/// A web farm: the user signs in on instance 1; instance 2, which never loaded that user's
/// partition, finds the account by the home account id the app kept in its session, and answers
/// a silent call from Redis.
#[tokio::test]
async fn another_instance_finds_the_account_by_home_account_id() {
    let Some(redis) = redis("another_instance_finds_the_account_by_home_account_id") else {
        return;
    };
    let emu = emulator().await;
    let (store1, store2) = (store(&redis.url()).await, store(&redis.url()).await);
    let (app1, app2) = (app(&emu, &store1), app(&emu, &store2));

    // ROPC is the shortest way to a signed-in user against the emulator.
    #[allow(deprecated)]
    let signed_in = app1
        .acquire_token_by_username_password(ids::USER_UPN, ids::USER_PASSWORD, [ids::USER_SCOPE])
        .await
        .unwrap();
    let home = signed_in.account().unwrap().home_account_id.clone();

    // The unfiltered listing reads the cross-partition key only: instance 2 sees nobody.
    assert!(app2.get_accounts().await.unwrap().is_empty());
    let found = app2
        .get_accounts()
        .home_account_id(home.clone())
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].home_account_id, home);
    assert!(
        app2.get_accounts()
            .home_account_id("someone-else.tenant")
            .await
            .unwrap()
            .is_empty()
    );

    let silent = app2
        .acquire_token_silent([ids::USER_SCOPE], &found[0])
        .await
        .unwrap();
    assert_eq!(silent.token_source(), TokenSource::Cache);
    assert_eq!(silent.access_token(), signed_in.access_token());
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 1);
}
