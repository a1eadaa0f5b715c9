//! The cache kept in a keyring item, with msal-extensions' *signal file* beside it.
//!
//! msal-extensions' `LibsecretPersistence` and `KeychainPersistence` keep the cache in the
//! keyring and touch a plain file (`signal_location`) after every save, so that other processes
//! can tell from its modification time that the cache changed; `PersistedTokenCache` locks
//! `<signal_location>.lockfile` around every change. This store does the same with a
//! [`FileCacheStore`] on the signal file: its lock is the cross-process lock, its change
//! detection tells when to read the keyring again, and each save replaces the (empty) signal
//! file, which msal-extensions sees as a newer modification time.

use std::{
    fmt,
    sync::atomic::{AtomicBool, Ordering},
};

use async_trait::async_trait;
use msal_cache::{
    CacheAccess, CacheError, CacheLock, CacheStore, Decoded, FileCacheStore, FileCodec,
};

use crate::KeyringError;

/// A keyring item holding the whole serialized cache.
#[async_trait]
pub(crate) trait SecretSlot: Send + Sync + fmt::Debug {
    /// The stored cache; `None` while nothing was stored.
    async fn read(&self) -> Result<Option<Vec<u8>>, KeyringError>;
    /// Stores the cache, replacing what was there.
    async fn write(&self, data: &[u8]) -> Result<(), KeyringError>;
}

/// A [`SecretSlot`] plus its signal file.
#[derive(Debug)]
pub(crate) struct SignalledStore {
    slot: Box<dyn SecretSlot>,
    signal: FileCacheStore,
    /// Whether the slot was read since the store was made, and what it held could be loaded.
    /// Until then every load reads the slot, whatever the signal file says.
    in_sync: AtomicBool,
}

impl SignalledStore {
    pub(crate) fn new(slot: Box<dyn SecretSlot>, signal: FileCacheStore) -> Self {
        Self {
            slot,
            signal: signal.codec(SignalOnly),
            in_sync: AtomicBool::new(false),
        }
    }
}

#[async_trait]
impl CacheStore for SignalledStore {
    async fn load(&self, access: &CacheAccess) -> Result<Option<String>, CacheError> {
        // The signal is looked at before the slot is read, so a save that lands in between is
        // read now and read again next time, never missed.
        let signalled = self.signal.load(access).await?.is_some();
        if !signalled && self.in_sync.load(Ordering::Acquire) {
            return Ok(None);
        }
        let text = match self.slot.read().await? {
            None => String::new(),
            Some(bytes) => String::from_utf8(bytes).map_err(|_| {
                self.in_sync.store(false, Ordering::Release);
                CacheError::Deserialize("the keyring item is not UTF-8".into())
            })?,
        };
        // Data that cannot be loaded is handed on (the cache serves memory on a read and
        // refuses a write), and looked at again next time rather than taken as seen.
        let loadable = msal_cache::check_serialized(&text).is_ok();
        self.in_sync.store(loadable, Ordering::Release);
        Ok(Some(text))
    }

    async fn save(&self, access: &CacheAccess, state: &str) -> Result<(), CacheError> {
        self.slot.write(state.as_bytes()).await?;
        self.signal.save(access, "").await
    }

    async fn lock(&self, access: &CacheAccess) -> Result<CacheLock, CacheError> {
        self.signal.lock(access).await
    }
}

/// The signal file holds nothing: whatever is in it reads as "changed", and a save writes it
/// empty (a new file each time, so even a same-millisecond save is a new inode).
#[derive(Debug)]
struct SignalOnly;

impl FileCodec for SignalOnly {
    fn encode(&self, _state: &str) -> Result<Vec<u8>, CacheError> {
        Ok(Vec::new())
    }

    fn decode(&self, _bytes: Vec<u8>) -> Result<Decoded, CacheError> {
        Ok(Decoded::Cache(String::new()))
    }
}
