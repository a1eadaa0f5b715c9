//! Lookup, serialize and deserialize speed of the token cache.
//!
//! `cargo bench -p msal-cache --bench cache -- --measurement-time 2 --warm-up-time 1`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)] // bench code

use std::{
    hint::black_box,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use msal_cache::{AccessTokenQuery, TokenCache};
use serde_json::{Map, Value, json};

const NOW: u64 = 1_795_670_000;
const ENV: &str = "login.microsoftonline.com";
const CLIENT: &str = "00000000-0000-4000-8000-0000000000a2";
const APP_SCOPE: &str = "https://graph.microsoft.com/.default";
const USER_SCOPES: &str = "https://graph.microsoft.com/User.Read openid profile";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

/// A token-sized secret (real access tokens are 1-2 KB JWTs).
fn secret(i: usize) -> String {
    format!("eyJ0eXAiOiJKV1Qi.{}.{i:08}", "x".repeat(1_150))
}

fn tenant(i: usize) -> String {
    format!("{i:08x}-2b34-4da1-9baa-8bc8c9d6a490")
}

fn home(i: usize) -> String {
    format!("{i:08x}-b784-51a3-b4de-b7401e7c5c67.8eaef023-2b34-4da1-9baa-8bc8c9d6a490")
}

/// `n` app-only tokens of one multi-tenant client, one per tenant.
fn app_cache_json(n: usize) -> String {
    let mut ats = Map::new();
    for i in 0..n {
        let realm = tenant(i);
        ats.insert(
            format!("-{ENV}-accesstoken-{CLIENT}-{realm}-{APP_SCOPE}"),
            json!({"credential_type": "AccessToken", "secret": secret(i), "home_account_id": null,
                "environment": ENV, "client_id": CLIENT, "target": APP_SCOPE, "realm": realm,
                "token_type": "Bearer", "cached_at": (NOW - 100).to_string(),
                "expires_on": (NOW + 3500).to_string(), "extended_expires_on": (NOW + 3500).to_string()}),
        );
    }
    json!({"AccessToken": ats}).to_string()
}

/// `n` users, each with an access token and an account.
fn user_cache_json(n: usize) -> String {
    let (mut ats, mut accounts) = (Map::new(), Map::new());
    let realm = tenant(0);
    for i in 0..n {
        let h = home(i);
        ats.insert(
            format!("{h}-{ENV}-accesstoken-{CLIENT}-{realm}-{}", USER_SCOPES.to_lowercase()),
            json!({"credential_type": "AccessToken", "secret": secret(i), "home_account_id": h,
                "environment": ENV, "client_id": CLIENT, "target": USER_SCOPES, "realm": realm,
                "token_type": "Bearer", "cached_at": (NOW - 100).to_string(),
                "expires_on": (NOW + 3500).to_string(), "extended_expires_on": (NOW + 3500).to_string()}),
        );
        accounts.insert(
            format!("{h}-{ENV}-{realm}"),
            json!({"home_account_id": h, "environment": ENV, "realm": realm,
                "local_account_id": format!("{i:08x}"), "username": format!("user{i}@contoso.example"),
                "authority_type": "MSSTS"}),
        );
    }
    json!({"AccessToken": ats, "Account": accounts}).to_string()
}

/// Polls a future that never waits (no store is attached) to completion.
fn ready<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn lookups(c: &mut Criterion) {
    let mut group = c.benchmark_group("client_credentials_lookup_hit");
    for n in [10usize, 1_000, 10_000, 100_000] {
        let cache = TokenCache::new();
        cache.deserialize(&app_cache_json(n)).unwrap();
        let query = AccessTokenQuery::app(CLIENT, tenant(n / 2), [ENV], [APP_SCOPE]);
        assert!(
            ready(cache.find_access_token(&query, now()))
                .unwrap()
                .is_some()
        );
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| ready(cache.find_access_token(black_box(&query), now())).unwrap())
        });
    }
    group.finish();

    let n = 10_000;
    let cache = TokenCache::new();
    cache.deserialize(&user_cache_json(n)).unwrap();
    let query = AccessTokenQuery::user(
        home(n / 2),
        CLIENT,
        tenant(0),
        [ENV],
        ["https://graph.microsoft.com/User.Read"],
    );
    assert!(
        ready(cache.find_access_token(&query, now()))
            .unwrap()
            .is_some()
    );
    c.bench_function("user_lookup_hit_10k_accounts", |b| {
        b.iter(|| ready(cache.find_access_token(black_box(&query), now())).unwrap())
    });
}

fn serialization(c: &mut Criterion) {
    let json = app_cache_json(10_000);
    let bytes = json.len() as u64;
    let mut group = c.benchmark_group("cache_10k_tokens");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(20);
    group.bench_function("serde_json_value_from_slice", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(json.as_bytes())).unwrap())
    });
    group.bench_function("deserialize", |b| {
        let cache = TokenCache::new();
        b.iter(|| cache.deserialize(black_box(&json)).unwrap())
    });
    let cache = TokenCache::new();
    cache.deserialize(&json).unwrap();
    group.bench_function("serialize", |b| b.iter(|| cache.serialize()));
    group.finish();
}

criterion_group!(benches, lookups, serialization);
criterion_main!(benches);
