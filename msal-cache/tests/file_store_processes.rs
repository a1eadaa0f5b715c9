//! `FileCacheStore` shared by 8 processes writing 200 tokens each at the same time: the file
//! ends with all 1,600, and no process ever reads a half-written file.
//!
//! The test re-executes its own binary as the children: `writer_process` is `#[ignore]`d, so a
//! normal run lists it as ignored, and `eight_processes_share_one_file` runs it with
//! `--ignored --exact` and `MSAL_CACHE_WRITER` set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
#![cfg(feature = "file")]

mod support;

use std::{
    path::PathBuf,
    process::{Command, Stdio},
    time::Duration,
};

use msal_cache::{CredentialType, FileCacheStore, TokenCache};

const PROCESSES: usize = 8;
const TOKENS_PER_PROCESS: usize = 200;

#[test]
#[ignore = "child process of eight_processes_share_one_file, which runs it with --ignored --exact"]
fn writer_process() {
    let spec = std::env::var("MSAL_CACHE_WRITER").unwrap_or_else(|_| {
        panic!(
            "writer_process is run by eight_processes_share_one_file, with MSAL_CACHE_WRITER set"
        )
    });
    let (path, me) = spec.split_once('|').unwrap();
    let path = PathBuf::from(path);
    let cache =
        TokenCache::with_store(FileCacheStore::new(&path).lock_timeout(Duration::from_secs(60)));
    let mut torn_reads = 0;
    for i in 0..TOKENS_PER_PROCESS {
        let realm = format!("tenant-{me}-{i}");
        let secret = format!("at-{me}-{i}");
        block_on(support::add_app_token(
            &cache,
            "login.example",
            &realm,
            &secret,
        ))
        .unwrap();
        // Read the file behind the store's back, without the lock: it must always be whole.
        let text = std::fs::read_to_string(&path).unwrap();
        if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_err() {
            torn_reads += 1;
        }
    }
    assert_eq!(torn_reads, 0, "process {me} read a half-written cache file");
}

#[test]
fn eight_processes_share_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared_cache.json");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|me| {
            Command::new(&exe)
                .args([
                    "writer_process",
                    "--exact",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("MSAL_CACHE_WRITER", format!("{}|{me}", path.display()))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a writer process failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let cache = TokenCache::new();
    cache
        .deserialize(&std::fs::read_to_string(&path).unwrap())
        .unwrap();
    assert_eq!(
        cache.count(CredentialType::AccessToken),
        PROCESSES * TOKENS_PER_PROCESS
    );
    assert_eq!(cache.count(CredentialType::AppMetadata), 1);
    // Every lock file was released and no temp file was left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["shared_cache.json"], "{names:?}");
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
