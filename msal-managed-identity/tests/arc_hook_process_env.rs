//! The Azure Arc key-directory test hook set in the real process environment is ignored.
//!
//! Its own test binary: the check runs in a child process started with the hook (and the Arc
//! variables) in its environment, so no test thread's environment is changed and the client
//! uses `Env::process()`, as a production app does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::{Scripted, ids};
use msal_core::{Error, ManagedIdentityError};
use msal_managed_identity::{
    ARC_KEY_DIRECTORY_VAR, ManagedIdentityClient, ManagedIdentitySource,
    SystemAssignedManagedIdentity,
};

/// Set by the parent in the child's environment: the key file the challenge names.
const CHILD_KEY_FILE: &str = "MSAL_TEST_ARC_HOOK_CHILD_KEY_FILE";
/// What the child prints once its checks passed, so the parent knows it really ran.
const CHILD_DONE: &str = "arc-hook-child-checks-passed";

#[test]
fn process_environment_cannot_move_the_arc_key_directory() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("stolen.key");
    std::fs::write(&key_file, "not-for-the-endpoint").unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_refuses_the_key_file", "--exact", "--nocapture"])
        // Arc by its variables; the scripted transport means nothing listens or is contacted.
        .env(
            "IDENTITY_ENDPOINT",
            "http://127.0.0.1:9/metadata/identity/oauth2/token",
        )
        .env("IMDS_ENDPOINT", "http://127.0.0.1:9")
        .env(ARC_KEY_DIRECTORY_VAR, dir.path())
        .env(CHILD_KEY_FILE, &key_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains(CHILD_DONE),
        "child failed: {stdout}\n{stderr}"
    );
}

/// Runs only in the child (the parent sets [`CHILD_KEY_FILE`]); a no-op otherwise.
#[tokio::test]
async fn child_refuses_the_key_file() {
    let Ok(key_file) = std::env::var(CHILD_KEY_FILE) else {
        return;
    };
    let http = Scripted::new().answer(
        401,
        &[("WWW-Authenticate", &format!("Basic realm={key_file}"))],
        "",
    );
    // No `with_env`: the client reads the process environment, hook included.
    let mi = ManagedIdentityClient::new(SystemAssignedManagedIdentity, http.clone());
    assert_eq!(mi.source(), ManagedIdentitySource::AzureArc);
    let e = mi
        .acquire_token_for_client(ids::MI_RESOURCE)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::ManagedIdentity(
                ManagedIdentityError::ArcKeyFile(_) | ManagedIdentityError::ArcPlatformNotSupported
            )
        ),
        "{e:?}"
    );
    assert!(!e.to_string().contains("not-for-the-endpoint"));
    let seen = http.seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "no second leg carrying the key");
    assert!(seen[0].headers().get("Authorization").is_none());
    println!("{CHILD_DONE}");
}
