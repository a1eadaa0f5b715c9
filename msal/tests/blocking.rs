//! The synchronous API against the emulator, which runs on its own runtime's worker thread
//! while the test thread blocks in `send()`.
#![cfg(all(feature = "blocking", feature = "reqwest"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use msal::{
    ClientCredential, Error, TokenSource,
    authority::DiscoveryCache,
    blocking::{ClientApplication as _, ConfidentialClientApplication, PublicClientApplication},
};
use support::*;
use tokio::runtime::Runtime;

/// An emulator served by a multi-thread runtime, so it keeps answering while this thread blocks.
fn start() -> (Runtime, Emulator) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let emu = rt.block_on(emulator());
    (rt, emu)
}

fn public(emu: &Emulator) -> PublicClientApplication {
    PublicClientApplication::builder(ids::PUBLIC_CLIENT_ID)
        .authority(emu.authority())
        .unwrap()
        .known_authorities(["127.0.0.1"])
        .http_client(http(emu))
        .discovery_cache(DiscoveryCache::new())
        .build()
        .unwrap()
}

#[test]
fn client_credentials_synchronously_then_from_the_cache() {
    let (_rt, emu) = start();
    let app = ConfidentialClientApplication::builder(
        ids::CONFIDENTIAL_CLIENT_ID,
        ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
    .authority(emu.authority())
    .unwrap()
    .known_authorities(["127.0.0.1"])
    .http_client(http(&emu))
    .discovery_cache(DiscoveryCache::new())
    .build()
    .unwrap();
    let first = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .send()
        .unwrap();
    assert_eq!(first.token_source(), TokenSource::IdentityProvider);
    let second = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .send()
        .unwrap();
    assert_eq!(second.token_source(), TokenSource::Cache);
    assert_eq!(second.access_token(), first.access_token());
    let forced = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .force_refresh(true)
        .send()
        .unwrap();
    assert_eq!(forced.token_source(), TokenSource::IdentityProvider);
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 2);
    assert_eq!(app.client_id(), ids::CONFIDENTIAL_CLIENT_ID);
}

#[test]
fn a_user_signs_in_then_silent_calls_block_too() {
    let (_rt, emu) = start();
    let app = public(&emu);
    #[allow(deprecated)]
    let signed_in = app
        .acquire_token_by_username_password(ids::USER_UPN, ids::USER_PASSWORD, [ids::USER_SCOPE])
        .send()
        .unwrap();
    let accounts = app.get_accounts().send().unwrap();
    assert_eq!(accounts.len(), 1);
    let silent = app
        .acquire_token_silent([ids::USER_SCOPE], &accounts[0])
        .send()
        .unwrap();
    assert_eq!(silent.token_source(), TokenSource::Cache);
    assert_eq!(silent.access_token(), signed_in.access_token());
    let refreshed = app
        .acquire_token_silent([ids::USER_SCOPE], &accounts[0])
        .force_refresh(true)
        .send()
        .unwrap();
    assert_eq!(refreshed.token_source(), TokenSource::IdentityProvider);
    app.remove_account(&accounts[0]).send().unwrap();
    let err = app
        .acquire_token_silent([ids::USER_SCOPE], &accounts[0])
        .send()
        .unwrap_err();
    assert!(err.is_interaction_required(), "{err:?}");
}

#[test]
fn from_async_shares_the_apps_cache() {
    let (rt, emu) = start();
    let async_app = public_app(&emu).build().unwrap();
    #[allow(deprecated)]
    rt.block_on(async {
        use msal::prelude::*;
        async_app
            .acquire_token_by_username_password(
                ids::USER_UPN,
                ids::USER_PASSWORD,
                [ids::USER_SCOPE],
            )
            .await
            .unwrap()
    });
    let app = PublicClientApplication::from_async(async_app).unwrap();
    let accounts = app.get_accounts().send().unwrap();
    let silent = app
        .acquire_token_silent([ids::USER_SCOPE], &accounts[0])
        .send()
        .unwrap();
    assert_eq!(silent.token_source(), TokenSource::Cache);
}

#[test]
fn sending_from_inside_a_runtime_panics_as_documented() {
    let (rt, emu) = start();
    let app = public(&emu);
    let caught = rt.block_on(async {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| app.get_accounts().send()))
    });
    assert!(caught.is_err());
    // Outside a runtime the same app works.
    assert!(app.get_accounts().send().unwrap().is_empty());
}

#[test]
fn service_errors_come_back_as_errors() {
    let (_rt, emu) = start();
    let app = ConfidentialClientApplication::builder(
        ids::CONFIDENTIAL_CLIENT_ID,
        ClientCredential::secret("not-the-secret"),
    )
    .authority(emu.authority())
    .unwrap()
    .known_authorities(["127.0.0.1"])
    .http_client(http(&emu))
    .discovery_cache(DiscoveryCache::new())
    .build()
    .unwrap();
    let err = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .send()
        .unwrap_err();
    assert!(matches!(err, Error::Service(_)), "{err:?}");
}

#[cfg(feature = "managed-identity")]
#[test]
fn managed_identity_synchronously() {
    use msal::{Env, blocking::ManagedIdentityClient, managed_identity::ManagedIdentity};
    let (_rt, emu) = start();
    let env = Env::from_vars([
        ("IDENTITY_ENDPOINT", emu.app_service_url()),
        (
            "IDENTITY_HEADER",
            emu.config().app_service_identity_header.clone(),
        ),
    ]);
    let mi = ManagedIdentityClient::new(ManagedIdentity::SystemAssigned, http(&emu))
        .unwrap()
        .with_env(env);
    let first = mi
        .acquire_token_for_client(ids::MI_RESOURCE)
        .send()
        .unwrap();
    assert_eq!(first.token_source(), TokenSource::IdentityProvider);
    let second = mi
        .acquire_token_for_client(ids::MI_RESOURCE)
        .send()
        .unwrap();
    assert_eq!(second.token_source(), TokenSource::Cache);
}
