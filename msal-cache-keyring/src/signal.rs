//! The cache kept in a keyring item, with msal-extensions' *signal file* beside it.
//!
//! msal-extensions' `LibsecretPersistence` and `KeychainPersistence` keep the cache in the
//! keyring and touch a plain file (`signal_location`) after every save, so that other processes
//! can tell from its modification time that the cache changed; `PersistedTokenCache` locks
//! `<signal_location>.lockfile` around every change. This store does the same with a
//! [`FileCacheStore`] on the signal file: its lock is the cross-process lock and its change
//! detection tells when to read the keyring again. A save *touches* the file (a new
//! modification time, the contents left alone), as msal-extensions does, so a process of the
//! same user that keeps its cache in that very file (the kernel keyring backend, or a plaintext
//! fallback, where no Secret Service was reachable) loses nothing to it.

use std::{
    fmt,
    fs::{self, OpenOptions},
    io,
    path::Path,
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, SystemTime},
};

use async_trait::async_trait;
use msal_cache::{
    AccessKind, CacheAccess, CacheError, CacheLock, CacheStore, Decoded, FileCacheStore, FileCodec,
};

use crate::KeyringError;

/// What reading a [`SecretSlot`] found.
#[derive(Debug)]
pub(crate) enum SlotRead {
    /// The stored cache.
    Found(Vec<u8>),
    /// Nothing stored (yet).
    Missing,
    /// Locked, and the caller may not show an unlock prompt.
    Locked,
}

/// A keyring item holding the whole serialized cache.
#[async_trait]
pub(crate) trait SecretSlot: Send + Sync + fmt::Debug {
    /// The stored cache. A locked keyring is unlocked (which may prompt the user) only when
    /// `may_prompt`: a lookup must not wait on a prompt nobody may see, a write section must
    /// not save without having read.
    async fn read(&self, may_prompt: bool) -> Result<SlotRead, KeyringError>;
    /// Stores the cache, replacing what was there.
    async fn write(&self, data: &[u8]) -> Result<(), KeyringError>;
}

/// A [`SecretSlot`] plus its signal file.
#[derive(Debug)]
pub(crate) struct SignalledStore {
    slot: Box<dyn SecretSlot>,
    /// Only for its lock and its change detection: it never writes the signal file.
    signal: FileCacheStore,
    /// Whether the last read of the slot succeeded with data the cache could load. Until then
    /// every load reads the slot, whatever the signal file says.
    in_sync: AtomicBool,
    /// Whether the slot was ever read: from then on a missing item is not an empty cache.
    loaded_once: AtomicBool,
}

impl SignalledStore {
    pub(crate) fn new(slot: Box<dyn SecretSlot>, signal: FileCacheStore) -> Self {
        Self {
            slot,
            signal: signal.codec(SignalOnly),
            in_sync: AtomicBool::new(false),
            loaded_once: AtomicBool::new(false),
        }
    }
}

#[async_trait]
impl CacheStore for SignalledStore {
    async fn load(&self, access: &CacheAccess) -> Result<Option<String>, CacheError> {
        // The signal is looked at before the slot is read, so a save that lands in between is
        // read now and read again next time, never missed.
        let signalled = self.signal.load(access).await?.is_some();
        // msal-extensions touches the file with the kernel's clock, whose modification times
        // step every few milliseconds (a second on some file systems): two of its saves in one
        // step leave one stamp. A write must not save over the second, so while the signal is
        // that recent, a write reads the slot whatever the stamp says.
        let stamp_may_hide_a_save =
            access.kind == AccessKind::Write && touched_within(self.signal.path(), COARSE_MTIME);
        if !signalled && !stamp_may_hide_a_save && self.in_sync.load(Ordering::Acquire) {
            return Ok(None);
        }
        // Until a read succeeds with data the cache can load, every load reads the slot again:
        // a failed read must not leave the store believing it has the latest version.
        self.in_sync.store(false, Ordering::Release);
        let text = match self.slot.read(access.kind == AccessKind::Write).await? {
            // A lookup serves memory until a write section unlocks it.
            SlotRead::Locked => return Ok(None),
            SlotRead::Missing if self.loaded_once.load(Ordering::Acquire) => {
                // The item was there and is gone (deleted by hand): memory is the best copy
                // left, and the next save writes it back.
                self.in_sync.store(true, Ordering::Release);
                return Ok(None);
            }
            SlotRead::Missing => String::new(),
            SlotRead::Found(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => return unreadable(access, "not UTF-8"),
            },
        };
        self.loaded_once.store(true, Ordering::Release);
        // Data that cannot be loaded is handed on (the cache serves memory on a read and
        // refuses a write), and looked at again next time rather than taken as seen.
        let loadable = msal_cache::check_serialized(&text).is_ok();
        self.in_sync.store(loadable, Ordering::Release);
        Ok(Some(text))
    }

    async fn save(&self, _access: &CacheAccess, state: &str) -> Result<(), CacheError> {
        self.slot.write(state.as_bytes()).await?;
        let path = self.signal.path();
        touch(path).map_err(|source| CacheError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    async fn lock(&self, access: &CacheAccess) -> Result<CacheLock, CacheError> {
        self.signal.lock(access).await
    }
}

/// How coarse a file system's modification times may be (ext4 and tmpfs step with the kernel's
/// tick, a few milliseconds; some file systems by the second, FAT by two).
const COARSE_MTIME: Duration = Duration::from_secs(2);

/// Whether `path` was modified less than `window` ago (or, by its clock, in the future).
fn touched_within(path: &Path, window: Duration) -> bool {
    fs::metadata(path)
        .and_then(|meta| meta.modified())
        .is_ok_and(|modified| {
            SystemTime::now()
                .duration_since(modified)
                .map_or(true, |age| age < window)
        })
}

/// Creates the file if need be (mode 0600, its directory too) and sets its modification time to
/// now, leaving its contents alone. The time is set explicitly, to the nanosecond, rather than
/// by the kernel's coarser clock, so two saves in one millisecond still differ.
fn touch(path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.set_modified(SystemTime::now())
}

/// What a load does with data that is not a cache at all: the cache's rule for unreadable data
/// ([`AccessKind::on_unreadable`]: a read serves memory, a write refuses).
fn unreadable(access: &CacheAccess, why: &str) -> Result<Option<String>, CacheError> {
    tracing::warn!(
        reason = why,
        "the token cache's keyring item cannot be read"
    );
    access
        .kind
        .on_unreadable("the token cache's keyring item", why)
        .map(|()| None)
}

/// The signal file's contents mean nothing here (it may be another backend's cache): any change
/// reads as "changed". This store never writes through it.
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

#[cfg(test)]
mod tests {
    use std::sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    };

    use msal_cache::{AccessKind, CacheAccess, CacheStore, FileCacheStore};

    use super::*;

    /// A slot in memory that can be told to fail its next read.
    #[derive(Debug, Default)]
    struct FakeSlot {
        data: Mutex<Option<Vec<u8>>>,
        fail_next_read: AtomicBool,
        reads: AtomicUsize,
    }

    #[async_trait]
    impl SecretSlot for &'static FakeSlot {
        async fn read(&self, _may_prompt: bool) -> Result<SlotRead, KeyringError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            if self.fail_next_read.swap(false, Ordering::SeqCst) {
                return Err(KeyringError::backend(
                    crate::KeyringBackend::SecretService,
                    "the daemon went away",
                ));
            }
            Ok(match self.data.lock().unwrap().clone() {
                Some(data) => SlotRead::Found(data),
                None => SlotRead::Missing,
            })
        }
        async fn write(&self, data: &[u8]) -> Result<(), KeyringError> {
            *self.data.lock().unwrap() = Some(data.to_vec());
            Ok(())
        }
    }

    fn store(dir: &tempfile::TempDir) -> (&'static FakeSlot, SignalledStore) {
        let slot: &'static FakeSlot = Box::leak(Box::default());
        let store = SignalledStore::new(
            Box::new(slot),
            FileCacheStore::new(dir.path().join("signal")),
        );
        (slot, store)
    }

    fn read() -> CacheAccess {
        CacheAccess::new(AccessKind::Read, "", "client")
    }

    #[tokio::test]
    async fn a_failed_read_is_retried_even_though_the_signal_did_not_change() {
        let dir = tempfile::tempdir().unwrap();
        let (slot, store) = store(&dir);
        *slot.data.lock().unwrap() = Some(b"{\"AccessToken\": {}}".to_vec());
        slot.fail_next_read.store(true, Ordering::SeqCst);
        assert!(store.load(&read()).await.is_err());
        // Nothing changed on disk, but the slot was never read: it is read now.
        assert_eq!(
            store.load(&read()).await.unwrap().as_deref(),
            Some("{\"AccessToken\": {}}")
        );
        // And only now is it in sync.
        let reads = slot.reads.load(Ordering::SeqCst);
        assert_eq!(store.load(&read()).await.unwrap(), None);
        assert_eq!(slot.reads.load(Ordering::SeqCst), reads);
    }

    #[tokio::test]
    async fn a_write_reads_the_slot_while_the_signal_is_too_recent_to_tell_saves_apart() {
        let dir = tempfile::tempdir().unwrap();
        let (slot, store) = store(&dir);
        store.save(&read(), "{\"Account\": {}}").await.unwrap();
        assert!(store.load(&read()).await.unwrap().is_some());
        assert_eq!(store.load(&read()).await.unwrap(), None);
        // Another process saved within the same coarse time step: the stamp did not move.
        *slot.data.lock().unwrap() = Some(b"{\"IdToken\": {}}".to_vec());
        // A read may serve what memory has for now...
        assert_eq!(store.load(&read()).await.unwrap(), None);
        // ...but a write, about to save, reads the slot again.
        let write = CacheAccess::new(AccessKind::Write, "", "client");
        assert_eq!(
            store.load(&write).await.unwrap().as_deref(),
            Some("{\"IdToken\": {}}")
        );
    }

    #[tokio::test]
    async fn an_item_that_disappears_keeps_what_memory_has() {
        let dir = tempfile::tempdir().unwrap();
        let (slot, store) = store(&dir);
        // No item at first: an empty cache.
        assert_eq!(store.load(&read()).await.unwrap().as_deref(), Some(""));
        store.save(&read(), "{\"Account\": {}}").await.unwrap();
        // Deleted behind the store's back (and the signal touched): not an empty cache.
        *slot.data.lock().unwrap() = None;
        std::fs::write(dir.path().join("signal"), "x").unwrap();
        assert_eq!(store.load(&read()).await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_item_that_is_not_text_is_served_from_memory_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let (slot, store) = store(&dir);
        *slot.data.lock().unwrap() = Some(vec![0xff, 0xfe]);
        assert_eq!(store.load(&read()).await.unwrap(), None);
        let write = CacheAccess::new(AccessKind::Write, "", "client");
        let err = store.load(&write).await.unwrap_err();
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }
}
