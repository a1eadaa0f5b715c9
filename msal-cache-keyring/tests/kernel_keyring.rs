//! The headless Linux backend end to end: the cache file sealed under a key in the kernel
//! keyring, read back by other stores (as other processes would), lost keys, altered files,
//! plaintext files left alone, several processes writing at once, and the pick of this backend
//! when no session bus exists.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod support;

use std::{path::Path, time::Duration};

use linux_keyutils::{KeyRing, KeyRingIdentifier};
use msal_cache::TokenCache;
use msal_cache_keyring::{KeyringBackend, KeyringCacheStore, KeyringError};
use support::{access_tokens, add, assert_child_passed, contains, keyring_error, run_child};

fn sealed_store(path: &Path) -> KeyringCacheStore {
    KeyringCacheStore::new(path).backends([KeyringBackend::KernelKeyring])
}

/// The keyring the store keeps its keys in: the persistent one, or the user keyring where
/// the kernel has no persistent keyrings.
fn key_ring() -> KeyRing {
    KeyRing::get_persistent(KeyRingIdentifier::Process)
        .or_else(|_| KeyRing::from_special_id(KeyRingIdentifier::User, false))
        .unwrap()
}

/// Removes the store's key from the kernel keyring, as a reboot or its expiry would.
fn forget_key(store: &KeyringCacheStore) {
    if let Ok(key) = key_ring().search(&store.kernel_key_description()) {
        key.invalidate().unwrap();
    }
}

/// Whether keyctl(2) works here; containers may forbid it (Docker's default seccomp profile).
/// Tests that need it are skipped, and named, where it does not, unless
/// `MSAL_REQUIRE_KERNEL_KEYRING=1` (CI sets it).
fn kernel_keyring_usable(test: &str) -> bool {
    let usable = KeyRing::from_special_id(KeyRingIdentifier::Process, true).is_ok();
    if !usable {
        msal_test_support::skip_or_fail(
            test,
            "a usable kernel keyring (keyctl(2))",
            "allow the keyctl, add_key and request_key system calls",
            "MSAL_REQUIRE_KERNEL_KEYRING",
        );
    }
    usable
}

#[tokio::test]
async fn the_file_is_sealed_and_other_stores_read_it_through_the_kernel_key() {
    if !kernel_keyring_usable("the_file_is_sealed_and_other_stores_read_it_through_the_kernel_key")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.bin");
    let store = sealed_store(&path);
    assert_eq!(
        store.backend().await.unwrap(),
        KeyringBackend::KernelKeyring
    );
    let cache = TokenCache::with_store(store);
    add(&cache, "tenant-a", "at-secret-a").await.unwrap();

    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"MSALSC01"), "not sealed");
    assert!(
        !contains(&bytes, "at-secret-a"),
        "the token is readable in the file"
    );
    assert!(
        !contains(&bytes, "tenant-a"),
        "the cache's structure is readable in the file"
    );

    // A second store on the same file (another process) opens it with the same kernel key,
    // and its write is seen by the first.
    let other = TokenCache::with_store(sealed_store(&path));
    assert_eq!(access_tokens(&other).await, 1);
    add(&other, "tenant-b", "at-secret-b").await.unwrap();
    assert_eq!(access_tokens(&cache).await, 2);
    forget_key(&sealed_store(&path));
}

#[tokio::test]
async fn losing_the_key_means_signing_in_again_never_a_readable_file() {
    if !kernel_keyring_usable("losing_the_key_means_signing_in_again_never_a_readable_file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.bin");
    let cache = TokenCache::with_store(sealed_store(&path));
    add(&cache, "tenant-a", "at-secret-a").await.unwrap();
    forget_key(&sealed_store(&path));

    // The next process finds a file it can never open: an empty cache, not an error.
    let fresh = TokenCache::with_store(sealed_store(&path));
    assert_eq!(access_tokens(&fresh).await, 0);
    // Signing in again writes under a new key; the file stays sealed.
    add(&fresh, "tenant-b", "at-secret-b").await.unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"MSALSC01"));
    assert!(!contains(&bytes, "at-secret-b"));
    assert_eq!(
        access_tokens(&TokenCache::with_store(sealed_store(&path))).await,
        1
    );
    forget_key(&sealed_store(&path));
}

#[tokio::test]
async fn an_altered_file_is_never_read() {
    if !kernel_keyring_usable("an_altered_file_is_never_read") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.bin");
    let cache = TokenCache::with_store(sealed_store(&path));
    add(&cache, "tenant-a", "at-secret-a").await.unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();

    let reader = TokenCache::with_store(sealed_store(&path));
    assert_eq!(
        access_tokens(&reader).await,
        0,
        "an altered file was trusted"
    );
    forget_key(&sealed_store(&path));
}

#[tokio::test]
async fn a_plaintext_cache_at_the_location_is_left_as_it_is() {
    if !kernel_keyring_usable("a_plaintext_cache_at_the_location_is_left_as_it_is") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let plaintext = "{\"AccessToken\": {}, \"Account\": {}}";
    std::fs::write(&path, plaintext).unwrap();

    let cache = TokenCache::with_store(sealed_store(&path));
    let err = add(&cache, "tenant-a", "at-secret-a").await.unwrap_err();
    assert!(
        matches!(keyring_error(&err), KeyringError::NotSealed { .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("cache.json") && message.contains("not an encrypted"),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), plaintext);
}

const WRITERS: usize = 4;
const TOKENS_PER_WRITER: usize = 25;

#[test]
#[ignore = "child process of processes_sharing_a_sealed_cache_lose_no_write"]
fn sealed_writer_process() {
    let spec = std::env::var("MSAL_SEALED_WRITER").expect("run by its parent test");
    let (path, me) = spec.split_once('|').unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = sealed_store(Path::new(path)).lock_timeout(Duration::from_secs(60));
        let cache = TokenCache::with_store(store);
        for i in 0..TOKENS_PER_WRITER {
            add(&cache, &format!("tenant-{me}-{i}"), &format!("at-{me}-{i}"))
                .await
                .unwrap();
        }
    });
}

#[test]
fn processes_sharing_a_sealed_cache_lose_no_write() {
    if !kernel_keyring_usable("processes_sharing_a_sealed_cache_lose_no_write") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.bin");
    // All start before any key exists: the key is made once, under the lock, and every
    // process seals with it.
    let children: Vec<_> = (0..WRITERS)
        .map(|me| {
            let path = path.clone();
            std::thread::spawn(move || {
                run_child("sealed_writer_process", |c| {
                    c.env("MSAL_SEALED_WRITER", format!("{}|{me}", path.display()));
                })
            })
        })
        .collect();
    for child in children {
        assert_child_passed("sealed_writer_process", &child.join().unwrap());
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let total = runtime.block_on(access_tokens(&TokenCache::with_store(sealed_store(&path))));
    assert_eq!(total, WRITERS * TOKENS_PER_WRITER);
    forget_key(&sealed_store(&path));
}

/// The child's environment has no session bus: no `DBUS_SESSION_BUS_ADDRESS`, and an empty
/// `XDG_RUNTIME_DIR`, where D-Bus would look for one otherwise.
fn without_a_session_bus(command: &mut std::process::Command, runtime_dir: &Path) {
    command
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", runtime_dir);
}

#[tokio::test]
#[ignore = "child process of without_a_session_bus_the_kernel_keyring_is_picked"]
async fn headless_default_pick() {
    let path = std::env::var("MSAL_HEADLESS_CACHE").expect("run by its parent test");
    let store = KeyringCacheStore::new(&path);
    assert_eq!(
        store.backend().await.unwrap(),
        KeyringBackend::KernelKeyring
    );
    let cache = TokenCache::with_store(store);
    add(&cache, "tenant-a", "at-secret-a").await.unwrap();
    forget_key(&KeyringCacheStore::new(&path));
    assert!(std::fs::read(&path).unwrap().starts_with(b"MSALSC01"));
}

#[test]
fn without_a_session_bus_the_kernel_keyring_is_picked() {
    if !kernel_keyring_usable("without_a_session_bus_the_kernel_keyring_is_picked") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run_child("headless_default_pick", |c| {
        without_a_session_bus(c, dir.path());
        c.env("MSAL_HEADLESS_CACHE", dir.path().join("cache.bin"));
    });
    assert_child_passed("headless_default_pick", &out);
}

#[tokio::test]
#[ignore = "child process of with_nothing_secure_reachable_the_error_says_what_to_do"]
async fn nothing_secure_reachable() {
    let path = Path::new(&std::env::var("MSAL_HEADLESS_CACHE").expect("run by its parent test"))
        .to_path_buf();
    // Only the Secret Service is allowed, and there is no bus.
    let store = KeyringCacheStore::new(&path).backends([KeyringBackend::SecretService]);
    let err = store.backend().await.unwrap_err();
    let KeyringError::NoSecureStorage { tried } = keyring_error(&err) else {
        panic!("{err}");
    };
    assert_eq!(tried.len(), 1);
    assert_eq!(tried[0].0, KeyringBackend::SecretService);
    let message = err.to_string();
    for hint in [
        "Secret Service",
        "gnome-keyring",
        "fallback_to_plaintext(true)",
    ] {
        assert!(message.contains(hint), "{hint:?} missing from: {message}");
    }
    // Every access fails the same way; nothing is written anywhere.
    let cache = TokenCache::with_store(store);
    assert!(add(&cache, "tenant-a", "at-secret-a").await.is_err());
    assert!(!path.exists());

    // Plaintext only when asked for, and then it is a plain cache file.
    let store = KeyringCacheStore::new(&path)
        .backends([KeyringBackend::SecretService])
        .fallback_to_plaintext(true);
    assert_eq!(store.backend().await.unwrap(), KeyringBackend::Plaintext);
    add(&TokenCache::with_store(store), "tenant-a", "at-secret-a")
        .await
        .unwrap();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("at-secret-a")
    );
}

#[test]
fn with_nothing_secure_reachable_the_error_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_child("nothing_secure_reachable", |c| {
        without_a_session_bus(c, dir.path());
        c.env("MSAL_HEADLESS_CACHE", dir.path().join("cache.json"));
    });
    assert_child_passed("nothing_secure_reachable", &out);
}

#[tokio::test]
async fn every_spelling_of_one_file_names_one_key() {
    if !kernel_keyring_usable("every_spelling_of_one_file_names_one_key") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
    let direct = sealed_store(&real.join("cache.bin"));
    let linked = sealed_store(
        &dir.path()
            .join("link")
            .join("..")
            .join("real")
            .join("cache.bin"),
    );
    let through_link = sealed_store(&dir.path().join("link").join("cache.bin"));
    assert_eq!(
        direct.kernel_key_description(),
        linked.kernel_key_description()
    );
    assert_eq!(
        direct.kernel_key_description(),
        through_link.kernel_key_description()
    );
    // A directory that does not exist yet names the same key before and after it is made.
    let not_yet = |root: &Path| sealed_store(&root.join("later").join("cache.bin"));
    let before = not_yet(&dir.path().join("link")).kernel_key_description();
    std::fs::create_dir(real.join("later")).unwrap();
    assert_eq!(before, not_yet(&real).kernel_key_description());

    add(&TokenCache::with_store(direct), "tenant-a", "at-a")
        .await
        .unwrap();
    assert_eq!(
        access_tokens(&TokenCache::with_store(through_link)).await,
        1
    );
    forget_key(&linked);
}
