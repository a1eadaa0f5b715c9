//! A result is cheap to return: at most 64 bytes (a compile-time assertion in
//! `msal-core/src/result.rs`), and a memoised cache hit, and every clone of its result, allocate
//! nothing (the token and the shared part are reference-counted); for one scope, neither does
//! the whole call, builder included; through Azure SDK's `TokenCredential`, a repeated hit
//! allocates only what that trait makes every credential allocate. Counted
//! with an instrumented global allocator, in a test binary of its own, one test at a time
//! ([`SERIAL`]): the counters are global, and another test's emulator would count in them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, deprecated)]

mod support;

use std::alloc::System;

use msal::{TokenSource, prelude::*};
use msal_emulator::ids;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use support::*;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Held for the whole of each test: `cargo test` (unlike nextest) runs a binary's tests on
/// parallel threads.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// No allocation, and no reallocation, in `stats`.
fn assert_allocated_nothing(stats: &stats_alloc::Stats) {
    assert_eq!(
        (stats.allocations, stats.reallocations),
        (0, 0),
        "{stats:?}"
    );
}

/// Polls `future` once with a no-op waker: a memoised hit completes in one poll, and no other
/// task can run (and allocate) meanwhile.
fn poll_once<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("a memoised hit must complete in one poll"),
    }
}

/// A confidential app whose memo holds its token for `ids::APP_SCOPE`: the network, then a
/// cache hit that memoises; the next hit is the one measured.
async fn memoised_app(emu: &Emulator) -> msal::ConfidentialClientApplication {
    let app = secret_app(emu);
    for _ in 0..2 {
        app.acquire_token_for_client([ids::APP_SCOPE])
            .await
            .unwrap();
    }
    app
}

#[tokio::test(flavor = "current_thread")]
async fn a_memoised_client_credentials_hit_and_its_clones_allocate_nothing() {
    let _serial = SERIAL.lock().await;
    let emu = emulator().await;
    let app = memoised_app(&emu).await;
    // Made before the region, so only the hit and the clone are counted (the whole call is
    // counted in the next test).
    let request = app.acquire_token_for_client([ids::APP_SCOPE]);
    let region = Region::new(GLOBAL);
    let result = poll_once(std::future::IntoFuture::into_future(request)).unwrap();
    let clone = result.clone();
    let stats = region.change();
    assert_allocated_nothing(&stats);
    assert_eq!(clone.token_source(), TokenSource::Cache);
    assert_eq!(clone.access_token(), result.access_token());
}

#[tokio::test(flavor = "current_thread")]
async fn a_repeated_one_scope_call_allocates_nothing_from_builder_to_dropped_result() {
    let _serial = SERIAL.lock().await;
    let emu = emulator().await;
    let app = memoised_app(&emu).await;
    // The whole call as an app writes it, builder included: one scope is kept in the builder,
    // and `send()` is the same future as `.await`.
    let region = Region::new(GLOBAL);
    for _ in 0..3 {
        let result = poll_once(app.acquire_token_for_client([ids::APP_SCOPE]).send()).unwrap();
        assert_eq!(result.token_source(), TokenSource::Cache);
    }
    let stats = region.change();
    assert_allocated_nothing(&stats);
    // Two scopes are a list, which is allocated (so the count above can see an allocation).
    let region = Region::new(GLOBAL);
    let request = app.acquire_token_for_client([ids::APP_SCOPE, "other/.default"]);
    assert!(region.change().allocations > 0);
    drop(request);
}

/// Through Azure SDK's trait a repeated hit is answered from the memo without an msal result:
/// it allocates only what the trait makes every credential allocate, the boxed future and the
/// `AccessToken`'s own copy of the token. (Answered through the facade's call instead, it would
/// also box the request's future: three.)
#[cfg(feature = "azure-core")]
#[tokio::test(flavor = "current_thread")]
async fn a_repeated_get_token_allocates_only_the_trait_future_and_the_token_copy() {
    use azure_core::credentials::TokenCredential as _;

    let _serial = SERIAL.lock().await;
    let emu = emulator().await;
    let app = memoised_app(&emu).await;
    let expected = app
        .acquire_token_for_client([ids::APP_SCOPE])
        .await
        .unwrap();
    let credential = msal::azure::MsalCredential::confidential(app);
    let scopes = [ids::APP_SCOPE];
    let region = Region::new(GLOBAL);
    let token = poll_once(credential.get_token(&scopes, None)).unwrap();
    let stats = region.change();
    assert_eq!(
        (stats.allocations, stats.reallocations),
        (2, 0),
        "{stats:?}"
    );
    assert_eq!(token.token.secret(), expected.access_token().secret());
}

#[tokio::test(flavor = "current_thread")]
async fn a_memoised_silent_hit_with_its_account_and_claims_allocates_nothing() {
    let _serial = SERIAL.lock().await;
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();
    let signed_in = app
        .acquire_token_by_username_password(ids::USER_UPN, ids::USER_PASSWORD, [ids::USER_SCOPE])
        .await
        .unwrap();
    let account = signed_in.account().cloned().unwrap();
    for _ in 0..2 {
        app.acquire_token_silent([ids::USER_SCOPE], &account)
            .await
            .unwrap();
    }
    let request = app.acquire_token_silent([ids::USER_SCOPE], &account);
    let region = Region::new(GLOBAL);
    let result = poll_once(std::future::IntoFuture::into_future(request)).unwrap();
    let clone = result.clone();
    let stats = region.change();
    assert_allocated_nothing(&stats);
    assert_eq!(clone.token_source(), TokenSource::Cache);
    assert_eq!(clone.account(), Some(&account));
    assert!(clone.id_token_claims().is_some());
}
