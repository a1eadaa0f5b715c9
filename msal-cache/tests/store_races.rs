//! Reads of the store and write sections of the same cache, interleaved: nothing another
//! process wrote, and nothing this process wrote, may be lost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod support;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use msal_cache::{
    AccessKind, CacheAccess, CacheError, CacheStore, CredentialType, EntryQuery, TokenCache,
};
use tokio::sync::Notify;

/// A store like `FileCacheStore`: a versioned blob, and `load` returns `None` when the version
/// is the one it last handed out. Its next read `load` can be held mid-way.
#[derive(Debug, Default)]
struct VersionedStore {
    blob: Mutex<(String, u64)>,
    seen: Mutex<u64>,
    hold_next_read: Mutex<Option<(Arc<Notify>, Arc<Notify>)>>,
}

#[async_trait]
impl CacheStore for VersionedStore {
    async fn load(&self, access: &CacheAccess) -> Result<Option<String>, CacheError> {
        let (blob, version) = self.blob.lock().unwrap().clone();
        let unchanged = {
            let mut seen = self.seen.lock().unwrap();
            std::mem::replace(&mut *seen, version) == version
        };
        if access.kind == AccessKind::Read {
            let hold = self.hold_next_read.lock().unwrap().take();
            if let Some((entered, release)) = hold {
                // Counted as seen, not yet applied: the window a write must not fall into.
                entered.notify_one();
                release.notified().await;
            }
        }
        Ok((!unchanged).then_some(blob))
    }

    async fn save(&self, _: &CacheAccess, state: &str) -> Result<(), CacheError> {
        let mut blob = self.blob.lock().unwrap();
        blob.0 = state.to_owned();
        blob.1 += 1;
        *self.seen.lock().unwrap() = blob.1;
        Ok(())
    }
}

async fn add(cache: &TokenCache, realm: &str) {
    support::add_app_token(cache, "login.example", realm, &format!("at-{realm}"))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_during_a_reads_load_loses_neither_change() {
    let store = Arc::new(VersionedStore::default());
    // Another process wrote a token for tenant "a" (version 1), which this cache has not seen.
    let other = TokenCache::new();
    add(&other, "a").await;
    *store.blob.lock().unwrap() = (other.serialize(), 1);

    let cache = Arc::new(TokenCache::with_store(store.clone()));
    let (entered, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    *store.hold_next_read.lock().unwrap() = Some((entered.clone(), release.clone()));
    let reader = tokio::spawn({
        let cache = cache.clone();
        async move {
            cache
                .search(&EntryQuery::new(CredentialType::AccessToken))
                .await
                .unwrap()
                .len()
        }
    });
    entered.notified().await;
    // The read holds version 1 as seen but has not applied it; this process writes "b" now.
    let writer = tokio::spawn({
        let cache = cache.clone();
        async move { add(&cache, "b").await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !writer.is_finished(),
        "the write section ran between the read's load and its apply"
    );
    release.notify_one();
    reader.await.unwrap();
    writer.await.unwrap();

    let saved = store.blob.lock().unwrap().0.clone();
    assert!(
        saved.contains("at-a"),
        "the other process's token was lost: {saved}"
    );
    assert!(
        saved.contains("at-b"),
        "this process's token was lost: {saved}"
    );
    assert_eq!(cache.count(CredentialType::AccessToken), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_load_is_never_applied_over_a_newer_one() {
    let store = Arc::new(VersionedStore::default());
    let other = TokenCache::new();
    add(&other, "a").await;
    *store.blob.lock().unwrap() = (other.serialize(), 1);

    let cache = Arc::new(TokenCache::with_store(store.clone()));
    let (entered, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    *store.hold_next_read.lock().unwrap() = Some((entered.clone(), release.clone()));
    let count = |cache: Arc<TokenCache>| async move {
        cache
            .search(&EntryQuery::new(CredentialType::AccessToken))
            .await
            .unwrap()
            .len()
    };
    let first = tokio::spawn(count(cache.clone()));
    entered.notified().await;
    // The first read holds version 1; the other process saves version 2 (tokens a and b), and
    // a second read of this cache starts.
    add(&other, "b").await;
    *store.blob.lock().unwrap() = (other.serialize(), 2);
    let second = tokio::spawn(count(cache.clone()));
    tokio::time::sleep(Duration::from_millis(50)).await;
    release.notify_one();
    first.await.unwrap();
    assert_eq!(second.await.unwrap(), 2);
    assert_eq!(
        cache.count(CredentialType::AccessToken),
        2,
        "version 1 was applied over version 2"
    );
    // And the next write keeps both.
    add(&cache, "c").await;
    let saved = store.blob.lock().unwrap().0.clone();
    for token in ["at-a", "at-b", "at-c"] {
        assert!(saved.contains(token), "{token} was lost: {saved}");
    }
}
