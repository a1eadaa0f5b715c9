//! The `FileCacheStore` lock under crashes and races, with real processes.
//!
//! - `crash_safety_with_killed_writers`: a stale lock file of a dead process, several writers,
//!   and extra writers killed with SIGKILL again and again (some while holding the lock, some
//!   mid-write). Every surviving writer's every token ends up in a valid file, no writer waits past
//!   its lock timeout, and a last writer gets the lock within its timeout afterwards.
//! - `racing_takeovers_never_overlap_in_processes` / `..._in_threads`: writers race to take over
//!   stale lock files and count how often two of them were inside the critical section at once
//!   (an `O_EXCL` marker file). It must be zero.
//! - `an_undeletable_stale_lock_times_out_without_spinning`: a stale lock that cannot be deleted
//!   ends in `LockTimeout` after about the timeout, having slept rather than spun.
//!
//! The children are this test binary run again with `--ignored --exact <child test>` and an
//! environment variable saying what to do; the child tests are `#[ignore]`d, so a normal run
//! lists them as ignored instead of counting them as passed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
#![cfg(all(feature = "file", unix))]

use std::{
    fs::{self, File, OpenOptions},
    io::{self, Write},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Barrier},
    time::{Duration, Instant, SystemTime},
};

use msal_cache::{
    AccessKind, CacheAccess, CacheError, CacheStore, FileCacheStore, TokenCache, TokenEvent,
};
use msal_core::TokenResponse;

/// What a child does: `<role>|<cache path>|<id>`.
const CHILD_ENV: &str = "MSAL_CACHE_LOCK_CHILD";

const SURVIVORS: usize = 4;
const SURVIVOR_TOKENS: usize = 30;
const SURVIVOR_TIMEOUT: Duration = Duration::from_secs(8);
const RACERS: usize = 4;
const RACER_ROUNDS: usize = 100;

// ---------------------------------------------------------------------------------------------
// children

#[test]
#[ignore = "child process of the tests in this file; they run it with --ignored --exact"]
fn child_process() {
    let spec = std::env::var(CHILD_ENV).unwrap_or_else(|_| {
        panic!("child_process is run by this file's tests, with {CHILD_ENV} set; not on its own")
    });
    let mut parts = spec.splitn(3, '|');
    let (role, path, me) = (
        parts.next().unwrap(),
        PathBuf::from(parts.next().unwrap()),
        parts.next().unwrap(),
    );
    match role {
        "survivor" => survivor(&path, me),
        "victim" => victim(&path, me),
        "racer" => racer(&path, me),
        other => panic!("unknown child role {other}"),
    }
}

fn token_event<'a>(response: &'a TokenResponse, realm: String) -> TokenEvent<'a> {
    TokenEvent::new(
        "client",
        "login.example",
        realm,
        ["api/.default"],
        response,
        "client_credentials",
    )
}

fn response(secret: String) -> TokenResponse {
    let mut response = TokenResponse::default();
    response.access_token = secret.into();
    response.expires_in = Some(3600);
    response
}

/// Adds its tokens one write at a time and reports the longest write.
fn survivor(path: &Path, me: &str) {
    let cache = TokenCache::with_store(FileCacheStore::new(path).lock_timeout(SURVIVOR_TIMEOUT));
    let mut longest = Duration::ZERO;
    for i in 0..SURVIVOR_TOKENS {
        let response = response(format!("at-{me}-{i}"));
        let started = Instant::now();
        block_on(cache.add_token_response(
            token_event(&response, format!("tenant-{me}-{i}")),
            SystemTime::now(),
        ))
        .unwrap_or_else(|e| panic!("survivor {me}, token {i}: {e}"));
        longest = longest.max(started.elapsed());
        std::thread::sleep(Duration::from_millis(15));
    }
    println!("longest_write_ms={}", longest.as_millis());
}

/// Writes as fast as it can until it is killed.
fn victim(path: &Path, me: &str) {
    let cache = TokenCache::with_store(FileCacheStore::new(path).lock_timeout(SURVIVOR_TIMEOUT));
    for i in 0.. {
        let response = response(format!("victim-{me}-{i}"));
        let _ = block_on(cache.add_token_response(
            token_event(&response, format!("victim-{me}-{i}")),
            SystemTime::now(),
        ));
    }
}

/// Takes the lock again and again, counting overlaps; between rounds it sometimes leaves a stale
/// lock file of a dead process behind for the others to race over.
fn racer(path: &Path, me: &str) {
    let store = FileCacheStore::new(path).lock_timeout(Duration::from_secs(20));
    let lock_path = lock_path(path);
    let marker = path.with_extension("inside");
    let mut overlaps = 0;
    let mut seed = me.parse::<u64>().unwrap() + 1;
    // Start together, so that the racers really race.
    while !start_flag(path).exists() {
        std::thread::sleep(Duration::from_millis(1));
    }
    for _ in 0..RACER_ROUNDS {
        let lock = block_on(store.lock(&access())).unwrap();
        overlaps += critical_section(&marker);
        drop(lock);
        if next_random(&mut seed).is_multiple_of(2)
            && plant_stale_lock(&lock_path, DEAD_PID, Duration::ZERO)
        {
            // Give the others' polls time to find it, so that several take it over at once.
            std::thread::sleep(Duration::from_micros(next_random(&mut seed) % 12_000));
        }
    }
    println!("overlaps={overlaps}");
}

// ---------------------------------------------------------------------------------------------
// helpers

/// No Linux process has this pid (pid_max is at most 2^22).
const DEAD_PID: u32 = u32::MAX - 1;

fn access() -> CacheAccess {
    CacheAccess::new(AccessKind::Write, "", "client")
}

fn start_flag(path: &Path) -> PathBuf {
    path.with_extension("go")
}

fn lock_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".lockfile");
    PathBuf::from(p)
}

/// One pass through the critical section: 1 if someone else was inside too.
fn critical_section(marker: &Path) -> usize {
    let overlap = match OpenOptions::new().write(true).create_new(true).open(marker) {
        Ok(_) => 0,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => 1,
        Err(e) => panic!("marker: {e}"),
    };
    std::thread::sleep(Duration::from_micros(200));
    if overlap == 0 {
        // Only the first one in removes it, so the other one's overlap is seen too.
        fs::remove_file(marker).unwrap();
    }
    overlap
}

/// Leaves a lock file as a crashed msal-extensions writer would, unless one is there already.
fn plant_stale_lock(lock_path: &Path, pid: u32, age: Duration) -> bool {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(lock_path)
    {
        Ok(mut file) => {
            write!(file, "{pid} crashed-writer").unwrap();
            file.set_modified(SystemTime::now() - age).unwrap();
            true
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
        Err(e) => panic!("planting a stale lock: {e}"),
    }
}

/// A pid that surely belonged to a process that has exited (and been reaped).
fn a_dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

fn spawn_child(role: &str, path: &Path, me: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "child_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{role}|{}|{me}", path.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for a child that must succeed; returns the value of `key=...` in its output.
fn finish(child: Child, key: &str) -> u64 {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "a child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        // libtest prints "test child_process ... " on the same line first.
        .find_map(|l| {
            let value = &l[l.find(&format!("{key}="))? + key.len() + 1..];
            value.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("no {key}= in the child's output:\n{stdout}"))
}

/// Whether every survivor's last token is in the file (read without the lock: writes rename).
fn all_written(path: &Path) -> bool {
    let text = fs::read_to_string(path).unwrap_or_default();
    (0..SURVIVORS).all(|me| text.contains(&format!("at-s{me}-{}", SURVIVOR_TOKENS - 1)))
}

fn next_random(seed: &mut u64) -> u64 {
    // xorshift64: reproducible enough for timing jitter, no dependency.
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// CPU time (user + system) this thread has used, from `/proc/thread-self/stat`.
#[cfg(target_os = "linux")]
fn thread_cpu_time() -> Duration {
    let stat = fs::read_to_string("/proc/thread-self/stat").unwrap();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // Linux reports these in USER_HZ, which is 100 on every architecture it supports.
    Duration::from_millis(ticks * 10)
}

// ---------------------------------------------------------------------------------------------
// tests

#[test]
fn crash_safety_with_killed_writers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let lock = lock_path(&path);
    // A lock file left by a writer that died a minute ago.
    assert!(plant_stale_lock(
        &lock,
        a_dead_pid(),
        Duration::from_secs(60)
    ));

    let survivors: Vec<Child> = (0..SURVIVORS)
        .map(|me| spawn_child("survivor", &path, &format!("s{me}")))
        .collect();
    let mut seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let (mut kills, mut killed_holding) = (0, 0);
    let started = Instant::now();
    // Keep killing until every survivor has written its last token (and at least a few times).
    while (kills < 8 || !all_written(&path)) && started.elapsed() < Duration::from_secs(30) {
        let mut victim = spawn_child("victim", &path, &format!("v{kills}"));
        let pid = victim.id();
        if next_random(&mut seed).is_multiple_of(2) {
            // Kill it at a random moment: holding the lock, mid-write, or waiting.
            std::thread::sleep(Duration::from_millis(5 + next_random(&mut seed) % 40));
        } else {
            // Kill it while it holds the lock: wait until the lock file names it.
            let wait_from = Instant::now();
            while wait_from.elapsed() < Duration::from_secs(2) {
                let content = fs::read_to_string(&lock).unwrap_or_default();
                if content.split_whitespace().next() == Some(&pid.to_string()) {
                    break;
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        victim.kill().unwrap(); // SIGKILL
        victim.wait().unwrap();
        let content = fs::read_to_string(&lock).unwrap_or_default();
        if content.split_whitespace().next() == Some(&pid.to_string()) {
            killed_holding += 1;
        }
        kills += 1;
    }
    let mut longest_ms = 0;
    for survivor in survivors {
        longest_ms = longest_ms.max(finish(survivor, "longest_write_ms"));
    }
    eprintln!(
        "{kills} writers killed, {killed_holding} of them while holding the lock; longest surviving write {longest_ms} ms"
    );
    assert!(
        killed_holding > 0,
        "no writer was killed while holding the lock"
    );
    assert!(
        u128::from(longest_ms) < SURVIVOR_TIMEOUT.as_millis(),
        "a writer waited {longest_ms} ms, past its lock timeout"
    );

    // The file is valid JSON and holds every survivor's every token.
    let text = fs::read_to_string(&path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let secrets: std::collections::HashSet<&str> = json["AccessToken"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|at| at["secret"].as_str())
        .collect();
    for me in 0..SURVIVORS {
        for i in 0..SURVIVOR_TOKENS {
            assert!(
                secrets.contains(format!("at-s{me}-{i}").as_str()),
                "token {i} of writer s{me} is lost"
            );
        }
    }

    // One more writer gets the lock within its timeout (whatever the victims left) and releases it.
    let timeout = Duration::from_secs(5);
    let store = FileCacheStore::new(&path).lock_timeout(timeout);
    let started = Instant::now();
    let held = block_on(store.lock(&access())).unwrap();
    assert!(started.elapsed() < timeout);
    assert!(lock.exists());
    drop(held);
    assert!(
        !lock.exists(),
        "the last writer's lock file was not released"
    );
}

#[test]
fn racing_takeovers_never_overlap_in_processes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    plant_stale_lock(&lock_path(&path), DEAD_PID, Duration::ZERO);
    let racers: Vec<Child> = (0..RACERS)
        .map(|me| spawn_child("racer", &path, &me.to_string()))
        .collect();
    fs::write(start_flag(&path), "").unwrap();
    let overlaps: u64 = racers.into_iter().map(|c| finish(c, "overlaps")).sum();
    assert_eq!(
        overlaps, 0,
        "two processes were in the critical section at once"
    );
}

#[test]
fn racing_takeovers_never_overlap_in_threads() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 150;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let lock = lock_path(&path);
    let marker = path.with_extension("inside");
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|me| {
            let (path, lock, marker, barrier) =
                (path.clone(), lock.clone(), marker.clone(), barrier.clone());
            std::thread::spawn(move || {
                // A store per thread, as a process would have: each opens the lock file itself.
                let store = FileCacheStore::new(&path).lock_timeout(Duration::from_secs(20));
                let mut overlaps = 0;
                for _ in 0..ROUNDS {
                    if me == 0 {
                        assert!(plant_stale_lock(&lock, DEAD_PID, Duration::ZERO));
                    }
                    // Everyone starts racing for the stale lock at once.
                    barrier.wait();
                    let held = block_on(store.lock(&access())).unwrap();
                    overlaps += critical_section(&marker);
                    drop(held);
                    // Everyone is out before the next stale lock is planted.
                    barrier.wait();
                }
                overlaps
            })
        })
        .collect();
    let overlaps: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(
        overlaps, 0,
        "two threads were in the critical section at once"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn an_undeletable_stale_lock_times_out_without_spinning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.json");
    let lock = lock_path(&path);
    // A directory where the lock file should be: stale by age (it names no process and is old),
    // but deleting it as a file fails, even for root (unlike a read-only parent directory).
    fs::create_dir(&lock).unwrap();
    fs::write(lock.join("keep"), "x").unwrap();
    File::open(&lock)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(120))
        .unwrap();

    let timeout = Duration::from_millis(600);
    let store = FileCacheStore::new(&path).lock_timeout(timeout);
    let (wall, cpu) = (Instant::now(), thread_cpu_time());
    let err = block_on(store.lock(&access())).unwrap_err();
    let (wall, cpu) = (wall.elapsed(), thread_cpu_time() - cpu);
    assert!(matches!(err, CacheError::LockTimeout { .. }), "{err}");
    assert!(wall >= timeout, "gave up early, after {wall:?}");
    assert!(
        wall < timeout + Duration::from_millis(400),
        "overran the timeout: {wall:?}"
    );
    // Sleeping between rounds costs a few ms of CPU; spinning costs the whole timeout.
    assert!(
        cpu < timeout / 4,
        "used {cpu:?} of CPU in {wall:?}: the wait spins instead of sleeping"
    );
    assert!(lock.join("keep").exists());
}

#[cfg(target_os = "linux")]
#[test]
fn a_stale_lock_with_the_longest_file_name_is_taken_over_within_the_timeout() {
    // The old takeover renamed the stale file to `<name>.stale.<pid>.<n>`, which is too long here
    // (names are at most 255 bytes), and retried the failed rename at once, for ever.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c".repeat(255 - ".lockfile".len()));
    let lock = lock_path(&path);
    assert!(plant_stale_lock(&lock, a_dead_pid(), Duration::ZERO));
    let timeout = Duration::from_secs(2);
    let store = FileCacheStore::new(&path).lock_timeout(timeout);
    let started = Instant::now();
    let held = block_on(store.lock(&access())).unwrap();
    assert!(started.elapsed() < timeout);
    drop(held);
    assert!(!lock.exists());
}
