//! Shared by the keyring store's end-to-end tests.
#![allow(dead_code, reason = "each test file uses its own part")]

use std::{
    process::{Command, Output},
    time::SystemTime,
};

use msal_cache::{CacheError, CredentialType, EntryQuery, TokenCache, TokenEvent};
use msal_cache_keyring::KeyringError;
use msal_core::TokenResponse;

/// Adds a client-credentials token for `realm`, whose access token is `secret`, through the
/// cache (a write access: lock, load, change, save).
pub(crate) async fn add(cache: &TokenCache, realm: &str, secret: &str) -> Result<(), CacheError> {
    let mut response = TokenResponse::default();
    response.access_token = secret.to_owned().into();
    response.expires_in = Some(3600);
    let event = TokenEvent::new(
        "client",
        "login.example",
        realm,
        ["api/.default"],
        &response,
        "client_credentials",
    );
    cache
        .add_token_response(event, SystemTime::now())
        .await
        .map(drop)
}

/// How many access tokens the cache holds after reading its store.
pub(crate) async fn access_tokens(cache: &TokenCache) -> usize {
    cache
        .search(&EntryQuery::new(CredentialType::AccessToken))
        .await
        .unwrap()
        .len()
}

/// The [`KeyringError`] inside a cache error.
pub(crate) fn keyring_error(e: &CacheError) -> &KeyringError {
    match e {
        CacheError::Store(source) => source
            .downcast_ref::<KeyringError>()
            .unwrap_or_else(|| panic!("not a KeyringError: {e}")),
        other => panic!("not a store error: {other}"),
    }
}

/// Whether `haystack` contains `needle`.
pub(crate) fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Runs the `#[ignore]`d test `name` of this test binary as a child process, with `setup`
/// shaping its command (environment, a wrapper), and returns its output.
pub(crate) fn run_child(name: &str, setup: impl FnOnce(&mut Command)) -> Output {
    let exe = std::env::current_exe().unwrap();
    let mut command = Command::new(exe);
    command.args([
        name,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    setup(&mut command);
    command.output().unwrap()
}

/// Panics with the child's output unless it succeeded and really ran `name`.
pub(crate) fn assert_child_passed(name: &str, out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child test {name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
