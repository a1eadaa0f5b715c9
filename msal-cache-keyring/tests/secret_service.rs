//! The Linux desktop backend end to end, against a real Secret Service: gnome-keyring on a
//! private session bus that the test starts itself (`dbus-run-session`), in a throwaway home.
//! libsecret's own command-line client, `secret-tool`, reads what the store wrote and writes
//! what the store reads, with the `xdg:schema` attribute and plain-text secret that libsecret
//! (and so msal-extensions' `LibsecretPersistence`) uses.
//!
//! The checks run in a child process inside that session (the `ss_child_*` tests, ignored in a
//! normal run); `secret_service_end_to_end` starts it. Skipped (loudly) when gnome-keyring,
//! dbus or libsecret-tools is missing, unless `MSAL_REQUIRE_SECRET_SERVICE=1`.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod support;

use std::{
    io::Write,
    path::PathBuf,
    process::{Command, Stdio},
    time::Duration,
};

use msal_cache::{CacheError, CrossPlatLock, TokenCache};
use msal_cache_keyring::{KeyringBackend, KeyringCacheStore};
use sha2::{Digest, Sha256};
use support::{access_tokens, add, contains};

/// How many `ss_child_*` tests there are; the parent checks that all of them ran.
const CHILD_TESTS: usize = 6;

/// A Python with msal-extensions 1.3.1 and PyGObject (`cargo xtask test` makes one and names
/// it here).
const PYTHON_VAR: &str = "MSAL_EXTENSIONS_PYTHON";

#[test]
fn secret_service_end_to_end() {
    let tools = ["dbus-run-session", "gnome-keyring-daemon", "secret-tool"];
    if let Some(missing) = tools.iter().find(|t| !on_path(t)) {
        msal_test_support::skip_or_fail(
            "secret_service_end_to_end",
            missing,
            "apt-get install gnome-keyring dbus libsecret-tools",
            "MSAL_REQUIRE_SECRET_SERVICE",
        );
        return;
    }
    let python = std::env::var_os(PYTHON_VAR).filter(|p| python_has_msal_extensions(p));
    if python.is_none() {
        msal_test_support::skip_or_fail(
            "secret_service_end_to_end (msal-extensions' LibsecretPersistence)",
            "a Python with msal-extensions 1.3.1 and PyGObject",
            "cargo xtask test makes one in target/keyring-interop-venv and sets MSAL_EXTENSIONS_PYTHON",
            "MSAL_REQUIRE_SECRET_SERVICE",
        );
    }
    let home = tempfile::tempdir().unwrap();
    let runtime_dir = home.path().join("run");
    std::fs::create_dir_all(&runtime_dir).unwrap();
    let mut permissions = std::fs::metadata(&runtime_dir).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o700);
    std::fs::set_permissions(&runtime_dir, permissions).unwrap();

    // The keyring daemon creates the `login` collection with this password, unlocked, and makes
    // it the default; then the test binary runs the children inside the same session.
    let script = "printf throwaway | gnome-keyring-daemon --unlock --components=secrets \
                  >/dev/null && exec \"$0\" \"$@\"";
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script])
        .arg(std::env::current_exe().unwrap())
        .args(["ss_child_", "--ignored", "--nocapture", "--test-threads=1"])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_RUNTIME_DIR", &runtime_dir)
        .env("MSAL_SS_CHILD", "1")
        .env(PYTHON_VAR, python.unwrap_or_default())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(&format!("{CHILD_TESTS} passed")),
        "the Secret Service checks failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn python_has_msal_extensions(python: &std::ffi::OsStr) -> bool {
    Command::new(python)
        .args([
            "-c",
            "import msal_extensions, gi; gi.require_version('Secret', '1')",
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Runs only inside the session `secret_service_end_to_end` starts.
fn in_session() -> bool {
    std::env::var("MSAL_SS_CHILD").as_deref() == Ok("1")
}

/// A fresh location in the throwaway home.
fn location(name: &str) -> PathBuf {
    let dir = PathBuf::from(std::env::var("HOME").unwrap()).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("token_cache.signal")
}

fn secret_tool(args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new("secret-tool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "secret-tool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
#[ignore = "run inside a private Secret Service session by secret_service_end_to_end"]
async fn ss_child_the_cache_is_a_libsecret_item_under_msal_extensions_defaults() {
    assert!(in_session());
    let path = location("defaults");
    let store = KeyringCacheStore::new(&path);
    assert_eq!(
        store.backend().await.unwrap(),
        KeyringBackend::SecretService
    );
    let cache = TokenCache::with_store(store);
    add(&cache, "tenant-a", "at-secret-a").await.unwrap();

    // msal-extensions' default schema name is the SHA-256 hex of the signal location.
    let schema: String = Sha256::digest(path.to_string_lossy().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let stored = secret_tool(&["lookup", "xdg:schema", &schema], None);
    assert_eq!(stored, cache.serialize());
    // The signal file is there, and holds nothing.
    assert_eq!(std::fs::read(&path).unwrap(), b"");
    for entry in std::fs::read_dir(path.parent().unwrap()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !contains(&bytes, "at-secret-a"),
            "a token reached the disk in plaintext"
        );
    }
}

#[tokio::test]
#[ignore = "run inside a private Secret Service session by secret_service_end_to_end"]
async fn ss_child_an_item_libsecret_stored_is_read_and_replaced_in_place() {
    assert!(in_session());
    let path = location("libsecret");
    // What LibsecretPersistence(path, schema_name="msal.test", attributes={"app": "demo"})
    // stores: the cache text under the schema and attributes; then it touches the file.
    let writer = TokenCache::new();
    add(&writer, "tenant-py", "at-from-python").await.unwrap();
    secret_tool(
        &[
            "store",
            "--label=python",
            "xdg:schema",
            "msal.test",
            "app",
            "demo",
        ],
        Some(&writer.serialize()),
    );
    std::fs::write(&path, "").unwrap();

    let store = KeyringCacheStore::new(&path)
        .schema_name("msal.test")
        .attribute("app", "demo");
    let cache = TokenCache::with_store(store);
    assert_eq!(access_tokens(&cache).await, 1);
    add(&cache, "tenant-rs", "at-from-rust").await.unwrap();
    // One item, updated: libsecret's lookup sees both tokens.
    let stored = secret_tool(&["lookup", "xdg:schema", "msal.test", "app", "demo"], None);
    assert!(stored.contains("at-from-python") && stored.contains("at-from-rust"));
    let all = secret_tool(&["search", "--all", "xdg:schema", "msal.test"], None);
    assert_eq!(all.matches("[/").count(), 1, "{all}");
}

#[tokio::test]
#[ignore = "run inside a private Secret Service session by secret_service_end_to_end"]
async fn ss_child_a_save_by_another_process_is_seen_through_the_signal_file() {
    assert!(in_session());
    let path = location("signal");
    let first = TokenCache::with_store(KeyringCacheStore::new(&path));
    add(&first, "tenant-a", "at-a").await.unwrap();
    let before = KeyringCacheStore::new(&path)
        .last_modified()
        .unwrap()
        .unwrap();

    let second = TokenCache::with_store(KeyringCacheStore::new(&path));
    assert_eq!(access_tokens(&second).await, 1);
    add(&second, "tenant-b", "at-b").await.unwrap();
    let after = KeyringCacheStore::new(&path)
        .last_modified()
        .unwrap()
        .unwrap();
    // Each save sets the signal file's time to the nanosecond, so every save is a change.
    assert!(after > before);
    assert_eq!(access_tokens(&first).await, 2);
}

#[tokio::test]
#[ignore = "run inside a private Secret Service session by secret_service_end_to_end"]
async fn ss_child_writes_wait_for_the_lock_file_beside_the_location() {
    assert!(in_session());
    let path = location("lock");
    let mut lock_path = path.clone().into_os_string();
    lock_path.push(".lockfile");
    let held = CrossPlatLock::new(&lock_path).acquire().await.unwrap();
    let store = KeyringCacheStore::new(&path).lock_timeout(Duration::from_millis(200));
    let cache = TokenCache::with_store(store);
    let err = add(&cache, "tenant-a", "at-a").await.unwrap_err();
    assert!(matches!(err, CacheError::LockTimeout { .. }), "{err}");
    drop(held);
    add(&cache, "tenant-a", "at-a").await.unwrap();
}

/// msal-extensions' side: `tests/interop/libsecret_cache.py read|write LOCATION`.
fn msal_extensions(python: &str, mode: &str, location: &std::path::Path) -> String {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("interop")
        .join("libsecret_cache.py");
    let out = Command::new(python)
        .arg(script)
        .arg(mode)
        .arg(location)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "msal-extensions {mode} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
#[ignore = "run inside a private Secret Service session by secret_service_end_to_end"]
async fn ss_child_msal_extensions_libsecret_persistence_shares_the_cache() {
    assert!(in_session());
    // The parent has recorded the skip when there is no such Python.
    let python = std::env::var(PYTHON_VAR).unwrap_or_default();
    if python.is_empty() {
        return;
    }
    let path = location("msal-extensions");
    // Both sides with their defaults: `KeyringCacheStore::new(p)` and
    // `PersistedTokenCache(build_encrypted_persistence(p))`.
    let cache = TokenCache::with_store(KeyringCacheStore::new(&path));
    add(&cache, "tenant-rs", "at-from-rust").await.unwrap();
    assert_eq!(
        msal_extensions(&python, "read", &path).trim(),
        r#"["at-from-rust"]"#
    );
    msal_extensions(&python, "write", &path);
    // Python's save touched the signal file: the Rust cache reloads and sees both tokens.
    assert_eq!(access_tokens(&cache).await, 2);
    let found = cache.serialize();
    assert!(found.contains("at-from-python") && found.contains("at-from-rust"));
}

#[tokio::test]
#[ignore = "run inside a private Secret Service session by secret_service_end_to_end"]
async fn ss_child_a_headless_process_at_the_same_location_keeps_its_sealed_cache() {
    assert!(in_session());
    let path = location("mixed");
    // A process that found no Secret Service (an SSH session of the same user) keeps its cache
    // sealed in the location file itself...
    let sealed = || KeyringCacheStore::new(&path).backends([KeyringBackend::KernelKeyring]);
    let description = sealed().kernel_key_description();
    let headless = TokenCache::with_store(sealed());
    add(&headless, "tenant-ssh", "at-ssh").await.unwrap();
    // ...and the desktop's saves only touch that file, so neither loses its tokens.
    let desktop = TokenCache::with_store(KeyringCacheStore::new(&path));
    add(&desktop, "tenant-desktop", "at-desktop").await.unwrap();
    assert_eq!(access_tokens(&headless).await, 1);
    add(&headless, "tenant-ssh-2", "at-ssh-2").await.unwrap();
    assert_eq!(access_tokens(&desktop).await, 1);
    assert_eq!(access_tokens(&TokenCache::with_store(sealed())).await, 2);
    let ring = linux_keyutils::KeyRing::get_persistent(linux_keyutils::KeyRingIdentifier::Process)
        .unwrap();
    if let Ok(key) = ring.search(&description) {
        key.invalidate().unwrap();
    }
}
