//! Cache hits through the public API: `acquire_token_for_client` and `acquire_token_silent`
//! answered from the cache, at 10 to 100k cached tokens, and throughput from 64 tasks.
//!
//! The transport is an in-memory fake that answers discovery and one token request, so the
//! numbers are the library's own cost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::{
    future::IntoFuture,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use msal::{
    ClientCredential, ConfidentialClientApplication, TokenCache,
    http::{HttpClient, HttpRequest, HttpResponse, TransportError},
    prelude::*,
};

const TENANT: &str = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490";
const SCOPE: &str = "https://api.fake-entra.invalid/.default";

/// Answers discovery with a fixed document and every token request with a fresh app token.
#[derive(Debug, Default)]
struct FakeEntra {
    token_requests: AtomicUsize,
}

#[async_trait::async_trait]
impl HttpClient for FakeEntra {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let body = if request.method() == http::Method::GET {
            format!(
                r#"{{"authorization_endpoint":"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/authorize",
                "token_endpoint":"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token",
                "issuer":"https://login.microsoftonline.com/{TENANT}/v2.0"}}"#
            )
        } else {
            self.token_requests.fetch_add(1, Ordering::Relaxed);
            let at = "e".repeat(1200);
            format!(r#"{{"token_type":"Bearer","expires_in":86399,"access_token":"{at}"}}"#)
        };
        Ok(http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(body.into_bytes())
            .unwrap())
    }
}

/// A cache with `n` app tokens of other tenants, plus the app's own once it asks.
fn cache_with(n: usize) -> TokenCache {
    let mut at = serde_json::Map::new();
    let secret = "s".repeat(1200);
    for i in 0..n {
        let realm = format!("tenant-{i:06}");
        let key = format!("-login.microsoftonline.com-accesstoken-client-{realm}-{SCOPE}");
        at.insert(
            key,
            serde_json::json!({
                "credential_type": "AccessToken", "secret": secret, "home_account_id": null,
                "environment": "login.microsoftonline.com", "client_id": "client", "realm": realm,
                "target": SCOPE, "token_type": "Bearer", "cached_at": "1795669494",
                "expires_on": "4102444800", "extended_expires_on": "4102444800"
            }),
        );
    }
    let cache = TokenCache::new();
    cache
        .deserialize(&serde_json::json!({ "AccessToken": at }).to_string())
        .unwrap();
    cache
}

fn app(cache: TokenCache) -> ConfidentialClientApplication {
    ConfidentialClientApplication::builder("client", ClientCredential::secret("secret"))
        .authority(format!("https://login.microsoftonline.com/{TENANT}"))
        .unwrap()
        .http_client(FakeEntra::default())
        .token_cache(cache)
        .build()
        .unwrap()
}

fn cache_hits(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // What the harness itself costs: entering the runtime for a future that is ready at once.
    c.bench_function("baseline: block_on(ready)", |b| {
        b.iter(|| rt.block_on(std::future::ready(1)))
    });
    let mut group = c.benchmark_group("acquire_token_for_client cache hit");
    for n in [10usize, 1_000, 10_000, 100_000] {
        let app = app(cache_with(n));
        rt.block_on(app.acquire_token_for_client([SCOPE]).send())
            .unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                rt.block_on(app.acquire_token_for_client([SCOPE]).send())
                    .unwrap()
            })
        });
    }
    group.finish();
    // The same hits without a runtime: a hit completes on its first poll, so polling once with a
    // no-op waker measures the library alone (what `block_on` adds is the baseline above).
    let mut group = c.benchmark_group("acquire_token_for_client cache hit, polled once");
    for n in [10usize, 100_000] {
        let app = app(cache_with(n));
        rt.block_on(app.acquire_token_for_client([SCOPE]).send())
            .unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| poll_once(app.acquire_token_for_client([SCOPE]).send()).unwrap())
        });
    }
    // `.await` on the builder itself (`IntoFuture`), the style the docs show.
    let app = app(cache_with(10));
    rt.block_on(app.acquire_token_for_client([SCOPE]).send())
        .unwrap();
    group.bench_function("awaited builder", |b| {
        b.iter(|| poll_once(app.acquire_token_for_client([SCOPE]).into_future()).unwrap())
    });
    group.finish();
}

/// Polls a future that must be ready at once (a cache hit).
fn poll_once<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("a cache hit must not wait"),
    }
}

/// `acquire_token_silent` answered from MSAL Python's own cache file (the interop fixture in msal-test-support), at the
/// fixture's test clock.
fn silent_hit(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let json = msal_test_support::fixtures::PYTHON_CACHE;
    let cache = TokenCache::new();
    cache.deserialize(json).unwrap();
    let app = msal::PublicClientApplication::builder("00000000-0000-4000-8000-0000000000a1")
        .authority(format!("https://127.0.0.1/{TENANT}"))
        .unwrap()
        .known_authorities(["127.0.0.1"])
        .http_client(FakeEntra::default())
        .token_cache(cache)
        .clock(msal::ManualClock::from_unix_secs(1_795_670_000))
        .build()
        .unwrap();
    let account = rt.block_on(app.get_accounts().send()).unwrap().remove(0);
    let scopes = ["https://api.fake-entra.invalid/Data.Read"];
    let hit = rt
        .block_on(app.acquire_token_silent(scopes, &account).send())
        .unwrap();
    assert_eq!(hit.token_source(), msal::TokenSource::Cache);
    c.bench_function(
        "acquire_token_silent cache hit, polled once (MSAL Python's cache file)",
        |b| b.iter(|| poll_once(app.acquire_token_silent(scopes, &account).send()).unwrap()),
    );
    c.bench_function(
        "acquire_token_silent cache hit, awaited builder polled once (MSAL Python's cache file)",
        |b| b.iter(|| poll_once(app.acquire_token_silent(scopes, &account).into_future()).unwrap()),
    );
    c.bench_function(
        "acquire_token_silent cache hit (MSAL Python's cache file)",
        |b| {
            b.iter(|| {
                rt.block_on(app.acquire_token_silent(scopes, &account).send())
                    .unwrap()
            })
        },
    );
}

fn throughput(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = app(cache_with(10_000));
    rt.block_on(app.acquire_token_for_client([SCOPE]).send())
        .unwrap();
    const TASKS: usize = 64;
    const CALLS: usize = 1_000_000;
    let mut group = c.benchmark_group("cache hits from 64 tasks");
    group.throughput(Throughput::Elements(CALLS as u64));
    group.sample_size(10);
    group.bench_function("1M hits", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                rt.block_on(async {
                    let mut tasks = Vec::with_capacity(TASKS);
                    for _ in 0..TASKS {
                        let app = app.clone();
                        tasks.push(tokio::spawn(async move {
                            for _ in 0..CALLS / TASKS {
                                let r = app.acquire_token_for_client([SCOPE]).send().await;
                                std::hint::black_box(r.is_ok());
                            }
                        }));
                    }
                    for t in tasks {
                        t.await.unwrap();
                    }
                });
                total += start.elapsed();
            }
            total
        })
    });
    group.finish();
    let _ = Arc::new(());
}

criterion_group!(benches, cache_hits, silent_hit, throughput);
criterion_main!(benches);
