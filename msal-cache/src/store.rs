//! Persistence hooks: where the cache is loaded from and saved to.

use std::fmt;

use async_trait::async_trait;
use msal_core::CacheError;

/// Whether an access only reads the cache or may change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[expect(clippy::exhaustive_enums, reason = "an access reads or writes")]
pub enum AccessKind {
    /// A lookup: `load` only, no lock, no `save`.
    Read,
    /// A change: `lock`, `load`, the change, then `save` if anything changed.
    Write,
}

impl AccessKind {
    /// The rule for stored data the cache cannot read (broken JSON, bytes that are not UTF-8, a
    /// file its codec rejects), applied by [`TokenCache`](crate::TokenCache) and by the stores
    /// that look at their data themselves: a read goes on with what memory has (`Ok`), and a
    /// write is refused, because saving now would replace every token in the store with what
    /// this process has in memory. The error reads "`{what}` cannot be read (`{why}`)", then
    /// says what to do about it.
    ///
    /// # Errors
    ///
    /// [`CacheError::Deserialize`] for a write, naming `what` and `why`.
    pub fn on_unreadable(self, what: &str, why: impl fmt::Display) -> Result<(), CacheError> {
        match self {
            Self::Read => Ok(()),
            Self::Write => Err(CacheError::Deserialize(format!(
                "{what} cannot be read ({why}); it was left as it is and nothing was written; \
                 TokenCache::clear lets the next write replace it"
            ))),
        }
    }
}

/// What a cache access is about, handed to every [`CacheStore`] call.
///
/// `partition_key` is MSAL.NET's suggested key: `{client_id}_{tenant}_AppTokenCache` for app-only
/// tokens ([`app_partition_key`](crate::keys::app_partition_key)) and the home account id for a
/// user's tokens. Operations that span partitions (`get_accounts`, `remove_tokens_for_client`,
/// AppMetadata lookups) pass `""`: a partitioned store should then load and save everything it
/// can, or return `None` from `load` to let the cache answer from memory.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheAccess {
    /// Read or write.
    pub kind: AccessKind,
    /// The partition the access is about (see above).
    pub partition_key: String,
    /// The application's client id.
    pub client_id: String,
    /// The correlation id of the call, when the app layer has one.
    pub correlation_id: Option<String>,
}

impl CacheAccess {
    /// An access without a correlation id.
    pub fn new(
        kind: AccessKind,
        partition_key: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            partition_key: partition_key.into(),
            client_id: client_id.into(),
            correlation_id: None,
        }
    }

    /// Sets the correlation id.
    pub fn with_correlation_id(mut self, correlation_id: Option<String>) -> Self {
        self.correlation_id = correlation_id;
        self
    }
}

/// An exclusive section of a store, released when dropped (so a cancelled write releases it too).
pub struct CacheLock {
    guard: Option<Box<dyn Send>>,
}

impl CacheLock {
    /// No lock: for stores with no concurrent writers.
    pub fn none() -> Self {
        Self { guard: None }
    }

    /// Wraps any guard (a `tokio::sync::OwnedMutexGuard`, a lock-file handle, ...); the lock is
    /// released when the guard is dropped.
    pub fn from_guard(guard: impl Send + 'static) -> Self {
        Self {
            guard: Some(Box::new(guard)),
        }
    }

    /// Whether this holds a guard.
    pub fn is_held(&self) -> bool {
        self.guard.is_some()
    }
}

impl fmt::Debug for CacheLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheLock")
            .field("held", &self.is_held())
            .finish()
    }
}

/// Where a [`TokenCache`](crate::TokenCache) persists itself (MSAL.NET's serialization hooks and
/// msal-extensions' `PersistedTokenCache` in one trait).
///
/// For every read the cache calls `load`; for every write `lock`, `load`, changes memory, and
/// calls `save` if something changed, then drops the lock. No in-memory lock is held while these
/// run, so they may take their time.
///
/// ```
/// use std::sync::Mutex;
/// use msal_cache::{CacheAccess, CacheStore, TokenCache};
/// use msal_core::CacheError;
///
/// /// Keeps the serialized cache in a string (a stand-in for a database row).
/// #[derive(Debug, Default)]
/// struct StringStore(Mutex<Option<String>>);
///
/// #[async_trait::async_trait]
/// impl CacheStore for StringStore {
///     async fn load(&self, _: &CacheAccess) -> Result<Option<String>, CacheError> {
///         // A real store returns None when nothing changed since the last load.
///         Ok(self.0.lock().unwrap().clone())
///     }
///     async fn save(&self, _: &CacheAccess, state: &str) -> Result<(), CacheError> {
///         *self.0.lock().unwrap() = Some(state.to_owned());
///         Ok(())
///     }
/// }
/// let cache = TokenCache::with_store(StringStore::default());
/// # let _ = cache;
/// ```
#[async_trait]
pub trait CacheStore: Send + Sync + fmt::Debug {
    /// Before an access: the persisted state (the whole cache, or one partition when
    /// [`partitioned`](Self::partitioned)), or `None` if unchanged since the last load.
    async fn load(&self, access: &CacheAccess) -> Result<Option<String>, CacheError>;

    /// After a write access that changed the cache: the new state (whole, or the partition).
    async fn save(&self, access: &CacheAccess, state: &str) -> Result<(), CacheError>;

    /// An exclusive section held from before `load` to after `save`, for writes only.
    async fn lock(&self, access: &CacheAccess) -> Result<CacheLock, CacheError> {
        let _ = access;
        Ok(CacheLock::none())
    }

    /// Whether `load`/`save` see one partition (`access.partition_key`) instead of the whole
    /// cache. A partitioned store gets only that partition's entries (plus the shared AppMetadata)
    /// in `save`, and its `load` result replaces only that partition in memory.
    fn partitioned(&self) -> bool {
        false
    }
}

/// A shared store (one `Arc` behind several caches, or kept by the caller for inspection).
#[async_trait]
impl<T: CacheStore + ?Sized> CacheStore for std::sync::Arc<T> {
    async fn load(&self, access: &CacheAccess) -> Result<Option<String>, CacheError> {
        (**self).load(access).await
    }
    async fn save(&self, access: &CacheAccess, state: &str) -> Result<(), CacheError> {
        (**self).save(access, state).await
    }
    async fn lock(&self, access: &CacheAccess) -> Result<CacheLock, CacheError> {
        (**self).lock(access).await
    }
    fn partitioned(&self) -> bool {
        (**self).partitioned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_data_refuses_a_write_and_lets_a_read_serve_memory() {
        assert!(
            AccessKind::Read
                .on_unreadable("the file", "not JSON")
                .is_ok()
        );
        let err = AccessKind::Write
            .on_unreadable("the file", "not JSON")
            .unwrap_err();
        assert!(matches!(err, CacheError::Deserialize(_)), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("the file cannot be read (not JSON)"),
            "{message}"
        );
        assert!(message.contains("TokenCache::clear"), "{message}");
    }

    #[test]
    fn lock_is_released_on_drop() {
        let flag = std::sync::Arc::new(());
        let lock = CacheLock::from_guard(flag.clone());
        assert!(lock.is_held());
        assert_eq!(std::sync::Arc::strong_count(&flag), 2);
        drop(lock);
        assert_eq!(std::sync::Arc::strong_count(&flag), 1);
        assert!(!CacheLock::none().is_held());
        assert_eq!(
            format!("{:?}", CacheLock::none()),
            "CacheLock { held: false }"
        );
    }
}
