//! [`CrossPlatLock`]: the file store's cross-process lock on its own, as msal-extensions offers
//! its `CrossPlatLock` (`msal_extensions/cache_lock.py`) for apps that guard their own files.

use std::{
    fmt,
    path::{Path, PathBuf},
    pin::pin,
    sync::Arc,
    task::{Context, Poll, Waker},
    time::Duration,
};

use msal_core::{CacheError, sleep::AsyncSleep};

use super::{DEFAULT_LOCK_TIMEOUT, lock};

/// A cross-process lock through a lock file, the one [`FileCacheStore`](super::FileCacheStore)
/// takes around every write (feature `file`).
///
/// Its protocol is msal-extensions' (`O_CREAT|O_EXCL` lock file holding the pid, deleted on
/// release) plus an OS advisory lock held on that file for as long as the lock is held, so
/// msal-extensions 1.3 processes, other msal-rs processes and `FileCacheStore`s locking the same
/// path exclude each other, and a crashed holder's lock is recognised without trusting pids or
/// clocks. The details, and how far exclusion with Python writers goes, are in
/// `msal-cache/src/file_store/lock.rs` and in [`FileCacheStore`](super::FileCacheStore)'s docs.
///
/// ```no_run
/// use msal_cache::CrossPlatLock;
///
/// # async fn demo() -> Result<(), msal_core::CacheError> {
/// let lock = CrossPlatLock::new("/home/me/.my_app_state.lockfile");
/// {
///     let _held = lock.acquire().await?;
///     // read, change and write the file this lock guards
/// } // released here
/// # Ok(()) }
/// ```
///
/// The lock is not re-entrant: a process that holds it and then writes through a
/// `FileCacheStore` locking the same path waits for itself until the timeout.
#[derive(Clone)]
pub struct CrossPlatLock {
    path: PathBuf,
    timeout: Duration,
    sleep: Option<Arc<dyn AsyncSleep>>,
}

impl fmt::Debug for CrossPlatLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrossPlatLock")
            .field("path", &self.path)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl CrossPlatLock {
    /// A lock through the lock file `path` (msal-extensions names it after the file it guards,
    /// `<file>.lockfile`). Nothing is created until [`acquire`](Self::acquire).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            timeout: DEFAULT_LOCK_TIMEOUT,
            sleep: None,
        }
    }

    /// How long [`acquire`](Self::acquire) waits for another holder before
    /// [`CacheError::LockTimeout`] (default 5 s, taking over an abandoned lock included).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Waits for a busy lock with this sleep instead of blocking the thread.
    pub fn sleep(mut self, sleep: impl AsyncSleep + 'static) -> Self {
        self.sleep = Some(Arc::new(sleep));
        self
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the lock, waiting at most the timeout; it is held until the guard is dropped.
    ///
    /// The lock file's I/O is blocking std I/O; without [`sleep`](Self::sleep), waiting for a
    /// busy lock sleeps the thread.
    ///
    /// # Errors
    ///
    /// [`CacheError::LockTimeout`] when another holder kept it past the timeout;
    /// [`CacheError::Io`] when the lock file cannot be created or locked.
    pub async fn acquire(&self) -> Result<CrossPlatLockGuard, CacheError> {
        let guard = lock::acquire(&self.path, self.timeout, self.sleep.as_deref()).await?;
        Ok(CrossPlatLockGuard { _guard: guard })
    }

    /// [`acquire`](Self::acquire) for synchronous code (msal-extensions' `with CrossPlatLock(…)`).
    /// Waits by sleeping the thread, whatever [`sleep`](Self::sleep) says.
    pub fn acquire_blocking(&self) -> Result<CrossPlatLockGuard, CacheError> {
        // Without an `AsyncSleep` the acquisition never suspends (it sleeps the thread), so the
        // first poll finishes it; the loop only guards against that ever changing.
        let mut future = pin!(lock::acquire(&self.path, self.timeout, None));
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(result) = future.as_mut().poll(&mut cx) {
                return result.map(|guard| CrossPlatLockGuard { _guard: guard });
            }
            std::thread::yield_now();
        }
    }
}

/// A held [`CrossPlatLock`]: dropping it releases the lock (deletes the lock file, then
/// releases the OS lock on it).
#[derive(Debug)]
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct CrossPlatLockGuard {
    /// Held only for its `Drop`, which releases the lock.
    _guard: lock::LockFileGuard,
}
