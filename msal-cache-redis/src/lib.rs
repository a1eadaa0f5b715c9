//! # msal-cache-redis
//!
//! A Redis-backed distributed token cache for msal-rs: [`RedisCacheStore`] is a
//! [`msal_cache::CacheStore`] that keeps each MSAL.NET cache partition (one tenant's app tokens,
//! or one user's tokens) under its own Redis key, with an in-process L1, optimistic
//! compare-and-set writes that merge with concurrent writers, and token acquisition that keeps
//! working when Redis is down.
//!
//! It is a crate of its own so that `msal-cache`, and every app that never uses Redis, stays
//! free of a Redis client.
//!
//! ```no_run
//! use msal_cache::TokenCache;
//! use msal_cache_redis::RedisCacheStore;
//!
//! # async fn demo() -> Result<(), msal_cache_redis::RedisStoreError> {
//! let store = RedisCacheStore::builder("redis://127.0.0.1:6379").build().await?;
//! let cache = TokenCache::with_store(store);
//! # let _ = cache;
//! # Ok(()) }
//! ```
//!
//! ## Features
//! - `tls-rustls`: `rediss://` URLs over rustls with the ring provider and the operating
//!   system's roots.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod health;
mod l1;
mod merge;
mod store;

pub use builder::{RedisCacheStoreBuilder, RedisStoreError, RedisTarget};
pub use health::RedisCacheStats;
/// The Redis client this crate is built on, for building a [`redis::Client`] by hand.
pub use redis;
pub use store::RedisCacheStore;
