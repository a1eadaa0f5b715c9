//! Runs one cache operation N times, for `perf stat -e instructions:u` (instruction counts are
//! stable on a busy machine where wall time is not; rustls' ci-bench does the same).
//!
//! `cargo run --release -p msal-cache --example instruction_counts -- <op> <iterations>` with
//! `<op>` one of `value`, `deserialize`, `serialize`, `lookup`. Run it with 0 iterations too and
//! subtract, to leave the setup out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // measurement tool

use std::{
    hint::black_box,
    time::{Duration, UNIX_EPOCH},
};

use msal_cache::{AccessTokenQuery, TokenCache};
use serde_json::{Map, Value, json};

const NOW: u64 = 1_795_670_000;
const ENV: &str = "login.microsoftonline.com";
const CLIENT: &str = "00000000-0000-4000-8000-0000000000a2";
const SCOPE: &str = "https://graph.microsoft.com/.default";

fn tenant(i: usize) -> String {
    format!("{i:08x}-2b34-4da1-9baa-8bc8c9d6a490")
}

/// The same cache as `benches/cache.rs`: one client's token per tenant, 1.2 KB secrets.
fn app_cache_json(n: usize) -> String {
    let mut ats = Map::new();
    for i in 0..n {
        let realm = tenant(i);
        ats.insert(
            format!("-{ENV}-accesstoken-{CLIENT}-{realm}-{SCOPE}"),
            json!({"credential_type": "AccessToken",
                "secret": format!("eyJ0eXAiOiJKV1Qi.{}.{i:08}", "x".repeat(1_150)),
                "home_account_id": null, "environment": ENV, "client_id": CLIENT, "target": SCOPE,
                "realm": realm, "token_type": "Bearer", "cached_at": (NOW - 100).to_string(),
                "expires_on": (NOW + 3500).to_string(), "extended_expires_on": (NOW + 3500).to_string()}),
        );
    }
    json!({"AccessToken": ats}).to_string()
}

fn ready<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let op = args.next().unwrap_or_default();
    let iterations: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let n = if op == "lookup" { 100_000 } else { 10_000 };
    let json = app_cache_json(n);
    let cache = TokenCache::new();
    cache.deserialize(&json).unwrap();
    match op.as_str() {
        "value" => (0..iterations).for_each(|_| {
            black_box(serde_json::from_slice::<Value>(black_box(json.as_bytes())).unwrap());
        }),
        "deserialize" => (0..iterations).for_each(|_| cache.deserialize(black_box(&json)).unwrap()),
        "serialize" => (0..iterations).for_each(|_| {
            black_box(cache.serialize());
        }),
        "lookup" => {
            let query = AccessTokenQuery::app(CLIENT, tenant(n / 2), [ENV], [SCOPE]);
            let now = UNIX_EPOCH + Duration::from_secs(NOW);
            (0..iterations).for_each(|_| {
                black_box(ready(cache.find_access_token(black_box(&query), now)).unwrap());
            });
        }
        other => panic!("unknown op {other:?}"),
    }
}
