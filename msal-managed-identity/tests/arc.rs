//! Azure Arc: the key-file challenge end to end, and every refusal of a key file the challenge
//! should not have named.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::*;
use msal_core::{Env, Error, ManagedIdentityError};
use msal_emulator::EmulatorConfig;
use msal_managed_identity::{
    ARC_KEY_DIRECTORY_VAR, ManagedIdentityClient, ManagedIdentitySource,
    SystemAssignedManagedIdentity, UserAssignedManagedIdentity,
};

const RESOURCE: &str = ids::MI_RESOURCE;

async fn arc_emulator(key_dir: &Path) -> msal_emulator::Emulator {
    emulator_with(EmulatorConfig {
        arc_key_dir: Some(key_dir.to_path_buf()),
        ..EmulatorConfig::default()
    })
    .await
}

fn arc_requests(em: &msal_emulator::Emulator) -> Vec<msal_emulator::LoggedRequest> {
    em.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/arc/"))
        .collect()
}

#[tokio::test]
async fn challenge_then_token() {
    let dir = tempfile::tempdir().unwrap();
    let em = arc_emulator(dir.path()).await;
    let mi = client(SystemAssignedManagedIdentity, arc_env(&em, dir.path()));
    assert_eq!(mi.source(), ManagedIdentitySource::AzureArc);
    let r = mi.acquire_token_for_client(RESOURCE).await.unwrap();
    assert_eq!(r.extra()["resource"], RESOURCE);
    let sent = arc_requests(&em);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].status, 401);
    assert_eq!(sent[0].header("Authorization"), None);
    assert_eq!(sent[1].status, 200);
    let key_file = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let key = std::fs::read_to_string(key_file).unwrap();
    assert_eq!(
        sent[1].header("Authorization"),
        Some(format!("Basic {key}").as_str())
    );
    for r in &sent {
        assert_eq!(r.query_keys(), ["api-version", "resource"]);
        assert_eq!(r.query_param("api-version"), Some("2020-06-01"));
        assert_eq!(r.header("Metadata"), Some("true"));
    }
    // Nothing secret in what a caller might log.
    let e = format!("{mi:?} {r:?}");
    assert!(!e.contains(&key));
}

#[tokio::test]
async fn user_assigned_is_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let em = arc_emulator(dir.path()).await;
    let mi = client(
        UserAssignedManagedIdentity::client_id(ids::MI_IMDS_CLIENT_ID),
        arc_env(&em, dir.path()),
    );
    mi.acquire_token_for_client(RESOURCE).await.unwrap();
    let sent = arc_requests(&em);
    assert_eq!(
        sent[1].query_param("client_id"),
        Some(ids::MI_IMDS_CLIENT_ID)
    );
}

#[tokio::test]
async fn key_file_outside_the_directory_is_refused() {
    let served = tempfile::tempdir().unwrap();
    let expected = tempfile::tempdir().unwrap();
    let em = arc_emulator(served.path()).await;
    let mi = client(SystemAssignedManagedIdentity, arc_env(&em, expected.path()));
    let e = mi.acquire_token_for_client(RESOURCE).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::ManagedIdentity(ManagedIdentityError::ArcKeyFile(_))
        ),
        "{e:?}"
    );
    assert_eq!(arc_requests(&em).len(), 1, "no second leg");
}

fn scripted_arc(realm: &Path, dir: &Path) -> (ManagedIdentityClient, Scripted) {
    let http = Scripted::new().answer(
        401,
        &[(
            "WWW-Authenticate",
            &format!("Basic realm={}", realm.display()),
        )],
        "",
    );
    let env = Env::from_vars([
        (
            "IDENTITY_ENDPOINT",
            "http://127.0.0.1:40342/metadata/identity/oauth2/token".to_owned(),
        ),
        ("IMDS_ENDPOINT", "http://127.0.0.1:40342".to_owned()),
        (ARC_KEY_DIRECTORY_VAR, dir.display().to_string()),
    ]);
    let mi = ManagedIdentityClient::new(SystemAssignedManagedIdentity, http.clone()).with_env(env);
    (mi, http)
}

#[tokio::test]
async fn wrong_extension_size_and_links_are_refused_unread() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("tokens");
    std::fs::create_dir(&dir).unwrap();
    let txt = dir.join("a.txt");
    std::fs::write(&txt, "secret").unwrap();
    let big = dir.join("big.key");
    std::fs::write(&big, vec![b'k'; 4097]).unwrap();
    let outside = root.path().join("outside.key");
    std::fs::write(&outside, "secret").unwrap();
    let mut cases = vec![
        txt,
        big,
        dir.join("..").join("outside.key"),
        outside.clone(),
    ];
    #[cfg(unix)]
    {
        let link = dir.join("link.key");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        cases.push(link);
    }
    for realm in cases {
        let (mi, http) = scripted_arc(&realm, &dir);
        let e = mi.acquire_token_for_client(RESOURCE).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::ManagedIdentity(ManagedIdentityError::ArcKeyFile(_))
            ),
            "{}: {e:?}",
            realm.display()
        );
        assert!(!e.to_string().contains("secret"));
        assert_eq!(http.count(), 1, "{}", realm.display());
    }
}

#[tokio::test]
async fn malformed_challenges_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::from_vars([
        (
            "IDENTITY_ENDPOINT",
            "http://127.0.0.1:40342/metadata/identity/oauth2/token".to_owned(),
        ),
        ("IMDS_ENDPOINT", "http://127.0.0.1:40342".to_owned()),
        (ARC_KEY_DIRECTORY_VAR, dir.path().display().to_string()),
    ]);
    let http = Scripted::new()
        .answer(401, &[], "")
        .answer(401, &[("WWW-Authenticate", "Bearer realm=x")], "")
        .answer(
            400,
            &[("content-type", "application/json")],
            r#"{"error":"invalid_request","error_description":"bad resource"}"#,
        );
    let mi = ManagedIdentityClient::new(SystemAssignedManagedIdentity, http).with_env(env);
    for _ in 0..2 {
        assert!(matches!(
            mi.acquire_token_for_client(RESOURCE).await,
            Err(Error::ManagedIdentity(ManagedIdentityError::ArcChallenge(
                _
            )))
        ));
    }
    let e = mi.acquire_token_for_client(RESOURCE).await.unwrap_err();
    assert_eq!(e.service_error().unwrap().error, "invalid_request");
}

#[cfg(target_os = "linux")]
#[test]
fn the_agent_executable_means_arc() {
    let env = Env::from_vars([("X", "y")]).with_file("/opt/azcmagent/bin/himds");
    let mi = client(SystemAssignedManagedIdentity, env);
    assert_eq!(mi.source(), ManagedIdentitySource::AzureArc);
}
