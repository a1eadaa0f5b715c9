#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod acquire;
mod cache;
mod entry;
mod fast_hash;
mod fields;
#[cfg(feature = "file")]
mod file_store;
mod freshness;
mod inspect;
pub mod keys;
mod query;
#[doc(hidden)]
pub mod results;
mod state;
mod store;
mod write;

pub use cache::{SerializableTokenCache, TokenCache};
pub use entry::{
    AppMetadata, CachedAccessToken, CachedIdToken, CachedRefreshToken, CredentialType,
};
#[cfg(feature = "file")]
#[cfg_attr(docsrs, doc(cfg(feature = "file")))]
pub use file_store::{CrossPlatLock, CrossPlatLockGuard, FileCacheStore};
#[expect(deprecated, reason = "the old name stays importable")]
pub use freshness::EXPIRY_SKEW_SECS;
pub use freshness::{EXPIRY_BUFFER, Freshness};
pub use inspect::{CacheEntry, EntryQuery};
pub use msal_core::CacheError;
pub use query::{AccessTokenQuery, RefreshTokenQuery};
pub use store::{AccessKind, CacheAccess, CacheLock, CacheStore};
pub use write::TokenEvent;
