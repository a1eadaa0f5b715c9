//! # msal-cache
//!
//! The unified token cache of msal-rs, the Microsoft Authentication Library for Rust.
//!
//! It owns:
//! - the cache schema of MSAL Python 1.39 (`AccessToken`, `RefreshToken`, `IdToken`, `Account`,
//!   `AppMetadata`), its keys ([`keys`]) and the extended cache key, so a cache file is shared
//!   both ways with MSAL Python, msal-extensions, MSAL.NET and msal-node;
//! - [`TokenCache`]: (de)serialization that keeps unknown sections, entries and fields with their
//!   JSON types, a partitioned index (app tokens by client, environment and realm; user entries
//!   by home account id) with an O(1) probe, and the typed operations the app layer needs
//!   ([`TokenCache::add_token_response`], [`TokenCache::find_access_token`], ...);
//! - [`CacheStore`]: load/save/lock hooks for persistence, with MSAL.NET's partition keys, and
//!   `FileCacheStore` (feature `file`), a file shared safely between processes with
//!   msal-extensions' lock-file convention plus an OS lock held on the lock file, so that crashed
//!   writers' locks are recognised and a takeover never lets two writers in.
//!
//! It never depends on reqwest, hyper, a TLS stack or an async runtime: the store hooks are plain
//! `async fn`s, and the file store's blocking I/O is documented there.
//!
//! ## Differences from MSAL Python 1.39
//! - Reads never delete expired access tokens (Python's `search()` does, which makes every read a
//!   write). Writes prune the expired access tokens of the partition they touch.
//! - A `null` and an `""` home account id both mean "app-only token", so msal-node's app tokens
//!   are found too (Python compares by value and misses them).
//! - Non-bearer access tokens (PoP, SSH certificates) get an `atext` entry per key id, so they
//!   never overwrite a bearer token (Python's keys lack the token type: `TokenCache.key_makers` in `msal/token_cache.py`).
//! - On-behalf-of tokens carry `user_assertion_hash` (MSAL.NET's field) and are found only by it.
//! - A refresh token's secret is updated under its stored key (Python re-keys it).
//!
//! ## Example
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use msal_cache::{AccessTokenQuery, TokenCache, TokenEvent};
//! use msal_core::TokenResponse;
//!
//! # async fn demo() -> Result<(), msal_core::CacheError> {
//! let now = UNIX_EPOCH + Duration::from_secs(1_795_670_000);
//! let cache = TokenCache::new();
//! let mut response = TokenResponse::default();
//! response.access_token = "eyJ0eXAi.app.token".into();
//! response.expires_in = Some(3599);
//! let scopes = ["https://graph.microsoft.com/.default"];
//! let host = "login.microsoftonline.com";
//! cache.add_token_response(
//!     TokenEvent::new("my-client", host, "my-tenant", scopes, &response, "client_credentials"),
//!     now,
//! ).await?;
//! let hit = cache
//!     .find_access_token(&AccessTokenQuery::app("my-client", "my-tenant", [host], scopes), now)
//!     .await?
//!     .expect("cached");
//! assert_eq!(hit.secret().secret(), "eyJ0eXAi.app.token");
//! assert!(!hit.expires_within(now, Duration::from_secs(300)));
//! # Ok(()) }
//! # futures_lite_block_on(demo()).unwrap();
//! # fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let mut f = std::pin::pin!(f);
//! #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
//! # }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod acquire;
mod cache;
mod entry;
mod fast_hash;
#[cfg(feature = "file")]
mod file_store;
mod freshness;
pub mod keys;
mod query;
mod state;
mod store;
mod write;

pub use cache::{SerializableTokenCache, TokenCache};
pub use entry::{
    AppMetadata, CachedAccessToken, CachedIdToken, CachedRefreshToken, CredentialType,
};
#[cfg(feature = "file")]
#[cfg_attr(docsrs, doc(cfg(feature = "file")))]
pub use file_store::FileCacheStore;
#[allow(deprecated)]
pub use freshness::EXPIRY_SKEW_SECS;
pub use freshness::{EXPIRY_BUFFER, Freshness};
pub use msal_core::CacheError;
pub use query::{AccessTokenQuery, RefreshTokenQuery};
pub use store::{AccessKind, CacheAccess, CacheLock, CacheStore};
pub use write::TokenEvent;
