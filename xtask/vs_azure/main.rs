//! The probe of `cargo xtask bench --vs-azure`: the same cache hit through msal-rs's
//! `acquire_token_for_client` and azure_identity 1.0's `ClientSecretCredential::get_token`, in
//! one process, with the same three harnesses: one poll with a no-op waker (the library alone),
//! a current-thread `block_on`, and 1,000,000 hits from 64 tasks on 2 worker threads. Both sit
//! on an in-memory transport that answers one token request with a 1.2 KB token.
//!
//! A second table puts both behind the same trait, as Azure SDK clients call them:
//! `msal::azure::MsalCredential` and `ClientSecretCredential`, each an
//! `Arc<dyn TokenCredential>`, `get_token(&[scope], None)`. Below it, what a credential
//! costs through that trait with no lookup at all: one that keeps a single token and only reads
//! the clock and copies the token out (the trait boxes every call's future, and `AccessToken`
//! owns its string), which roughly bounds the ratio any cache can reach, polled once and under
//! `block_on` (where the runtime's own cost comes on top of every side).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use azure_core::{
    credentials::{Secret, TokenCredential},
    http::{
        AsyncRawResponse, ClientOptions, HttpClient as AzureHttpClient, Request, StatusCode,
        Transport, headers::Headers,
    },
};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};

const TENANT: &str = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490";
const SCOPE: &str = "https://api.fake-entra.invalid/.default";

fn token_body() -> String {
    let at = "e".repeat(1200);
    format!(
        r#"{{"token_type":"Bearer","expires_in":86399,"ext_expires_in":86399,"access_token":"{at}"}}"#
    )
}

#[derive(Debug)]
struct FakeForAzure;

#[async_trait::async_trait]
impl AzureHttpClient for FakeForAzure {
    async fn execute_request(&self, _request: &Request) -> azure_core::Result<AsyncRawResponse> {
        Ok(AsyncRawResponse::from_bytes(
            StatusCode::Ok,
            Headers::new(),
            token_body().into_bytes(),
        ))
    }
}

/// The least a hit can cost through `TokenCredential`: no lookup at all, only what the trait
/// makes every credential do (a boxed future, a clock read for the expiry, an owned copy of
/// the token). The clock is the cheapest there is, msal's `CoarseClock`, so that the
/// floor is a floor for both sides.
#[derive(Debug)]
struct Floor {
    token: String,
    expires_on: std::time::SystemTime,
}

#[async_trait::async_trait]
impl TokenCredential for Floor {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<azure_core::credentials::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<azure_core::credentials::AccessToken> {
        assert!(msal::Clock::now(&msal::CoarseClock) < self.expires_on);
        Ok(azure_core::credentials::AccessToken::new(
            Secret::new(self.token.clone()),
            azure_core::time::OffsetDateTime::UNIX_EPOCH,
        ))
    }
}

#[derive(Debug)]
struct FakeForMsal;

#[async_trait::async_trait]
impl msal::http::HttpClient for FakeForMsal {
    async fn send(
        &self,
        request: msal::http::HttpRequest,
    ) -> Result<msal::http::HttpResponse, msal::http::TransportError> {
        let body = if request.method() == http::Method::GET {
            format!(
                r#"{{"authorization_endpoint":"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/authorize",
                "token_endpoint":"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token",
                "issuer":"https://login.microsoftonline.com/{TENANT}/v2.0"}}"#
            )
        } else {
            token_body()
        };
        Ok(http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(body.into_bytes())
            .unwrap())
    }
}

fn poll_once<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("a cache hit must not wait"),
    }
}

/// One timing of `n` calls, per call. Generic, so the call is compiled into the loop as an
/// app's own code would compile it (a `dyn` call here costs the cheaper side more).
fn time_calls(n: u32, f: &mut impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed() / n
}

/// The best of `rounds` timings of `n` calls of each of `a`, `b` and `c`, their rounds taking
/// turns (`b` first every other round, `c` between the other two): the least disturbed by the
/// rest of the machine, and a disturbance that lasts a while falls on every side rather than on
/// whichever was being timed then.
fn per_call_triple(
    rounds: u32,
    n: u32,
    mut a: impl FnMut(),
    mut b: impl FnMut(),
    mut c: impl FnMut(),
) -> (Duration, Duration, Duration) {
    let (mut best_a, mut best_b, mut best_c) = (Duration::MAX, Duration::MAX, Duration::MAX);
    for round in 0..rounds {
        if round % 2 == 1 {
            best_b = best_b.min(time_calls(n, &mut b));
        }
        best_a = best_a.min(time_calls(n, &mut a));
        best_c = best_c.min(time_calls(n, &mut c));
        if round % 2 == 0 {
            best_b = best_b.min(time_calls(n, &mut b));
        }
    }
    (best_a, best_b, best_c)
}

/// `per_call_triple` for two sides (an empty third compiles to nothing).
fn per_call_pair(rounds: u32, n: u32, a: impl FnMut(), b: impl FnMut()) -> (Duration, Duration) {
    let (a, b, _) = per_call_triple(rounds, n, a, b, || {});
    (a, b)
}

/// 1,000,000 calls from 64 tasks on `rt`, in millions of calls per second: the best of 3 runs
/// of each side, their runs taking turns (as in `per_call_pair`). Each task owns one clone of the
/// client (`$a`, `$b`), and every call borrows it, as an app's task does: a clone per call would
/// make both sides bounce one reference count between the two threads, which is the harness's
/// cost, not either library's.
macro_rules! throughput_pair {
    ($rt:expr, ($a:expr, |$ha:ident| $call_a:expr), ($b:expr, |$hb:ident| $call_b:expr)) => {
        (0..3).fold((0.0_f64, 0.0_f64), |(best_a, best_b), run| {
            let (a, b) = if run % 2 == 0 {
                let a = throughput_run!($rt, $a, |$ha| $call_a);
                (a, throughput_run!($rt, $b, |$hb| $call_b))
            } else {
                let b = throughput_run!($rt, $b, |$hb| $call_b);
                (throughput_run!($rt, $a, |$ha| $call_a), b)
            };
            (best_a.max(a), best_b.max(b))
        })
    };
}

/// One run of `throughput_pair`.
macro_rules! throughput_run {
    ($rt:expr, $handle:expr, |$h:ident| $call:expr) => {{
        let start = Instant::now();
        $rt.block_on(async {
            let tasks: Vec<_> = (0..64)
                .map(|_| {
                    let $h = $handle.clone();
                    tokio::spawn(async move {
                        for _ in 0..1_000_000 / 64 {
                            std::hint::black_box($call.await.is_ok());
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        1.0 / start.elapsed().as_secs_f64()
    }};
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    let mut options = ClientOptions::default();
    options.transport = Some(Transport::new(Arc::new(FakeForAzure)));
    let azure = ClientSecretCredential::new(
        TENANT,
        "client".to_string(),
        Secret::new("secret"),
        Some(ClientSecretCredentialOptions {
            client_options: options,
        }),
    )
    .unwrap();
    rt.block_on(azure.get_token(&[SCOPE], None)).unwrap();

    let app = msal::ConfidentialClientApplication::builder(
        "client",
        msal::ClientCredential::secret("secret"),
    )
    .authority(format!("https://login.microsoftonline.com/{TENANT}"))
    .unwrap()
    .http_client(FakeForMsal)
    .build()
    .unwrap();
    rt.block_on(app.acquire_token_for_client([SCOPE]).send())
        .unwrap();

    const N: u32 = 1_000_000;
    let (azure_poll, msal_poll) = per_call_pair(
        5,
        N,
        || {
            std::hint::black_box(poll_once(azure.get_token(&[SCOPE], None)).unwrap());
        },
        || {
            std::hint::black_box(poll_once(app.acquire_token_for_client([SCOPE]).send()).unwrap());
        },
    );
    let (azure_block, msal_block) = per_call_pair(
        5,
        N,
        || {
            std::hint::black_box(rt.block_on(azure.get_token(&[SCOPE], None)).unwrap());
        },
        || {
            std::hint::black_box(
                rt.block_on(app.acquire_token_for_client([SCOPE]).send())
                    .unwrap(),
            );
        },
    );
    let (azure_tput, msal_tput) = throughput_pair!(
        &mt,
        (azure, |cred| cred.get_token(&[SCOPE], None)),
        (app, |app| app.acquire_token_for_client([SCOPE]).send())
    );

    // The same hits through Azure SDK's trait object, as a Key Vault or Storage client calls.
    let azure_dyn: Arc<dyn TokenCredential> = azure.clone();
    let msal_dyn: Arc<dyn TokenCredential> = msal::azure::MsalCredential::confidential(app.clone());
    rt.block_on(msal_dyn.get_token(&[SCOPE], None)).unwrap();
    let floor: Arc<dyn TokenCredential> = Arc::new(Floor {
        token: "e".repeat(1200),
        expires_on: std::time::SystemTime::now() + Duration::from_secs(3600),
    });
    let dyn_poll = |cred: &Arc<dyn TokenCredential>| {
        let cred = cred.clone();
        move || {
            std::hint::black_box(poll_once(cred.get_token(&[SCOPE], None)).unwrap());
        }
    };
    let dyn_block = |cred: &Arc<dyn TokenCredential>| {
        let cred = cred.clone();
        let rt = &rt;
        move || {
            std::hint::black_box(rt.block_on(cred.get_token(&[SCOPE], None)).unwrap());
        }
    };
    // The floor is timed in the same rotation as the two it is subtracted from.
    let (azure_dyn_poll, msal_dyn_poll, floor_poll) = per_call_triple(
        5,
        N,
        dyn_poll(&azure_dyn),
        dyn_poll(&msal_dyn),
        dyn_poll(&floor),
    );
    let (azure_dyn_block, msal_dyn_block, floor_block) = per_call_triple(
        5,
        N,
        dyn_block(&azure_dyn),
        dyn_block(&msal_dyn),
        dyn_block(&floor),
    );
    let (azure_dyn_tput, msal_dyn_tput) = throughput_pair!(
        &mt,
        (azure_dyn, |cred| cred.get_token(&[SCOPE], None)),
        (msal_dyn, |cred| cred.get_token(&[SCOPE], None))
    );

    println!("| cache hit | msal-rs | azure_identity 1.0 | ratio |");
    println!("|---|---|---|---|");
    let ratio = |a: Duration, m: Duration| a.as_secs_f64() / m.as_secs_f64();
    println!(
        "| one poll, no runtime | {msal_poll:.0?} | {azure_poll:.0?} | {:.2}x |",
        ratio(azure_poll, msal_poll)
    );
    println!(
        "| current-thread `block_on` | {msal_block:.0?} | {azure_block:.0?} | {:.2}x |",
        ratio(azure_block, msal_block)
    );
    println!(
        "| 1M hits, 64 tasks, 2 threads | {msal_tput:.2} M/s | {azure_tput:.2} M/s | {:.2}x |",
        msal_tput / azure_tput
    );

    println!();
    println!(
        "| `get_token` hit, `Arc<dyn TokenCredential>` | `MsalCredential` | `ClientSecretCredential` | ratio |"
    );
    println!("|---|---|---|---|");
    println!(
        "| one poll, no runtime | {msal_dyn_poll:.0?} | {azure_dyn_poll:.0?} | {:.2}x |",
        ratio(azure_dyn_poll, msal_dyn_poll)
    );
    println!(
        "| one poll: the floor (no lookup, only the trait's own costs) | {floor_poll:.0?} + {:.0?} | {floor_poll:.0?} + {:.0?} | roughly the most any credential could reach: {:.2}x |",
        msal_dyn_poll.saturating_sub(floor_poll),
        azure_dyn_poll.saturating_sub(floor_poll),
        ratio(azure_dyn_poll, floor_poll)
    );
    println!(
        "| current-thread `block_on` | {msal_dyn_block:.0?} | {azure_dyn_block:.0?} | {:.2}x |",
        ratio(azure_dyn_block, msal_dyn_block)
    );
    println!(
        "| `block_on`: the floor (the runtime's own cost is on every side) | {floor_block:.0?} + {:.0?} | {floor_block:.0?} + {:.0?} | roughly the most any credential could reach: {:.2}x |",
        msal_dyn_block.saturating_sub(floor_block),
        azure_dyn_block.saturating_sub(floor_block),
        ratio(azure_dyn_block, floor_block)
    );
    println!(
        "| 1M hits, 64 tasks, 2 threads | {msal_dyn_tput:.2} M/s | {azure_dyn_tput:.2} M/s | {:.2}x |",
        msal_dyn_tput / azure_dyn_tput
    );
}
