//! The process-wide discovery cache applies each application's own validation policy: an app
//! that skipped instance discovery (or used another discovery endpoint) does not vouch for an
//! authority on behalf of a later app that asked for validation.
//!
//! These apps use the process-wide cache (no `discovery_cache(..)`), as real apps do; each test
//! starts its own emulator, so its authority URL is its own.
#![cfg(feature = "reqwest")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use msal::{
    ClientCredential, ConfidentialClientApplication, ConfidentialClientApplicationBuilder, Error,
    authority::InstanceDiscovery,
};
use support::*;

/// A confidential app at the emulator with the process-wide discovery cache and no known hosts.
fn app(emu: &Emulator) -> ConfidentialClientApplicationBuilder {
    ConfidentialClientApplication::builder(
        ids::CONFIDENTIAL_CLIENT_ID,
        ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
    .authority(emu.authority())
    .unwrap()
    .http_client(http(emu))
}

/// Instance discovery at the emulator, under `tenant` (the emulator answers any
/// `…/discovery/instance` path, so two tenants give two distinct endpoints).
fn discovery_at(emu: &Emulator, tenant: &str) -> InstanceDiscovery {
    InstanceDiscovery::Endpoint(format!("{}/{tenant}/discovery/instance", emu.base_url()))
}

#[tokio::test]
async fn a_validating_app_validates_what_an_unvalidated_app_cached() {
    let emu = emulator().await;
    let unvalidated = app(&emu).validate_authority(false).build().unwrap();
    unvalidated
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(emu.count("GET", "/discovery/instance"), 0);

    let validating = app(&emu)
        .instance_discovery(discovery_at(&emu, "common"))
        .build()
        .unwrap();
    validating
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(
        emu.count("GET", "/common/discovery/instance"),
        1,
        "the validating app must run its own instance discovery"
    );
}

#[tokio::test]
async fn an_unknown_host_is_refused_even_after_a_non_validating_app_used_it() {
    let emu = emulator().await;
    let no_discovery = app(&emu)
        .instance_discovery(InstanceDiscovery::Disabled)
        .build()
        .unwrap();
    no_discovery
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    assert_eq!(emu.count("POST", "/token"), 1);

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
    let validating = app(&emu)
        .instance_discovery(discovery_at(&emu, "common"))
        .build()
        .unwrap();
    let e = validating
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Configuration(m) if m.contains("not known")),
        "{e:?}"
    );
    assert_eq!(
        emu.count("POST", "/token"),
        1,
        "no token request after refusal"
    );
}

#[tokio::test]
async fn each_discovery_endpoint_is_asked_once() {
    let emu = emulator().await;
    for tenant in ["common", "other", "common", "other"] {
        app(&emu)
            .instance_discovery(discovery_at(&emu, tenant))
            .build()
            .unwrap()
            .acquire_token_for_client([ids::APP_SCOPE])
            .await
            .unwrap();
    }
    // Cached per endpoint: the second app of each endpoint reuses its own endpoint's answer.
    assert_eq!(emu.count("GET", "/common/discovery/instance"), 1);
    assert_eq!(emu.count("GET", "/other/discovery/instance"), 1);
}
