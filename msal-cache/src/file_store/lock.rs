//! msal-extensions' lock file: `<cache>.lockfile`, created exclusively, holding the owner's pid.

use std::{
    fs::{self, OpenOptions},
    io::{self, Read, Write},
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant, SystemTime},
};

use msal_core::{CacheError, sleep::AsyncSleep};

use super::{LOCK_RETRY_INTERVAL, STALE_LOCK_AGE};

/// A held lock file; deleted on drop if it is still ours.
#[derive(Debug)]
pub(super) struct LockFileGuard {
    path: PathBuf,
    identity: Option<u64>,
}

impl Drop for LockFileGuard {
    fn drop(&mut self) {
        // If a peer took the lock over (we were slower than STALE_LOCK_AGE), the file is theirs
        // now and must stay.
        if file_identity(&self.path) == self.identity {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The inode (Unix) that tells one lock file from its successor.
fn file_identity(path: &Path) -> Option<u64> {
    let meta = fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        Some(std::os::unix::fs::MetadataExt::ino(&meta))
    }
    #[cfg(not(unix))]
    {
        meta.modified()
            .ok()
            .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as u64)
    }
}

pub(super) async fn acquire(
    path: &Path,
    timeout: Duration,
    sleep: Option<&dyn AsyncSleep>,
) -> Result<LockFileGuard, CacheError> {
    let started = Instant::now();
    let io_error = |source: io::Error| CacheError::Io {
        path: path.display().to_string(),
        source,
    };
    loop {
        match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(mut file) => {
                let program = std::env::args().next().unwrap_or_default();
                // msal-extensions writes "{pid} {argv[0]}"; a failed write only weakens the
                // stale-lock check, so it is not an error.
                let _ = write!(file, "{} {program}", std::process::id());
                return Ok(LockFileGuard {
                    path: path.to_path_buf(),
                    identity: file_identity(path),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if take_over_if_stale(path) {
                    continue;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // The directory does not exist yet.
                let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
                match dir {
                    Some(dir) if !dir.exists() => {
                        fs::create_dir_all(dir).map_err(io_error)?;
                        continue;
                    }
                    _ => return Err(io_error(e)),
                }
            }
            Err(e) => return Err(io_error(e)),
        }
        let waited = started.elapsed();
        if waited >= timeout {
            return Err(CacheError::LockTimeout {
                path: path.display().to_string(),
                waited,
            });
        }
        let pause = LOCK_RETRY_INTERVAL.min(timeout - waited);
        match sleep {
            Some(sleep) => sleep.sleep(pause).await,
            None => std::thread::sleep(pause),
        }
    }
}

/// Why the lock file at `path` looks abandoned, if it does.
fn stale_reason(path: &Path) -> Option<String> {
    let meta = fs::metadata(path).ok()?;
    let mut content = String::new();
    if let Ok(mut f) = fs::File::open(path) {
        let _ = f.read_to_string(&mut content);
    }
    let pid = content
        .split_whitespace()
        .next()
        .and_then(|p| p.parse::<u32>().ok());
    if let Some(pid) = pid
        && pid != std::process::id()
        && !process_alive(pid)
    {
        return Some(format!("its process {pid} no longer exists"));
    }
    let age = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())?;
    (age > STALE_LOCK_AGE).then(|| format!("it is {}s old", age.as_secs()))
}

/// Whether `pid` runs. Linux answers through `/proc`; elsewhere every process counts as alive
/// and only the age rule applies.
fn process_alive(pid: u32) -> bool {
    let proc_root = Path::new("/proc/self");
    if cfg!(target_os = "linux") && proc_root.exists() {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// Removes an abandoned lock file. Returns whether it did (so the caller retries at once).
///
/// The file is first renamed to a unique name, then checked to be the one judged stale. If a
/// peer replaced it in between, the rename grabbed the peer's live lock: it is put back with a
/// hard link, which (unlike rename) never overwrites.
fn take_over_if_stale(path: &Path) -> bool {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let judged = file_identity(path);
    let Some(reason) = stale_reason(path) else {
        return false;
    };
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(
        ".stale.{}.{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let aside = PathBuf::from(aside);
    if fs::rename(path, &aside).is_err() {
        // Someone else removed or took it first; just retry.
        return true;
    }
    if file_identity(&aside) != judged {
        let _ = fs::hard_link(&aside, path);
        let _ = fs::remove_file(&aside);
        return true;
    }
    let _ = fs::remove_file(&aside);
    tracing::warn!(lock = %path.display(), %reason, "took over an abandoned token cache lock file");
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[test]
    fn lock_excludes_times_out_and_is_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json.lockfile");
        let held = block_on(acquire(&path, Duration::from_secs(1), None)).unwrap();
        let content = fs::read_to_string(&path).unwrap();
        assert!(
            content.starts_with(&std::process::id().to_string()),
            "{content}"
        );
        let err = block_on(acquire(&path, Duration::from_millis(30), None)).unwrap_err();
        assert!(matches!(err, CacheError::LockTimeout { .. }), "{err}");
        drop(held);
        assert!(!path.exists());
        let again = block_on(acquire(&path, Duration::from_millis(30), None)).unwrap();
        drop(again);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_dead_owners_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json.lockfile");
        // No process has pid u32::MAX - 1 (Linux caps pids far below).
        fs::write(&path, format!("{} crashed-writer", u32::MAX - 1)).unwrap();
        let guard = block_on(acquire(&path, Duration::from_millis(100), None)).unwrap();
        assert!(
            fs::read_to_string(&path)
                .unwrap()
                .starts_with(&std::process::id().to_string())
        );
        drop(guard);
        // A live owner's (our own pid's) fresh lock is not taken over.
        fs::write(&path, format!("{} other-thread", std::process::id())).unwrap();
        assert!(block_on(acquire(&path, Duration::from_millis(30), None)).is_err());
    }
}
