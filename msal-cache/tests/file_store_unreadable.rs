//! A cache file that cannot be read is never treated as empty by a write: the write fails with a
//! `CacheError` that says what is wrong, the file stays byte for byte as it was, reads keep
//! serving what is in memory, and `TokenCache::clear` is the explicit way to replace it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
#![cfg(feature = "file")]

mod support;

use std::{fs, path::Path, time::SystemTime};

use msal_cache::{AccessTokenQuery, CacheError, FileCacheStore, TokenCache};

const ENV: &str = "login.example";

async fn add(cache: &TokenCache, realm: &str, secret: &str) -> Result<(), CacheError> {
    support::add_app_token(cache, ENV, realm, secret).await
}

async fn find(cache: &TokenCache, realm: &str) -> Option<String> {
    let query = AccessTokenQuery::app("client", realm, [ENV], ["api/.default"]);
    cache
        .find_access_token(&query, SystemTime::now())
        .await
        .unwrap()
        .map(|at| at.secret().secret().to_owned())
}

/// A cache file with a refresh token in it, as another application left it.
fn file_with_refresh_token(path: &Path, app_metadata: &str) -> Vec<u8> {
    let text = format!(
        r#"{{"RefreshToken": {{"uid.utid-login.example-refreshtoken-client--": {{
            "credential_type": "RefreshToken", "secret": "precious-rt", "home_account_id": "uid.utid",
            "environment": "login.example", "client_id": "client", "target": ""}}}},
          "AppMetadata": {app_metadata}}}"#
    );
    fs::write(path, &text).unwrap();
    text.into_bytes()
}

#[tokio::test]
async fn a_wrongly_typed_section_fails_writes_keeps_the_file_and_clear_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let cache = TokenCache::with_store(FileCacheStore::new(&path));
    add(&cache, "tenant-a", "at-a").await.unwrap();

    // Another application writes a file whose AppMetadata section is a list.
    let before = file_with_refresh_token(&path, "[]");

    // A write fails, says what is wrong, and leaves the file as it was.
    let err = add(&cache, "tenant-b", "at-b").await.unwrap_err();
    assert!(matches!(err, CacheError::Deserialize(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("`AppMetadata` section"), "{message}");
    assert!(message.contains("cache.json"), "{message}");
    assert_eq!(fs::read(&path).unwrap(), before, "the file was changed");
    // And again: a failed write must not mark the file as seen.
    assert!(add(&cache, "tenant-b", "at-b").await.is_err());
    assert_eq!(fs::read(&path).unwrap(), before, "the file was changed");

    // Reads serve what is in memory.
    assert_eq!(find(&cache, "tenant-a").await.as_deref(), Some("at-a"));
    assert_eq!(find(&cache, "tenant-b").await, None);

    // An explicit clear lets the next write replace the file with a readable cache.
    cache.clear();
    add(&cache, "tenant-c", "at-c").await.unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let fresh = TokenCache::with_store(FileCacheStore::new(&path));
    assert_eq!(find(&fresh, "tenant-c").await.as_deref(), Some("at-c"));
    assert!(!text.contains("precious-rt"));
    // Writes load the file again as usual afterwards.
    add(&fresh, "tenant-d", "at-d").await.unwrap();
    add(&cache, "tenant-e", "at-e").await.unwrap();
    assert_eq!(find(&cache, "tenant-d").await.as_deref(), Some("at-d"));
}

#[tokio::test]
async fn a_broken_json_file_fails_writes_and_keeps_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let cache = TokenCache::with_store(FileCacheStore::new(&path));
    let before = file_with_refresh_token(&path, "{");
    let err = add(&cache, "tenant-b", "at-b").await.unwrap_err();
    assert!(matches!(err, CacheError::Deserialize(_)), "{err:?}");
    assert!(err.to_string().contains("cache.json"), "{err}");
    assert_eq!(fs::read(&path).unwrap(), before, "the file was changed");
}

#[tokio::test]
async fn a_readable_file_with_the_same_tokens_is_merged_not_replaced() {
    // The control: with a well-typed section the write keeps the refresh token.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let cache = TokenCache::with_store(FileCacheStore::new(&path));
    file_with_refresh_token(&path, "{}");
    add(&cache, "tenant-b", "at-b").await.unwrap();
    assert!(fs::read_to_string(&path).unwrap().contains("precious-rt"));
}
