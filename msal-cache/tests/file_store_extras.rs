//! msal-extensions' pieces beside `PersistedTokenCache`: a lock file in another place
//! (`lock_location`), the cross-process lock on its own (`CrossPlatLock`), and the cache file's
//! last-modified time (`FilePersistence.time_last_modified`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
#![cfg(feature = "file")]

mod support;

use std::{
    fs,
    path::Path,
    time::{Duration, UNIX_EPOCH},
};

use msal_cache::{CrossPlatLock, FileCacheStore, TokenCache};
use msal_core::CacheError;

async fn add(cache: &TokenCache, secret: &str) -> Result<(), CacheError> {
    support::add_app_token(cache, "login.example", "tenant", secret).await
}

fn lock_timeout(result: Result<(), CacheError>, lock: &Path) {
    match result {
        Err(CacheError::LockTimeout { path, .. }) => assert_eq!(Path::new(&path), lock),
        other => panic!(
            "expected a lock timeout on {}, got {other:?}",
            lock.display()
        ),
    }
}

#[tokio::test]
async fn a_store_locks_through_the_lock_path_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let cache_path = dir.path().join("cache.json");
    let lock_dir = dir.path().join("locks");
    let lock_path = lock_dir.join("shared.lock");
    let store = FileCacheStore::new(&cache_path)
        .lock_path(&lock_path)
        .lock_timeout(Duration::from_millis(200));
    assert_eq!(store.lock_file(), lock_path);
    let cache = TokenCache::with_store(store);

    // Held elsewhere: the store waits on that file, not on `<path>.lockfile`.
    let held = CrossPlatLock::new(&lock_path).acquire_blocking().unwrap();
    lock_timeout(add(&cache, "first").await, &lock_path);
    drop(held);
    add(&cache, "first").await.unwrap();
    assert!(fs::read_to_string(&cache_path).unwrap().contains("first"));
    // A lock on the default place does not stop it.
    let default_lock = CrossPlatLock::new(dir.path().join("cache.json.lockfile"))
        .acquire_blocking()
        .unwrap();
    add(&cache, "second").await.unwrap();
    drop(default_lock);
    assert!(!lock_path.exists(), "released after the write");
}

#[tokio::test]
async fn a_cross_plat_lock_excludes_a_file_cache_store_until_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let cache_path = dir.path().join("cache.json");
    let lock_path = dir.path().join("cache.json.lockfile");
    let cache = TokenCache::with_store(
        FileCacheStore::new(&cache_path).lock_timeout(Duration::from_millis(200)),
    );
    let lock = CrossPlatLock::new(&lock_path);
    let held = lock.acquire().await.unwrap();
    let content = fs::read_to_string(&lock_path).unwrap();
    assert!(
        content.starts_with(&format!("{} ", std::process::id())),
        "msal-extensions' format, the pid first: {content:?}"
    );
    lock_timeout(add(&cache, "blocked").await, &lock_path);
    assert!(
        !cache_path.exists(),
        "nothing written while the lock was held"
    );
    drop(held);
    assert!(!lock_path.exists(), "the lock file is deleted on release");
    add(&cache, "after").await.unwrap();
    assert!(fs::read_to_string(&cache_path).unwrap().contains("after"));
}

#[test]
fn cross_plat_locks_exclude_each_other_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let lock_path = dir.path().join("state.lockfile");
    let counter = dir.path().join("counter");
    fs::write(&counter, "0").unwrap();
    // A second taker times out while the first holds it.
    let first = CrossPlatLock::new(&lock_path).acquire_blocking().unwrap();
    let second = CrossPlatLock::new(&lock_path)
        .timeout(Duration::from_millis(50))
        .acquire_blocking();
    assert!(
        matches!(second, Err(CacheError::LockTimeout { .. })),
        "{second:?}"
    );
    drop(first);
    // Unsynchronised read-modify-write of a file, guarded only by the lock: no update is lost.
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let lock = CrossPlatLock::new(&lock_path).timeout(Duration::from_secs(30));
                for _ in 0..25 {
                    let _held = lock.acquire_blocking().unwrap();
                    let n: u32 = fs::read_to_string(&counter).unwrap().parse().unwrap();
                    std::thread::yield_now();
                    fs::write(&counter, (n + 1).to_string()).unwrap();
                }
            });
        }
    });
    assert_eq!(fs::read_to_string(&counter).unwrap(), "100");
    assert!(!lock_path.exists());
}

#[tokio::test]
async fn last_modified_is_none_without_a_file_then_the_file_time() {
    let dir = tempfile::tempdir().unwrap();
    let cache_path = dir.path().join("cache.json");
    let store = std::sync::Arc::new(FileCacheStore::new(&cache_path));
    assert_eq!(store.last_modified().unwrap(), None);
    let cache = TokenCache::with_store(store.clone());
    add(&cache, "token").await.unwrap();
    let written = store.last_modified().unwrap().unwrap();
    assert_eq!(
        written,
        fs::metadata(&cache_path).unwrap().modified().unwrap()
    );
    // Another process's write shows, whoever made it.
    let then = UNIX_EPOCH + Duration::from_secs(1_795_670_000);
    fs::File::options()
        .write(true)
        .open(&cache_path)
        .unwrap()
        .set_modified(then)
        .unwrap();
    assert_eq!(store.last_modified().unwrap(), Some(then));
    fs::remove_file(&cache_path).unwrap();
    assert_eq!(store.last_modified().unwrap(), None);
}
