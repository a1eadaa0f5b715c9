//! A result is cheap to return: at most 64 bytes (a compile-time assertion in
//! `msal-core/src/result.rs`), and a memoised cache hit, and every clone of its result, allocate
//! nothing (the token and the shared part are reference-counted). Counted
//! with an instrumented global allocator, in a test binary of its own so nothing else runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, deprecated)]

mod support;

use std::alloc::System;

use msal::{TokenSource, prelude::*};
use msal_emulator::ids;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use support::*;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

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

#[tokio::test(flavor = "current_thread")]
async fn a_memoised_client_credentials_hit_and_its_clones_allocate_nothing() {
    let emu = emulator().await;
    let app = secret_app(&emu);
    // The network, then a cache hit that memoises, then the hit measured.
    for _ in 0..2 {
        app.acquire_token_for_client([ids::APP_SCOPE])
            .await
            .unwrap();
    }
    // The builder owns its scopes: made before the region, so only the hit is counted.
    let request = app.acquire_token_for_client([ids::APP_SCOPE]);
    let region = Region::new(GLOBAL);
    let result = poll_once(std::future::IntoFuture::into_future(request)).unwrap();
    let clone = result.clone();
    let stats = region.change();
    assert_eq!(stats.allocations, 0, "{stats:?}");
    assert_eq!(clone.token_source(), TokenSource::Cache);
    assert_eq!(clone.access_token(), result.access_token());
}

#[tokio::test(flavor = "current_thread")]
async fn a_memoised_silent_hit_with_its_account_and_claims_allocates_nothing() {
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
    assert_eq!(stats.allocations, 0, "{stats:?}");
    assert_eq!(clone.token_source(), TokenSource::Cache);
    assert_eq!(clone.account(), Some(&account));
    assert!(clone.id_token_claims().is_some());
}
