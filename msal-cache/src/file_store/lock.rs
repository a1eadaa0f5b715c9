//! The cross-process lock on a cache file: msal-extensions' `<cache>.lockfile`, held together
//! with an OS advisory lock on that very file.
//!
//! # Protocol
//!
//! msal-extensions 1.3 (`msal_extensions/cache_lock.py`, `CrossPlatLock`) creates the lock file
//! with `O_CREAT|O_EXCL`, then opens it again and takes portalocker's exclusive lock on it
//! (`flock` on POSIX), writes `"<pid> <argv[0]>"`, and on release unlocks it and deletes it. This
//! module keeps that convention, so both exclude each other, and holds the OS lock on the file it
//! created for as long as it holds the cache lock:
//!
//! - **Acquire**: create `<path>.lockfile` with `O_CREAT|O_EXCL` (`create_new`), take a
//!   non-blocking exclusive OS lock on that descriptor (`File::try_lock`: `flock` on Unix,
//!   `LockFileEx` on Windows), write `"<pid> <program>\nmsal-rs-lock <token>\n"` (the pid first,
//!   as msal-extensions writes it, and a marker with a random ownership token), then check that
//!   the path still names the file we locked (see "Identity" below).
//! - **Hold**: keep the descriptor open and locked. A process that dies, however it dies, closes
//!   its descriptors, so the kernel releases its OS lock; that is what makes a crashed writer's
//!   lock recognisable without trusting pids or clocks.
//! - **Release**: while still holding the OS lock, check that the path still names our file and
//!   still carries our token; only then delete it. Then close the descriptor (which unlocks it).
//! - **Busy or stale**: when `create_new` finds a file, open it and try the OS lock without
//!   blocking. If the lock is held, the owner is alive: wait (whatever pid the file names). If we
//!   get it, check that the path still names the file we locked, read it, and judge it:
//!   - it carries the `msal-rs-lock` marker: its writer took the OS lock before writing the
//!     marker, and nobody holds it any more, so the writer released it or died: stale;
//!   - it names a pid (msal-extensions, or an msal-rs version without the marker): stale if that
//!     process no longer exists (Linux, through `/proc`) or the file is older than 60 s;
//!   - it is empty or names no pid: a writer may be between its `O_EXCL` create and its first
//!     write, so it is stale only once older than a 2 s grace period.
//!
//!   A stale file is deleted while we still hold the OS lock on it, and we retry at once.
//!
//! Every wait is bounded by the lock timeout, stale-lock takeovers included: each round checks
//! the deadline, and every round that made no progress sleeps. A stale lock that cannot be
//! deleted (a sticky directory owned by someone else, a directory in its place) is logged once and
//! ends, like any busy lock, in [`CacheError::LockTimeout`].
//!
//! # Identity
//!
//! "The path still names the file we locked" compares the device and inode of the path
//! (`symlink_metadata`) with those of our open descriptor (`File::metadata`). This is sound where
//! comparing two *paths'* inodes is not: an inode stays allocated while a descriptor to it is open,
//! so no other file can carry our descriptor's inode number at that moment. (Without an open
//! descriptor, ext4 hands a freed inode number to the next file created, which is how the previous
//! rename-and-compare takeover let two processes hold the lock.) On platforms without inode
//! numbers in std (Windows), the creation time, modification time and length are compared
//! instead, which is weaker.
//!
//! # Why no two msal-rs writers hold the lock at once
//!
//! A writer holds the lock only after it took the OS lock on some file F and *then* saw the path
//! name F. Say A holds F_A and B holds F_B. The OS lock is exclusive, so F_A ≠ F_B. Say A's check
//! came first: the path named F_A then and F_B later, so F_A was deleted in between. Only a process
//! holding the OS lock on F_A deletes F_A (A on release, or a taker under the OS lock), and A held
//! it from before its check; so A had released, a contradiction. This holds whatever the judgement
//! "stale" says and whatever pids or clocks say; the judgement only decides how soon a crashed
//! writer's lock is cleared. The interleavings, one by one:
//!
//! - *A taker locks a file that a creator made but has not locked yet*: the file is empty and
//!   younger than the grace period, so the taker leaves it. If the creator stalls past the grace
//!   period and the taker deletes it, the creator's own check after locking finds the path no
//!   longer names its file, and it retries.
//! - *Two takers judge the same stale file*: only one gets the OS lock at a time. The first deletes
//!   it; the second, once it gets the lock, finds the path names another file or nothing, and
//!   retries without deleting anything.
//! - *A taker opened F, then F's holder released it and a new writer created F′*: the taker's OS
//!   lock is on F, the path names F′, so the check fails and it deletes nothing. (This was the
//!   inode-reuse bug: F′ may well reuse F's inode number once F is gone, but not while the taker
//!   still holds F open.)
//! - *A holder that the OS killed mid-write*: the kernel released its lock; its file carries the
//!   marker, so the next taker deletes it at once. If it died between `O_EXCL` and its first
//!   write, the empty file is deleted after the grace period.
//! - *Release*: the holder deletes the file before it unlocks it, so a taker that gets the lock
//!   afterwards finds the path changed and deletes nothing.
//!
//! # With msal-extensions (Python) writers
//!
//! A Python writer holding the lock holds portalocker's lock on the file, so we wait for it. Its
//! brief unlocked moments are covered: right after its `O_EXCL` create the file is empty and young
//! (grace period); between its unlock and its delete the file names its live pid. A Python writer
//! that crashed left its pid in the file, and the file is taken over when that process is gone or
//! after 60 s. Python's own protocol has gaps this cannot close: its delete on release does not
//! check what it deletes, and after waiting 5 s for the lock file to go away it locks whatever file
//! is there, even one a holder is about to delete. So under heavy contention (a Python writer
//! waiting more than 5 s) or across PID namespaces (its pid then looks dead), exclusion with Python
//! writers is only as good as msal-extensions' own.

use std::{
    fs::{self, File, OpenOptions, TryLockError},
    hash::{BuildHasher, Hasher},
    io::{self, Read, Write},
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant, SystemTime},
};

use msal_core::{CacheError, sleep::AsyncSleep};

use super::{LOCK_RETRY_INTERVAL, STALE_LOCK_AGE};

/// The line that marks a lock file written by this module, which holds its OS lock for life.
const MARKER: &str = "msal-rs-lock";

/// How long an empty lock file (or one naming no pid) is left alone: its writer may be between
/// its `O_EXCL` create and its first write, which takes microseconds.
pub(crate) const EMPTY_LOCK_GRACE: Duration = Duration::from_secs(2);

/// How soon a writer retries the OS lock on the file it just created while a taker examines it
/// (a few system calls), and how soon it retries after the lock file vanished under it.
const SHORT_RETRY: Duration = Duration::from_millis(1);

/// A held lock: the lock file, its open descriptor with the OS lock on it, and our token.
///
/// Dropping it deletes the lock file if the path still names our file, then closes the
/// descriptor, which releases the OS lock.
#[derive(Debug)]
pub(super) struct LockFileGuard {
    path: PathBuf,
    /// Declared after `path` and `token` only for clarity: the unlink happens in `drop` below,
    /// before any field is dropped, so the file is always deleted before it is unlocked.
    file: File,
    token: String,
}

impl Drop for LockFileGuard {
    fn drop(&mut self) {
        match still_ours(&self.path, &self.file, &self.token) {
            Ok(true) => {
                if let Err(e) = fs::remove_file(&self.path) {
                    tracing::warn!(lock = %self.path.display(), error = %e,
                        "could not delete the token cache lock file");
                }
            }
            // Someone deleted or replaced our file while we held it (only a writer that ignores
            // the OS lock, or a person, does that). Whatever is there now is not ours to delete.
            Ok(false) | Err(_) => {
                tracing::warn!(lock = %self.path.display(),
                    "the token cache lock file was removed or replaced while held; leaving it");
            }
        }
        // `self.file` is closed after this, releasing the OS lock.
    }
}

/// Whether the path names `file` and carries `token`, checked while we hold `file`'s OS lock.
fn still_ours(path: &Path, file: &File, token: &str) -> io::Result<bool> {
    if !names_file(path, file)? {
        return Ok(false);
    }
    // Also compare the token through the path: a second, independent check for file systems whose
    // inode numbers cannot be trusted. Windows' OS lock forbids reading the locked file through
    // another handle, so there the metadata comparison stands alone.
    #[cfg(unix)]
    {
        let content = fs::read_to_string(path)?;
        Ok(parse(&content).token == Some(token))
    }
    #[cfg(not(unix))]
    {
        let _ = token;
        Ok(true)
    }
}

/// Whether `path` (not following a symlink) names the file open as `file`.
///
/// Sound only because `file` is open: its inode cannot be freed and reused meanwhile.
fn names_file(path: &Path, file: &File) -> io::Result<bool> {
    let at_path = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let ours = file.metadata()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok(at_path.dev() == ours.dev() && at_path.ino() == ours.ino())
    }
    #[cfg(not(unix))]
    {
        Ok(at_path.file_type() == ours.file_type()
            && at_path.len() == ours.len()
            && at_path.modified().ok() == ours.modified().ok()
            && at_path.created().ok() == ours.created().ok())
    }
}

/// What a lock file says about its writer.
#[derive(Debug, Default, PartialEq, Eq)]
struct Content<'a> {
    pid: Option<u32>,
    token: Option<&'a str>,
}

fn parse(content: &str) -> Content<'_> {
    let pid = content
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().next())
        .and_then(|p| p.parse::<u32>().ok());
    let token = content.lines().find_map(|line| {
        line.strip_prefix(MARKER)
            .and_then(|rest| rest.strip_prefix(' '))
            .map(str::trim)
            .filter(|t| !t.is_empty())
    });
    Content { pid, token }
}

/// A fresh ownership token: unique per lock acquisition with overwhelming probability.
///
/// It is no secret, only a name; std's randomly keyed hasher is random enough for that.
fn new_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut words = [0u64; 2];
    for word in &mut words {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(nanos);
        *word = h.finish();
    }
    format!("{:016x}{:016x}", words[0], words[1])
}

/// What one round of [`acquire`] achieved.
enum Round {
    Acquired(LockFileGuard),
    /// Something changed (we deleted a stale file, or the file we looked at was replaced): try
    /// again without sleeping.
    Again,
    /// Busy, or nothing we can do yet: sleep this long (capped by the deadline), then retry.
    Wait(Duration),
    /// A stale lock file that we could not delete: wait like for a busy one, and say why once.
    Stuck(io::Error),
}

/// Takes the lock file at `path`, waiting at most `timeout` (then [`CacheError::LockTimeout`]).
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
    // A file we created but have not yet got the OS lock on (a taker is examining it).
    let mut created: Option<File> = None;
    let mut created_dir = false;
    let mut reported_stuck = false;
    // Ready before the file exists, so that the window in which our new file is empty (and a
    // crash would leave it to the grace period) is three system calls long.
    let token = new_token();
    let program = std::env::args_os()
        .next()
        .map(|p| p.to_string_lossy().replace(['\n', '\r'], " "))
        .unwrap_or_default();
    let content = format!("{} {program}\n{MARKER} {token}\n", std::process::id());
    loop {
        let round = match created.take() {
            Some(file) => claim(path, file, &mut created, &token, &content).map_err(io_error)?,
            None => match OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(file) => claim(path, file, &mut created, &token, &content).map_err(io_error)?,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    examine(path).map_err(io_error)?
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound && !created_dir => {
                    // The directory does not exist yet; create it once.
                    created_dir = true;
                    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        Some(dir) => fs::create_dir_all(dir).map_err(io_error)?,
                        None => return Err(io_error(e)),
                    }
                    Round::Again
                }
                Err(e) => return Err(io_error(e)),
            },
        };
        let pause = match round {
            Round::Acquired(guard) => return Ok(guard),
            Round::Again => Duration::ZERO,
            Round::Wait(pause) => pause,
            Round::Stuck(e) => {
                if !reported_stuck {
                    reported_stuck = true;
                    tracing::warn!(lock = %path.display(), error = %e,
                        "a stale token cache lock file cannot be deleted; waiting for the lock timeout");
                }
                LOCK_RETRY_INTERVAL
            }
        };
        // Every round checks the deadline, so no path through here can loop past it.
        let waited = started.elapsed();
        if waited >= timeout {
            // A file we created but never locked would make every other writer wait out the
            // grace period for an empty lock file: it goes with us.
            if let Some(file) = created.take()
                && names_file(path, &file).unwrap_or(false)
            {
                let _ = fs::remove_file(path);
            }
            return Err(CacheError::LockTimeout {
                path: path.display().to_string(),
                waited,
            });
        }
        let pause = pause.min(timeout - waited);
        if !pause.is_zero() {
            match sleep {
                Some(sleep) => sleep.sleep(pause).await,
                None => std::thread::sleep(pause),
            }
        }
    }
}

/// Takes the OS lock on a file we created with `O_EXCL`, writes our pid and token into it, and
/// checks it is still at `path`. If a taker holds the OS lock for a moment, the file goes back
/// into `pending` for the next round.
fn claim(
    path: &Path,
    file: File,
    pending: &mut Option<File>,
    token: &str,
    content: &str,
) -> io::Result<Round> {
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            // A taker is reading our empty file; it leaves young empty files alone.
            *pending = Some(file);
            return Ok(Round::Wait(SHORT_RETRY));
        }
        Err(TryLockError::Error(e)) => return Err(lock_unsupported(e)),
    }
    // Written before the identity check: the file is ours (O_EXCL), so writing to it harms
    // nobody even if a taker deleted it meanwhile. A failed write (a full disk) leaves it empty;
    // we hold the OS lock, so nobody judges it while we hold it, and we delete it on release; so
    // that is not an error.
    let _ = (&file).write_all(content.as_bytes());
    if !names_file(path, &file)? {
        // We stalled past the grace period before locking, and a taker deleted our empty file.
        return Ok(Round::Again);
    }
    Ok(Round::Acquired(LockFileGuard {
        path: path.to_path_buf(),
        file,
        token: token.to_owned(),
    }))
}

/// Looks at an existing lock file: busy (someone holds its OS lock), live, or stale (deleted).
fn examine(path: &Path) -> io::Result<Round> {
    let file = match File::open(path) {
        Ok(file) => file,
        // Released between our create attempt and this open: try again soon. (Not at once: a
        // dangling symlink answers "exists" to create and "not found" to open, for ever.)
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Round::Wait(SHORT_RETRY)),
        // A lock file we may not read (another user's) cannot be judged: wait for it to go.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return Ok(Round::Wait(LOCK_RETRY_INTERVAL));
        }
        Err(e) => return Err(e),
    };
    match file.try_lock() {
        Ok(()) => {}
        // Its owner is alive and holds it, whatever pid the file names.
        Err(TryLockError::WouldBlock) => return Ok(Round::Wait(LOCK_RETRY_INTERVAL)),
        Err(TryLockError::Error(e)) => return Err(lock_unsupported(e)),
    }
    // From here on nobody that respects the OS lock can delete the file, and its inode stays ours
    // while `file` is open, so the identity check below cannot be fooled by inode reuse.
    if !names_file(path, &file)? {
        // Replaced meanwhile, or a link to another file: look again soon (not at once, or a
        // link that stays would spin).
        return Ok(Round::Wait(SHORT_RETRY));
    }
    let meta = file.metadata()?;
    let mut content = String::new();
    // A directory or unreadable bytes read as "no pid": judged by age alone.
    let _ = (&file).read_to_string(&mut content);
    let age = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .unwrap_or_default();
    let Some(reason) = stale_reason(&parse(&content), age) else {
        return Ok(Round::Wait(LOCK_RETRY_INTERVAL));
    };
    match fs::remove_file(path) {
        Ok(()) => {
            tracing::warn!(lock = %path.display(), %reason,
                "took over an abandoned token cache lock file");
            Ok(Round::Again)
        }
        Err(e) => Ok(Round::Stuck(e)),
    }
    // `file` closes here, after the delete: the OS lock covered the whole judgement.
}

/// Why a lock file whose OS lock nobody holds is abandoned, if it is.
fn stale_reason(content: &Content<'_>, age: Duration) -> Option<String> {
    if content.token.is_some() {
        return Some("its msal-rs writer released it or died (nobody holds its file lock)".into());
    }
    match content.pid {
        Some(pid) if pid != std::process::id() && !process_alive(pid) => {
            Some(format!("its process {pid} no longer exists"))
        }
        Some(_) => (age > STALE_LOCK_AGE).then(|| format!("it is {}s old", age.as_secs())),
        None => (age > EMPTY_LOCK_GRACE)
            .then(|| format!("it names no process and is {}s old", age.as_secs())),
    }
}

/// Whether `pid` runs. Linux answers through `/proc`; elsewhere every process counts as alive
/// and only the age rule applies.
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// The file system refused the OS lock itself (not "busy"): without it the lock cannot be safe.
fn lock_unsupported(e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!("cannot take an OS file lock on the cache lock file: {e}"),
    )
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

    fn set_age(path: &Path, age: Duration) {
        let file = File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
    }

    #[test]
    fn lock_excludes_times_out_and_is_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json.lockfile");
        let held = block_on(acquire(&path, Duration::from_secs(1), None)).unwrap();
        let content = fs::read_to_string(&path).unwrap();
        let parsed = parse(&content);
        assert_eq!(parsed.pid, Some(std::process::id()), "{content}");
        assert_eq!(parsed.token, Some(held.token.as_str()), "{content}");
        let err = block_on(acquire(&path, Duration::from_millis(30), None)).unwrap_err();
        assert!(matches!(err, CacheError::LockTimeout { .. }), "{err}");
        drop(held);
        assert!(!path.exists());
        let again = block_on(acquire(&path, Duration::from_millis(30), None)).unwrap();
        drop(again);
    }

    #[test]
    fn a_held_lock_is_never_stale_whatever_its_age_or_pid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json.lockfile");
        let held = block_on(acquire(&path, Duration::from_secs(1), None)).unwrap();
        // Make it look abandoned by both the pid and the age rule.
        fs::write(&path, format!("{} crashed-writer", u32::MAX - 1)).unwrap();
        set_age(&path, STALE_LOCK_AGE * 2);
        let err = block_on(acquire(&path, Duration::from_millis(50), None)).unwrap_err();
        assert!(matches!(err, CacheError::LockTimeout { .. }), "{err}");
        assert!(path.exists());
        drop(held);
    }

    #[test]
    fn an_unlocked_marked_file_is_taken_over_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json.lockfile");
        // What a writer killed while holding the lock leaves: our marker, a live pid (ours), a
        // fresh file, and no OS lock.
        fs::write(
            &path,
            format!("{} killed\n{MARKER} 0123\n", std::process::id()),
        )
        .unwrap();
        let guard = block_on(acquire(&path, Duration::from_millis(200), None)).unwrap();
        assert_ne!(guard.token, "0123");
    }

    #[test]
    fn empty_files_get_a_grace_period() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json.lockfile");
        fs::write(&path, "").unwrap();
        assert!(block_on(acquire(&path, Duration::from_millis(30), None)).is_err());
        set_age(&path, EMPTY_LOCK_GRACE + Duration::from_secs(1));
        let guard = block_on(acquire(&path, Duration::from_millis(100), None)).unwrap();
        drop(guard);
        assert!(!path.exists());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_dead_owners_lock_is_taken_over_but_a_live_ones_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json.lockfile");
        // No process has pid u32::MAX - 1 (Linux caps pids far below).
        fs::write(&path, format!("{} crashed-writer", u32::MAX - 1)).unwrap();
        let guard = block_on(acquire(&path, Duration::from_millis(100), None)).unwrap();
        assert_eq!(
            parse(&fs::read_to_string(&path).unwrap()).pid,
            Some(std::process::id())
        );
        drop(guard);
        // A live owner's (our own pid's) fresh lock without the marker is msal-extensions' or an
        // older msal-rs's: not taken over.
        fs::write(&path, format!("{} other-writer", std::process::id())).unwrap();
        assert!(block_on(acquire(&path, Duration::from_millis(30), None)).is_err());
        // Unless it is older than the age limit.
        set_age(&path, STALE_LOCK_AGE + Duration::from_secs(1));
        assert!(block_on(acquire(&path, Duration::from_millis(100), None)).is_ok());
    }

    #[test]
    fn parses_pid_and_token() {
        assert_eq!(parse(""), Content::default());
        assert_eq!(
            parse("12 /bin/python3 x.py"),
            Content {
                pid: Some(12),
                token: None
            }
        );
        assert_eq!(
            parse("7 prog\nmsal-rs-lock abc\n"),
            Content {
                pid: Some(7),
                token: Some("abc")
            }
        );
        assert_eq!(parse("x\nmsal-rs-lock \n").token, None);
        assert_ne!(new_token(), new_token());
    }
}
