//! [`FileCacheStore`]: one cache file in MSAL Python's format, shared safely between processes.

mod codec;
mod cross_plat;
mod lock;

pub use codec::{Decoded, FileCodec};
pub use cross_plat::{CrossPlatLock, CrossPlatLockGuard};

use std::{
    fmt,
    fs::{self, File, OpenOptions},
    io::{self, Read, Write},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime},
};

use async_trait::async_trait;
use msal_core::{CacheError, sleep::AsyncSleep};

use crate::{
    state::CacheState,
    store::{AccessKind, CacheAccess, CacheLock, CacheStore},
};

/// How often a busy lock file is retried.
pub(crate) const LOCK_RETRY_INTERVAL: Duration = Duration::from_millis(10);
/// A lock file older than this is considered left behind by a crashed writer. Writers hold the
/// lock for one load-change-save, which takes milliseconds.
pub(crate) const STALE_LOCK_AGE: Duration = Duration::from_secs(60);
/// The default lock timeout.
pub(crate) const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// What identifies one version of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl FileStamp {
    fn of(meta: &fs::Metadata) -> Self {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Self {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode,
        }
    }
}

/// What this store last loaded or saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Nothing,
    Missing,
    File(FileStamp),
}

/// A cache file in MSAL Python's format, shared safely between processes (feature `file`).
///
/// - **Lock**: msal-extensions' lock file, so msal-extensions 1.3 (Python) and this store exclude
///   each other: `<path>.lockfile` is created exclusively (`O_CREAT|O_EXCL`), holds
///   `"<pid> <program>"`, and is deleted on release. This store also holds an OS advisory lock
///   (`flock` on Unix, as msal-extensions' portalocker does) on the file for as long as it holds
///   the lock, and writes a random ownership token into it. A busy lock is retried every 10 ms
///   until the lock timeout (default 5 s), then [`CacheError::LockTimeout`]; taking over an
///   abandoned lock counts against the same timeout.
/// - **Abandoned locks**: the kernel releases a dead process's OS lock, so a lock file of this
///   store that nobody holds the OS lock on is taken over at once, with a warning, whatever its
///   pid says; one that someone holds never is. An msal-extensions lock file nobody holds the OS
///   lock on is taken over when its process no longer exists (checked through `/proc` on Linux;
///   elsewhere processes are assumed alive) or it is older than 60 s; an empty one after 2 s. A
///   takeover deletes the file only while holding its OS lock and after checking, on the open
///   descriptor, that the path still names it, so two writers never hold the lock at once (the
///   protocol and every interleaving are described in the source of `file_store/lock.rs`).
/// - **Writes** go to a temporary file in the same directory, are fsynced, renamed over the
///   cache (atomic on POSIX and NTFS), and the directory is fsynced. The file is created with mode
///   0600 on Unix. So a reader never sees half a file written by this store. A writer killed
///   mid-write leaves at most a `.<name>.<pid>.<n>.tmp` file behind, never a broken cache.
/// - **Reads** reload only when the file's (inode, mtime, size) changed; a write reloads under
///   the lock first, so no other process's change is lost.
/// - **Unreadable files**: a file that is not a JSON object, or whose `AccessToken`,
///   `RefreshToken`, `IdToken`, `Account` or `AppMetadata` section is not an object, is never
///   treated as empty. A read logs it and serves what is in memory (the file may be mid-write by a
///   writer that does not rename). A write fails with [`CacheError::Deserialize`], naming the file
///   and the problem, and leaves the file as it is; after [`TokenCache::clear`], the next write
///   replaces it.
///
/// [`TokenCache::clear`]: crate::TokenCache::clear
///
/// File I/O is blocking std I/O run inside the `async fn`s: the cache file is small and local, and
/// this keeps the crate free of any async runtime. Waiting for a busy lock sleeps the thread
/// unless an [`AsyncSleep`] is given with [`FileCacheStore::sleep`].
///
/// ```no_run
/// use std::time::Duration;
/// use msal_cache::{FileCacheStore, TokenCache};
///
/// let store = FileCacheStore::new("/home/me/.msal_token_cache.json")
///     .lock_timeout(Duration::from_secs(10));
/// let cache = TokenCache::with_store(store);
/// # let _ = cache;
/// ```
pub struct FileCacheStore {
    path: PathBuf,
    lock_path: PathBuf,
    lock_timeout: Duration,
    sleep: Option<Arc<dyn AsyncSleep>>,
    codec: Option<Arc<dyn FileCodec>>,
    seen: Mutex<Seen>,
}

impl fmt::Debug for FileCacheStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileCacheStore")
            .field("path", &self.path)
            .field("lock_path", &self.lock_path)
            .field("lock_timeout", &self.lock_timeout)
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

impl FileCacheStore {
    /// A store for the cache file at `path` (created on the first write).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(".lockfile");
        Self {
            path,
            lock_path: PathBuf::from(lock_path),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            sleep: None,
            codec: None,
            seen: Mutex::new(Seen::Nothing),
        }
    }

    /// How long a write waits for another process's lock before
    /// [`CacheError::LockTimeout`] (default 5 s).
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Locks through this lock file instead of `<path>.lockfile` (msal-extensions'
    /// `PersistedTokenCache(persistence, lock_location=…)`): for a cache file in a directory
    /// other processes may not create files in, or to share one lock between several files.
    /// Every process sharing the cache must use the same lock path, or they do not exclude
    /// each other.
    pub fn lock_path(mut self, lock_path: impl Into<PathBuf>) -> Self {
        self.lock_path = lock_path.into();
        self
    }

    /// The lock file this store locks through.
    pub fn lock_file(&self) -> &Path {
        &self.lock_path
    }

    /// When the cache file was last written, by any process (msal-extensions'
    /// `FilePersistence.time_last_modified()`); `None` while there is no file. Apps use it to
    /// tell whether another process changed the cache since they last looked.
    ///
    /// # Errors
    ///
    /// [`CacheError::Io`] if the file's metadata cannot be read (other than "not found"), or the
    /// platform keeps no modification times.
    pub fn last_modified(&self) -> Result<Option<SystemTime>, CacheError> {
        match fs::metadata(&self.path) {
            Ok(meta) => meta
                .modified()
                .map(Some)
                .map_err(|e| self.io_error(&self.path, e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io_error(&self.path, e)),
        }
    }

    /// Waits for a busy lock with this sleep instead of blocking the thread.
    pub fn sleep(mut self, sleep: impl AsyncSleep + 'static) -> Self {
        self.sleep = Some(Arc::new(sleep));
        self
    }

    /// Keeps the file encoded by `codec` (encrypted, say) instead of as plain JSON. Every
    /// process sharing the file must use the same codec.
    pub fn codec(mut self, codec: impl FileCodec + 'static) -> Self {
        self.codec = Some(Arc::new(codec));
        self
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io_error(&self, path: &Path, source: io::Error) -> CacheError {
        CacheError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads the file if it changed since the last load or save.
    fn load_blocking(&self, kind: AccessKind) -> Result<Option<String>, CacheError> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let mut seen = self.seen();
                let had_file = matches!(*seen, Seen::File(_));
                *seen = Seen::Missing;
                // A file that disappeared means an empty cache; one that never existed changes
                // nothing.
                return Ok(had_file.then(String::new));
            }
            Err(e) => return Err(self.io_error(&self.path, e)),
        };
        // Stamp and content come from the same open file, so they belong together even if the
        // file is replaced meanwhile.
        let meta = file.metadata().map_err(|e| self.io_error(&self.path, e))?;
        let stamp = FileStamp::of(&meta);
        if *self.seen() == Seen::File(stamp) {
            return Ok(None);
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.read_to_end(&mut bytes)
            .map_err(|e| self.io_error(&self.path, e))?;
        let decoded = match &self.codec {
            Some(codec) if !bytes.is_empty() => codec.decode(bytes),
            _ => String::from_utf8(bytes)
                .map(Decoded::Cache)
                .map_err(|e| CacheError::Deserialize(format!("not UTF-8: {e}"))),
        };
        // A codec's own error explains itself; only what it decoded is checked here.
        let (checked, codec_error) = match decoded {
            Ok(Decoded::Cache(text)) => (CacheState::check(&text).map(|()| text), false),
            Ok(Decoded::Unrecoverable(why)) => {
                // Nothing in the file can be had again: memory is the best copy left (empty in
                // a new process), and the next write replaces the file with it.
                tracing::warn!(path = %self.path.display(), reason = %why,
                    "the token cache file can never be read again; keeping what memory has");
                *self.seen() = Seen::File(stamp);
                return Ok(None);
            }
            Err(e) => (Err(e), self.codec.is_some()),
        };
        match checked {
            Ok(text) => {
                *self.seen() = Seen::File(stamp);
                Ok(Some(text))
            }
            Err(e) => {
                tracing::warn!(path = %self.path.display(), len = meta.len(), error = %e,
                    "the token cache file cannot be read");
                // A read keeps what memory has (the file may be mid-write by a writer that does
                // not rename) and looks again next time; a write is refused. `seen` stays as it
                // was, so the next access looks at the file again. A codec's error says what is
                // wrong in its own words.
                match kind {
                    AccessKind::Write if codec_error => Err(e),
                    _ => kind
                        .on_unreadable(&format!("the token cache file {}", self.path.display()), e)
                        .map(|()| None),
                }
            }
        }
    }

    /// Writes `state` atomically: temp file in the same directory, fsync, rename, fsync the dir.
    fn save_blocking(&self, state: &str) -> Result<(), CacheError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&dir).map_err(|e| self.io_error(&dir, e))?;
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "msal_cache".to_owned());
        let tmp = dir.join(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let encoded = match &self.codec {
            Some(codec) => Some(codec.encode(state)?),
            None => None,
        };
        let bytes = encoded.as_deref().unwrap_or(state.as_bytes());
        let written = (|| -> io::Result<FileStamp> {
            let mut file = private_file_options().open(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            // rename keeps inode, size and mtime, so this is the stamp the cache file will have.
            let stamp = FileStamp::of(&file.metadata()?);
            drop(file);
            fs::rename(&tmp, &self.path)?;
            Ok(stamp)
        })();
        let stamp = match written {
            Ok(stamp) => stamp,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(self.io_error(&self.path, e));
            }
        };
        // Make the rename itself durable. Not every platform can open a directory; the data is
        // already safe in the renamed file, so a failure here is not an error.
        #[cfg(unix)]
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        *self.seen() = Seen::File(stamp);
        Ok(())
    }
}

/// A new file readable and writable by the owner only.
fn private_file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

#[async_trait]
impl CacheStore for FileCacheStore {
    async fn load(&self, access: &CacheAccess) -> Result<Option<String>, CacheError> {
        self.load_blocking(access.kind)
    }

    async fn save(&self, _access: &CacheAccess, state: &str) -> Result<(), CacheError> {
        self.save_blocking(state)
    }

    async fn lock(&self, _access: &CacheAccess) -> Result<CacheLock, CacheError> {
        let guard =
            lock::acquire(&self.lock_path, self.lock_timeout, self.sleep.as_deref()).await?;
        Ok(CacheLock::from_guard(guard))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(kind: AccessKind) -> CacheAccess {
        CacheAccess::new(kind, "", "c")
    }

    #[test]
    fn loads_only_changes_and_survives_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        let store = FileCacheStore::new(&path);
        assert_eq!(store.load_blocking(AccessKind::Read).unwrap(), None);
        store.save_blocking("{\"AccessToken\": {}}").unwrap();
        // Our own write is not "a change".
        assert_eq!(store.load_blocking(AccessKind::Read).unwrap(), None);
        fs::write(&path, "{\"Account\": {}}").unwrap();
        assert_eq!(
            store.load_blocking(AccessKind::Read).unwrap().as_deref(),
            Some("{\"Account\": {}}")
        );
        fs::write(&path, "{\"Account\": {").unwrap();
        assert_eq!(store.load_blocking(AccessKind::Read).unwrap(), None);
        let err = store.load_blocking(AccessKind::Write).unwrap_err();
        assert!(matches!(err, CacheError::Deserialize(_)), "{err}");
        assert!(err.to_string().contains("cache.json"), "{err}");
        // A section of the wrong type is as unreadable as broken JSON.
        fs::write(&path, "{\"AppMetadata\": []}").unwrap();
        assert_eq!(store.load_blocking(AccessKind::Read).unwrap(), None);
        let err = store.load_blocking(AccessKind::Write).unwrap_err();
        assert!(err.to_string().contains("`AppMetadata` section"), "{err}");
        fs::remove_file(&path).unwrap();
        assert_eq!(
            store.load_blocking(AccessKind::Read).unwrap().as_deref(),
            Some("")
        );
        let _ = access(AccessKind::Read);
    }

    /// Reverses the bytes behind a tag; "lost" files decode as unrecoverable.
    #[derive(Debug)]
    struct Reversed;

    impl FileCodec for Reversed {
        fn encode(&self, state: &str) -> Result<Vec<u8>, CacheError> {
            let mut bytes = b"rev:".to_vec();
            bytes.extend(state.bytes().rev());
            Ok(bytes)
        }
        fn decode(&self, bytes: Vec<u8>) -> Result<Decoded, CacheError> {
            if bytes == b"lost" {
                return Ok(Decoded::Unrecoverable("the key is gone".into()));
            }
            let body = bytes
                .strip_prefix(b"rev:")
                .ok_or_else(|| CacheError::Deserialize("not reversed".into()))?;
            let text = body.iter().rev().map(|&b| char::from(b)).collect();
            Ok(Decoded::Cache(text))
        }
    }

    #[test]
    fn a_codec_encodes_what_is_written_and_decodes_what_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.bin");
        let store = FileCacheStore::new(&path).codec(Reversed);
        store.save_blocking("{\"Account\": {}}").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"rev:}}{ :\"tnuoccA\"{");
        // Another process's write, in the codec's format, is decoded.
        fs::write(&path, b"rev:}}{ :\"nekoTdI\"{").unwrap();
        assert_eq!(
            store.load_blocking(AccessKind::Read).unwrap().as_deref(),
            Some("{\"IdToken\": {}}")
        );
        // Bytes the codec rejects are an unreadable file: a write refuses to replace them.
        fs::write(&path, b"{\"IdToken\": {}}").unwrap();
        assert_eq!(store.load_blocking(AccessKind::Read).unwrap(), None);
        let err = store.load_blocking(AccessKind::Write).unwrap_err();
        assert!(err.to_string().contains("not reversed"), "{err}");
        // A file that can never be decoded changes nothing in memory, and is written over.
        fs::write(&path, b"lost").unwrap();
        assert_eq!(store.load_blocking(AccessKind::Write).unwrap(), None);
        store.save_blocking("{}").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"rev:}{");
    }

    #[cfg(unix)]
    #[test]
    fn writes_are_private_and_leave_no_temp_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("cache.json");
        let store = FileCacheStore::new(&path);
        store.save_blocking("{}").unwrap();
        store.save_blocking("{\"a\": 1}").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
