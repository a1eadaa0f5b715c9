//! End-to-end tests of the managed-identity sources: each answers in its own shape and rejects a
//! request missing its required header.
// Helpers outside #[test] functions unwrap too: a failed setup should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Request, http, jwt_payload, service_fabric};
use msal_emulator::{Emulator, EmulatorConfig, ids};

const RESOURCE: &str = "https%3A%2F%2Fmanagement.fake-entra.invalid%2F";

async fn start() -> Emulator {
    Emulator::start(EmulatorConfig::default()).await.unwrap()
}

#[tokio::test]
async fn imds_system_and_user_assigned() {
    let emu = start().await;
    let target =
        format!("/metadata/identity/oauth2/token?api-version=2018-02-01&resource={RESOURCE}");
    let resp = http(&emu, Request::get(&target).header("Metadata", "true"))
        .await
        .unwrap();
    assert_eq!(resp.status, 200, "{}", resp.text());
    let body = resp.json();
    assert_eq!(body["expires_in"], "86399");
    assert!(body["expires_on"].is_string());
    assert_eq!(body["resource"], ids::MI_RESOURCE);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["client_id"], ids::MI_SYSTEM_ASSIGNED_CLIENT_ID);
    let at = jwt_payload(body["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], ids::MI_RESOURCE);

    let user = http(
        &emu,
        Request::get(format!("{target}&client_id={}", ids::MI_IMDS_CLIENT_ID))
            .header("Metadata", "true"),
    )
    .await
    .unwrap()
    .json();
    assert_eq!(user["client_id"], ids::MI_IMDS_CLIENT_ID);

    let unknown = http(
        &emu,
        Request::get(format!(
            "{target}&client_id=00000000-0000-4000-8000-0000000000ff"
        ))
        .header("Metadata", "true"),
    )
    .await
    .unwrap();
    assert_eq!(unknown.status, 400);

    let missing = http(&emu, Request::get(&target)).await.unwrap();
    assert_eq!(missing.status, 400);
    assert_eq!(missing.json()["error"], "invalid_request");

    let region = http(
        &emu,
        Request::get("/metadata/instance/compute/location?format=text&api-version=2021-01-01")
            .header("Metadata", "true"),
    )
    .await
    .unwrap();
    assert_eq!(region.text(), "westus2");
    let no_header = http(
        &emu,
        Request::get("/metadata/instance/compute/location?format=text&api-version=2021-01-01"),
    )
    .await
    .unwrap();
    assert_eq!(no_header.status, 400);
}

#[tokio::test]
async fn app_service_and_machine_learning() {
    let emu = start().await;
    let header = emu.config().app_service_identity_header.clone();
    let target = format!(
        "/msi/token?api-version=2019-08-01&resource={RESOURCE}&client_id={}",
        ids::MI_APP_SERVICE_CLIENT_ID
    );
    let ok = http(
        &emu,
        Request::get(&target)
            .header("X-IDENTITY-HEADER", &header)
            .header("Metadata", "true"),
    )
    .await
    .unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text());
    let body = ok.json();
    assert!(body["expires_on"].as_str().unwrap().parse::<u64>().is_ok());
    assert_eq!(body["client_id"], ids::MI_APP_SERVICE_CLIENT_ID);
    let missing = http(&emu, Request::get(&target)).await.unwrap();
    assert_eq!(missing.status, 400);
    assert!(missing.json()["message"].is_string());
    let wrong = http(
        &emu,
        Request::get(&target).header("X-IDENTITY-HEADER", "nope"),
    )
    .await
    .unwrap();
    assert_eq!(wrong.status, 400);

    let secret = emu.config().ml_secret.clone();
    let target = format!(
        "/msi/ml?api-version=2017-09-01&resource={RESOURCE}&clientid={}",
        ids::MI_ML_CLIENT_ID
    );
    let ok = http(&emu, Request::get(&target).header("secret", &secret))
        .await
        .unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["clientid"], ids::MI_ML_CLIENT_ID);
    assert_eq!(http(&emu, Request::get(&target)).await.unwrap().status, 401);
}

#[tokio::test]
async fn cloud_shell_returns_the_users_token() {
    let emu = start().await;
    let ok = http(
        &emu,
        Request::post_form(
            "/oauth2/token",
            &[("resource", "https://management.fake-entra.invalid/")],
        )
        .header("Metadata", "true"),
    )
    .await
    .unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text());
    let at = jwt_payload(ok.json()["access_token"].as_str().unwrap());
    assert_eq!(at["oid"], ids::USER_OID);
    assert_eq!(at["tid"], ids::TENANT_ID);
    let missing = http(
        &emu,
        Request::post_form("/oauth2/token", &[("resource", "https://x/")]),
    )
    .await
    .unwrap();
    assert_eq!(missing.status, 400);
    assert!(missing.json()["error"]["code"].is_string());
}

#[tokio::test]
async fn azure_arc_challenge_then_basic_auth() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::start(EmulatorConfig::default().arc_key_dir(dir.path()))
        .await
        .unwrap();
    assert_eq!(emu.arc_key_dir(), dir.path());
    let target =
        format!("/arc/metadata/identity/oauth2/token?api-version=2020-06-01&resource={RESOURCE}");
    let challenge = http(&emu, Request::get(&target).header("Metadata", "true"))
        .await
        .unwrap();
    assert_eq!(challenge.status, 401);
    let www = challenge.header("WWW-Authenticate").unwrap();
    let (scheme, path) = www.split_once('=').unwrap();
    assert_eq!(scheme, "Basic realm");
    let key_path = std::path::Path::new(path);
    assert!(key_path.starts_with(dir.path()));
    assert_eq!(key_path.extension().and_then(|e| e.to_str()), Some("key"));
    let secret = std::fs::read_to_string(key_path).unwrap();

    let ok = http(
        &emu,
        Request::get(&target)
            .header("Metadata", "true")
            .header("Authorization", &format!("Basic {secret}")),
    )
    .await
    .unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["expires_in"], "86399");

    let wrong = http(
        &emu,
        Request::get(&target)
            .header("Metadata", "true")
            .header("Authorization", "Basic nope"),
    )
    .await
    .unwrap();
    assert_eq!(wrong.status, 401);
    let no_metadata = http(&emu, Request::get(&target)).await.unwrap();
    assert_eq!(no_metadata.status, 400);

    // User-assigned: the selector is echoed back, as MSAL Python 1.39 requires.
    let user_target = format!("{target}&client_id={}", ids::MI_IMDS_CLIENT_ID);
    let ok = http(
        &emu,
        Request::get(&user_target)
            .header("Metadata", "true")
            .header("Authorization", &format!("Basic {secret}")),
    )
    .await
    .unwrap()
    .json();
    assert_eq!(ok["client_id"], ids::MI_IMDS_CLIENT_ID);
}

#[tokio::test]
async fn service_fabric_over_pinned_tls() {
    let emu = start().await;
    let thumbprint = emu.service_fabric_thumbprint();
    assert_eq!(thumbprint.len(), 40);
    assert!(emu.service_fabric_url().starts_with("https://127.0.0.1:"));
    let secret = emu.config().service_fabric_secret.clone();
    let target = format!("/msi/sf?api-version=2019-07-01-preview&resource={RESOURCE}");
    let ok = service_fabric(
        &emu,
        Request::get(&target).header("Secret", &secret),
        &thumbprint,
    )
    .await
    .unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text());
    let body = ok.json();
    assert!(body["expires_on"].is_u64());
    assert_eq!(body["token_type"], "Bearer");

    let missing = service_fabric(&emu, Request::get(&target), &thumbprint)
        .await
        .unwrap();
    assert_eq!(missing.status, 401);
    assert_eq!(missing.json()["error"]["code"], "SecretHeaderNotFound");

    // A client pinning another thumbprint never gets to send its secret.
    assert!(
        service_fabric(&emu, Request::get(&target), &"0".repeat(40))
            .await
            .is_err()
    );
}
