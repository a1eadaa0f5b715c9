//! End to end against msal-emulator: one test per source, checking the wire against what MSAL
//! Python 1.39 sent (fixture flows `mi_*`) and the result's shape.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use msal_core::{Error, ManagedIdentityError, TokenSource, http::TransportErrorKind};
use msal_managed_identity::{
    ManagedIdentitySource, SystemAssignedManagedIdentity, UserAssignedManagedIdentity,
};

const RESOURCE: &str = ids::MI_RESOURCE;

/// The request matches the fixture flow's query keys, header names and constant values.
fn assert_parity(r: &msal_emulator::LoggedRequest, flow: &str) {
    let fixture = fixture_request(flow);
    assert_eq!(r.method, fixture["method"].as_str().unwrap(), "{flow}");
    assert_eq!(
        r.query_keys(),
        fixture_query_keys(flow),
        "{flow} query keys"
    );
    assert_eq!(
        header_names(r),
        fixture_headers(flow),
        "{flow} header names"
    );
    for (k, v) in fixture["values"].as_object().unwrap() {
        let v = v.as_str().unwrap();
        let sent = r.query_param(k).or_else(|| r.header(k));
        // Our SKU and version replace Python's, as the fixture README says.
        let expected = match k.as_str() {
            "x-client-SKU" => msal_core::SKU,
            "x-client-Ver" => msal_core::VERSION,
            _ => v,
        };
        assert_eq!(sent, Some(expected), "{flow} value of {k}");
    }
}

#[tokio::test]
async fn imds_system_assigned() {
    let em = emulator().await;
    let mi = client(SystemAssignedManagedIdentity, imds_env(&em));
    assert_eq!(mi.source(), ManagedIdentitySource::Imds);
    let r = mi.acquire_token_for_client(RESOURCE).await.unwrap();
    assert_eq!(r.token_source(), TokenSource::IdentityProvider);
    assert!(r.account().is_none());
    assert_eq!(r.scopes(), [RESOURCE]);
    assert_eq!(r.extra()["resource"], RESOURCE);
    assert_eq!(r.token_type(), "Bearer");
    assert!(
        r.refresh_on().is_some(),
        "a one-day token is refreshed at half-life"
    );
    let sent = mi_requests(&em);
    assert_eq!(sent.len(), 1);
    assert_parity(&sent[0], "mi_imds_system");
    assert!(sent[0].header("x-ms-client-request-id").is_some());
    assert_eq!(r.correlation_id(), sent[0].header("x-ms-client-request-id"));

    // The second call is a cache hit: no request.
    let again = mi.acquire_token_for_client(RESOURCE).await.unwrap();
    assert_eq!(again.token_source(), TokenSource::Cache);
    assert_eq!(again.access_token().secret(), r.access_token().secret());
    assert_eq!(again.extra()["resource"], RESOURCE);
    assert_eq!(mi_requests(&em).len(), 1);

    // Cached as MSAL Python writes it: system-assigned has a null client_id.
    let json: serde_json::Value = serde_json::from_str(&mi.token_cache().serialize()).unwrap();
    let at = json["AccessToken"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    assert_eq!(at["environment"], "localhost");
    assert_eq!(at["realm"], "managed_identity");
    assert!(at["client_id"].is_null());
    assert!(at["home_account_id"].is_null());
    assert_eq!(at["target"], RESOURCE);
    assert!(at["refresh_on"].is_string());
}

#[tokio::test]
async fn imds_user_assigned_id_kinds() {
    let em = emulator().await;
    let user = em.config().user_assigned_identities[0].clone();
    assert_eq!(user.client_id, ids::MI_IMDS_CLIENT_ID);
    let cases = [
        (
            UserAssignedManagedIdentity::client_id(&user.client_id),
            "client_id",
            &user.client_id,
        ),
        (
            UserAssignedManagedIdentity::object_id(&user.object_id),
            "object_id",
            &user.object_id,
        ),
        (
            UserAssignedManagedIdentity::resource_id(&user.resource_id),
            "msi_res_id",
            &user.resource_id,
        ),
    ];
    for (identity, param, value) in cases {
        em.clear_requests();
        let mi = client(identity, imds_env(&em));
        let r = mi.acquire_token_for_client(RESOURCE).await.unwrap();
        assert_eq!(r.extra()["client_id"], user.client_id.as_str(), "{param}");
        let sent = mi_requests(&em);
        assert_eq!(sent[0].query_param(param), Some(value.as_str()));
        if param == "client_id" {
            assert_parity(&sent[0], "mi_imds_user_assigned");
        }
    }
    // An unknown identity is the service's error, typed.
    let mi = client(
        UserAssignedManagedIdentity::client_id("nope"),
        imds_env(&em),
    );
    let e = mi.acquire_token_for_client(RESOURCE).await.unwrap_err();
    assert_eq!(e.service_error().unwrap().error, "invalid_request");
}

#[tokio::test]
async fn app_service_user_assigned() {
    let em = emulator().await;
    let mi = client(
        UserAssignedManagedIdentity::client_id(ids::MI_APP_SERVICE_CLIENT_ID),
        app_service_env(&em),
    );
    assert_eq!(mi.source(), ManagedIdentitySource::AppService);
    let r = mi.acquire_token_for_client(RESOURCE).await.unwrap();
    assert_eq!(r.extra()["resource"], RESOURCE);
    let sent = mi_requests(&em);
    assert_parity(&sent[0], "mi_app_service");
    assert_eq!(
        sent[0].header("X-IDENTITY-HEADER"),
        Some(em.config().app_service_identity_header.as_str())
    );
    // expires_on (a numeric string) became a one-day lifetime.
    let left = r.expires_in().as_secs();
    assert!((86_000..=86_399).contains(&left), "{left}");

    let by_res = client(
        UserAssignedManagedIdentity::resource_id(
            &em.config().user_assigned_identities[1].resource_id,
        ),
        app_service_env(&em),
    );
    by_res.acquire_token_for_client(RESOURCE).await.unwrap();
    assert!(mi_requests(&em)[1].query_param("mi_res_id").is_some());

    // A wrong secret is App Service's error, mapped as MSAL Python maps it.
    let env = msal_core::Env::from_vars([
        ("IDENTITY_ENDPOINT", em.app_service_url()),
        ("IDENTITY_HEADER", "wrong".to_owned()),
    ]);
    let e = client(SystemAssignedManagedIdentity, env)
        .acquire_token_for_client(RESOURCE)
        .await
        .unwrap_err();
    let se = e.service_error().unwrap();
    assert_eq!(se.error, "invalid_scope");
    assert!(
        se.error_description
            .as_deref()
            .unwrap()
            .starts_with("400, ")
    );
}

#[tokio::test]
async fn machine_learning() {
    let em = emulator().await;
    let mi = client(
        UserAssignedManagedIdentity::client_id(ids::MI_ML_CLIENT_ID),
        ml_env(&em),
    );
    assert_eq!(mi.source(), ManagedIdentitySource::MachineLearning);
    mi.acquire_token_for_client(RESOURCE).await.unwrap();
    let sent = mi_requests(&em);
    assert_parity(&sent[0], "mi_machine_learning");
    assert_eq!(
        sent[0].header("secret"),
        Some(em.config().ml_secret.as_str())
    );

    let by_object = client(UserAssignedManagedIdentity::object_id("o"), ml_env(&em));
    let e = by_object
        .acquire_token_for_client(RESOURCE)
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        Error::ManagedIdentity(ManagedIdentityError::SourceRejectsUserAssignedId { .. })
    ));
    assert_eq!(mi_requests(&em).len(), 1, "nothing sent for a rejected id");
}

#[tokio::test]
async fn cloud_shell() {
    let em = emulator().await;
    let mi = client(SystemAssignedManagedIdentity, cloud_shell_env(&em));
    assert_eq!(mi.source(), ManagedIdentitySource::CloudShell);
    let r = mi.acquire_token_for_client(RESOURCE).await.unwrap();
    assert_eq!(r.extra()["resource"], RESOURCE);
    let sent = mi_requests(&em);
    assert_eq!(sent[0].method, "POST");
    assert_eq!(sent[0].form_param("resource"), Some(RESOURCE));
    assert_eq!(sent[0].header("Metadata"), Some("true"));
    // A one-hour user token: no proactive refresh.
    assert!(r.refresh_on().is_none());

    let user = client(
        UserAssignedManagedIdentity::client_id("c"),
        cloud_shell_env(&em),
    );
    assert!(matches!(
        user.acquire_token_for_client(RESOURCE).await,
        Err(Error::ManagedIdentity(
            ManagedIdentityError::SourceRejectsUserAssignedId { .. }
        ))
    ));
}

#[tokio::test]
async fn service_fabric_pin_accepts_the_right_certificate() {
    let em = emulator().await;
    let thumbprint = em.service_fabric_thumbprint();
    let mi = client(
        UserAssignedManagedIdentity::client_id(ids::MI_SERVICE_FABRIC_CLIENT_ID),
        service_fabric_env(&em, &thumbprint.to_uppercase()),
    )
    .with_client_capabilities(["cp1"]);
    assert_eq!(mi.source(), ManagedIdentitySource::ServiceFabric);
    let r = mi.acquire_token_for_client(RESOURCE).await.unwrap();
    assert_eq!(r.token_type(), "Bearer");
    let sent = em.requests();
    let sf: Vec<_> = sent
        .iter()
        .filter(|r| r.path.ends_with("/msi/sf"))
        .collect();
    assert_eq!(sf.len(), 1);
    assert_eq!(
        sf[0].header("Secret"),
        Some(em.config().service_fabric_secret.as_str())
    );
    assert_eq!(sf[0].query_param("xms_cc"), Some("cp1"));
    // Without capabilities the request is exactly MSAL Python's.
    let plain = client(
        UserAssignedManagedIdentity::client_id(ids::MI_SERVICE_FABRIC_CLIENT_ID),
        service_fabric_env(&em, &thumbprint),
    );
    plain.acquire_token_for_client(RESOURCE).await.unwrap();
    let last = em.requests().into_iter().last().unwrap();
    assert_parity(&last, "mi_service_fabric");

    // A claims challenge revokes the cached token by its SHA-256.
    use sha2::Digest as _;
    let expected: String = sha2::Sha256::digest(r.access_token().secret().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let fresh = mi
        .acquire_token_for_client(RESOURCE)
        .claims_challenge(r#"{"access_token":{"nbf":{"essential":true,"value":"1"}}}"#)
        .await
        .unwrap();
    assert_eq!(fresh.token_source(), TokenSource::IdentityProvider);
    let last = em.requests().into_iter().last().unwrap();
    assert_eq!(
        last.query_param("token_sha256_to_refresh"),
        Some(expected.as_str())
    );
}

#[tokio::test]
async fn service_fabric_pin_refuses_another_certificate() {
    let em = emulator().await;
    let wrong = "00112233445566778899aabbccddeeff00112233";
    let mi = client(
        SystemAssignedManagedIdentity,
        service_fabric_env(&em, wrong),
    );
    let e = mi.acquire_token_for_client(RESOURCE).await.unwrap_err();
    assert!(
        matches!(&e, Error::Transport(t) if t.kind() == TransportErrorKind::Tls),
        "{e:?}"
    );
    assert!(
        em.requests().iter().all(|r| !r.path.ends_with("/msi/sf")),
        "the secret never reached a server with the wrong certificate"
    );
    let bad = client(
        SystemAssignedManagedIdentity,
        service_fabric_env(&em, "not-hex"),
    );
    assert!(matches!(
        bad.acquire_token_for_client(RESOURCE).await,
        Err(Error::ManagedIdentity(
            ManagedIdentityError::ServerCertificateMismatch
        ))
    ));
}
