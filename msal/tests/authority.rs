//! Authorities end to end against the emulator: instance discovery, unknown hosts and tenants,
//! generic OIDC authorities, and regional endpoints with auto-detection.
#![cfg(feature = "reqwest")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use msal::{
    ClientCredential, ConfidentialClientApplication, Error, TokenSource,
    authority::{DiscoveryCache, InstanceDiscovery, Region},
    http::ReqwestClient,
};
use support::*;

fn secret() -> ClientCredential {
    ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET)
}

/// The confidential app with instance discovery pointed at the emulator's endpoint.
fn app_with_instance_discovery(emu: &Emulator) -> ConfidentialClientApplication {
    ConfidentialClientApplication::builder(ids::CONFIDENTIAL_CLIENT_ID, secret())
        .authority(emu.authority())
        .unwrap()
        .instance_discovery(InstanceDiscovery::Endpoint(format!(
            "{}/common/discovery/instance",
            emu.base_url()
        )))
        .http_client(http(emu))
        .discovery_cache(DiscoveryCache::new())
        .build()
        .unwrap()
}

#[tokio::test]
async fn instance_discovery_validates_the_host_like_msal_python() {
    let emu = emulator().await;
    let app = app_with_instance_discovery(&emu);
    app.acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    let python = python_requests("cc_instance_discovery_url");
    let ours = sent(&emu, "GET", "/common/discovery/instance").remove(0);
    assert_wire_parity(&ours, &python[0]);
    assert_eq!(ours.query_param("api-version"), Some("1.0"));
}

#[tokio::test]
async fn an_unknown_host_fails_instance_discovery_with_a_configuration_error() {
    let emu = emulator().await;
    // Entra's answer for a host it does not know.
    emu.add_fault(FaultRule::new(
        Endpoint::InstanceDiscovery,
        1,
        Fault::Status {
            status: 400,
            retry_after: None,
            body: Some(r#"{"error":"invalid_instance","error_description":"AADSTS50049: Unknown or invalid instance."}"#.into()),
        },
    ));
    let app = app_with_instance_discovery(&emu);
    let e = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Configuration(m) if m.contains("not known")),
        "{e:?}"
    );
    assert_eq!(emu.count("POST", "/token"), 0);
}

#[tokio::test]
async fn an_unknown_tenant_is_a_configuration_error_naming_the_authority() {
    let emu = emulator().await;
    let authority = format!("{}/no-such-tenant.example", emu.base_url());
    let app = confidential_app(&emu, secret())
        .authority(authority.as_str())
        .unwrap()
        .build()
        .unwrap();
    let e = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Configuration(m) if m.contains("no-such-tenant.example")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_generic_oidc_authority_works_with_a_client_secret() {
    let emu = emulator().await;
    let app = ConfidentialClientApplication::builder(ids::CONFIDENTIAL_CLIENT_ID, secret())
        .oidc_authority(format!("{}/oidc", emu.base_url()))
        .unwrap()
        .http_client(http(&emu))
        .discovery_cache(DiscoveryCache::new())
        .build()
        .unwrap();
    let r = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(r.token_source(), TokenSource::IdentityProvider);
    let token = sent(&emu, "POST", "/token").remove(0);
    assert_eq!(
        token.form_param("client_secret"),
        Some(ids::CONFIDENTIAL_CLIENT_SECRET)
    );
    assert!(
        ConfidentialClientApplication::builder("x", secret())
            .authority(emu.authority())
            .unwrap()
            .oidc_authority(format!("{}/oidc", emu.base_url()))
            .unwrap()
            .build()
            .is_err(),
        "authority and oidc_authority together are refused"
    );
}

#[tokio::test]
async fn regional_endpoint_is_detected_used_and_cached_under_the_global_host() {
    let emu = emulator().await;
    let port = emu.addr().port();
    let http = ReqwestClient::builder()
        .add_root_certificate_pem(emu.ca_pem().as_bytes())
        .unwrap()
        .no_proxy()
        .resolve("login.microsoftonline.com", emu.addr())
        .resolve("westus2.login.microsoft.com", emu.addr())
        .build()
        .unwrap();
    let app = ConfidentialClientApplication::builder(ids::CONFIDENTIAL_CLIENT_ID, secret())
        .authority(format!(
            "https://login.microsoftonline.com:{port}/{}",
            ids::TENANT_ID
        ))
        .unwrap()
        .azure_region(Region::AutoDetect)
        // The instance metadata service is the emulator's plain-http listener.
        .env(msal::Env::from_vars([(
            "AZURE_POD_IDENTITY_AUTHORITY_HOST",
            emu.http_base_url(),
        )]))
        .http_client(http)
        .discovery_cache(DiscoveryCache::new())
        .build()
        .unwrap();
    let first = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(first.token_source(), TokenSource::IdentityProvider);
    let token = sent(&emu, "POST", "/oauth2/v2.0/token").remove(0);
    assert_eq!(
        token.host.as_deref(),
        Some(format!("westus2.login.microsoft.com:{port}").as_str())
    );
    let cache: serde_json::Value =
        serde_json::from_str(&msal::prelude::ClientApplication::token_cache(&app).serialize())
            .unwrap();
    let at = cache["AccessToken"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    assert_eq!(at["environment"], "login.microsoftonline.com");
    let second = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(second.token_source(), TokenSource::Cache);
    assert_eq!(
        emu.count("GET", "/metadata/instance/compute"),
        1,
        "the region is detected once"
    );

    assert!(
        ConfidentialClientApplication::builder("x", secret())
            .azure_region(Region::Named("West US".into()))
            .build()
            .is_err()
    );
}

#[tokio::test]
async fn region_detection_falls_back_to_global_when_nothing_answers() {
    let emu = emulator().await;
    let app = confidential_app(&emu, secret())
        .azure_region(Region::AutoDetect)
        // Nothing listens there: the probe fails fast and the global endpoint is used.
        .env(msal::Env::from_vars([(
            "AZURE_POD_IDENTITY_AUTHORITY_HOST",
            "http://127.0.0.1:9",
        )]))
        .build()
        .unwrap();
    let r = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(r.token_source(), TokenSource::IdentityProvider);
    assert_eq!(
        sent(&emu, "POST", "/oauth2/v2.0/token")[0]
            .host
            .as_deref()
            .map(|h| h.starts_with("127.0.0.1")),
        Some(true)
    );
}
