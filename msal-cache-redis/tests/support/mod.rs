//! A throwaway `redis-server` per test, an emulator, and apps wired to a Redis store.
#![allow(dead_code, unreachable_pub)]

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use msal::{
    ClientCredential, ConfidentialClientApplication, TokenCache, authority::DiscoveryCache,
    http::ReqwestClient,
};
use msal_cache_redis::RedisCacheStore;
pub use msal_emulator::{Emulator, EmulatorConfig, ids};

/// A `redis-server` on 127.0.0.1 in a temp dir, without persistence; killed on drop.
pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
}

/// Starts a server, or returns `None` (after a loud SKIPPED line) when `redis-server` is not
/// installed, unless `MSAL_REQUIRE_REDIS=1`, where a missing server fails the test.
pub fn redis(test: &str) -> Option<RedisServer> {
    if !msal_test_support::program_runs("redis-server") {
        msal_test_support::skip_or_fail(
            test,
            "redis-server",
            "apt-get install redis-server",
            "MSAL_REQUIRE_REDIS",
        );
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let mut server = RedisServer {
        child: None,
        port,
        dir: tempfile::tempdir().expect("temp dir"),
    };
    server.start();
    Some(server)
}

impl RedisServer {
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// (Re)starts the server on the same port, empty.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.command(&["PING"]).as_deref() != Some("+PONG") {
            assert!(Instant::now() < deadline, "redis-server did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server (SIGKILL: no goodbye to clients) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// One command over a fresh connection; the first line of the reply (RESP), or `None` if the
    /// server is not reachable.
    pub fn command(&self, args: &[&str]) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        stream.write_all(req.as_bytes()).ok()?;
        let mut buf = vec![0u8; 1 << 20];
        let mut got = Vec::new();
        loop {
            let n = stream.read(&mut buf).ok()?;
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            if reply_complete(&got) {
                break;
            }
        }
        let text = String::from_utf8_lossy(&got).into_owned();
        Some(text.trim_end_matches("\r\n").to_owned())
    }

    /// The value of a key, if it exists.
    pub fn get(&self, key: &str) -> Option<String> {
        let reply = self.command(&["GET", key])?;
        if reply.starts_with("$-1") {
            return None;
        }
        // "$<len>\r\n<value>"
        reply.split_once("\r\n").map(|(_, v)| v.to_owned())
    }

    pub fn set(&self, key: &str, value: &str) {
        assert_eq!(self.command(&["SET", key, value]).as_deref(), Some("+OK"));
    }
}

fn reply_complete(got: &[u8]) -> bool {
    let Some(end) = got.windows(2).position(|w| w == b"\r\n") else {
        return false;
    };
    match got.first() {
        Some(b'$') => {
            let len: i64 = std::str::from_utf8(&got[1..end])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(-1);
            len < 0 || got.len() >= end + 2 + len as usize + 2
        }
        _ => true,
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

pub async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

pub fn http(emu: &Emulator) -> ReqwestClient {
    ReqwestClient::builder()
        .add_root_certificate_pem(emu.ca_pem().as_bytes())
        .unwrap()
        .no_proxy()
        .build()
        .unwrap()
}

/// A store with a short operation timeout, so outage tests stay fast.
pub async fn store(url: &str) -> RedisCacheStore {
    RedisCacheStore::builder(url)
        .key_prefix("test")
        .operation_timeout(Duration::from_millis(300))
        .failure_log_interval(Duration::from_secs(3600))
        .build()
        .await
        .unwrap()
}

/// One app instance (a process in production) with its own Redis-backed cache.
pub fn app(emu: &Emulator, store: &RedisCacheStore) -> ConfidentialClientApplication {
    ConfidentialClientApplication::builder(
        ids::CONFIDENTIAL_CLIENT_ID,
        ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
    .authority(emu.authority())
    .unwrap()
    .known_authorities(["127.0.0.1"])
    .http_client(http(emu))
    .discovery_cache(DiscoveryCache::new())
    .token_cache(TokenCache::with_store(store.clone()))
    .build()
    .unwrap()
}

/// The app-token partition of the emulator's tenant.
pub fn app_partition() -> String {
    msal_cache::keys::app_partition_key(ids::CONFIDENTIAL_CLIENT_ID, ids::TENANT_ID)
}

/// How many access tokens a stored partition holds.
pub fn access_tokens_in(blob: &str) -> usize {
    let v: serde_json::Value = serde_json::from_str(blob).expect("valid JSON in Redis");
    v["AccessToken"].as_object().map_or(0, |m| m.len())
}

pub fn scope(i: usize) -> String {
    format!("https://api{i}.fake-entra.invalid/.default")
}
