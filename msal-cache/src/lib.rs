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
mod gate;
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
pub use file_store::{CrossPlatLock, CrossPlatLockGuard, Decoded, FileCacheStore, FileCodec};
#[expect(deprecated, reason = "the old name stays importable")]
pub use freshness::EXPIRY_SKEW_SECS;
pub use freshness::{EXPIRY_BUFFER, FreshWindow, Freshness};
pub use inspect::{CacheEntry, EntryQuery};
pub use msal_core::CacheError;
pub use query::{AccessTokenQuery, RefreshTokenQuery};
pub use store::{AccessKind, CacheAccess, CacheLock, CacheStore};
pub use write::TokenEvent;

/// Whether `json` is a serialized cache that [`TokenCache`] can load (`""` is an empty one),
/// checked without building it: what `FileCacheStore` checks before it takes a file as seen.
/// A [`CacheStore`] that remembers what it loaded uses it so that data the cache cannot read
/// is looked at again, never mistaken for a version it already has.
///
/// # Errors
///
/// [`CacheError::Deserialize`] saying what is wrong: not JSON, not an object, or a section
/// that is not an object.
pub fn check_serialized(json: &str) -> Result<(), CacheError> {
    state::CacheState::check(json)
}
