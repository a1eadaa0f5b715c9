//! [`RedisCacheStore`]: the `CacheStore` implementation.

use std::{
    borrow::Cow,
    collections::HashMap,
    fmt,
    hash::{BuildHasher, RandomState},
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use msal_cache::{AccessKind, CacheAccess, CacheError, CacheLock, CacheStore};
use redis::{Value as RedisValue, aio::ConnectionManager};
use sha1::{Digest, Sha1};

use crate::{
    RedisCacheStats,
    builder::{RedisCacheStoreBuilder, RedisTarget},
    health::{Failure, Health},
    l1::{Blob, L1},
    merge::{self, Doc},
};

/// Compare-and-set of one partition key, atomic inside Redis. The version is the SHA-1 of the
/// value itself (`""` for a missing key), so the stored value stays the plain cache JSON any tool
/// (or another MSAL) can read, and no second key or field is needed. A script rather than
/// WATCH/MULTI/EXEC because the store shares one multiplexed connection between concurrent
/// calls, and WATCH state belongs to a connection, not to a caller. On a mismatch it returns the
/// current value, saving the round trip the merge would otherwise need.
const COMPARE_AND_SET: &str = r"
local cur = redis.call('GET', KEYS[1])
local version = ''
if cur then version = redis.sha1hex(cur) end
if version ~= ARGV[1] then
  if cur then return {0, cur} end
  return {0}
end
if ARGV[3] ~= '0' then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return {1}
";

/// Writers of the same partition in this process queue on one of these; a fixed number keeps
/// memory flat with 100k partitions (two partitions sharing a stripe only wait for each other).
const LOCK_STRIPES: usize = 64;

/// A [`CacheStore`] that keeps each MSAL.NET cache partition under its own Redis key
/// (`{prefix}:{partition_key}`), so a fleet serving many tenants reads and writes only the
/// partition a call needs.
///
/// - **L1**: partitions are served from process memory for a short TTL (default 5 s) and
///   written through.
/// - **Concurrent instances**: a write is a compare-and-set on the key; if another instance
///   wrote the partition meanwhile, the two versions are merged (union of entries, the newer one
///   per entry key) and the write retried, so neither instance's tokens are lost.
/// - **Redis down or slow**: every Redis operation is bounded by the operation timeout, and a
///   failure is *not* returned to `TokenCache`: `load` answers `Ok(None)` (keep what is in
///   memory) and `save` answers `Ok(())` after updating the L1. Token acquisition therefore keeps
///   working from memory and the identity provider. Failures are logged at most once per
///   interval (see [`stats`](Self::stats) for counts), and the store reconnects by itself.
/// - **Corrupt values** are treated as an empty partition with a warning, and replaced by the
///   next write.
///
/// Cross-partition operations (`get_accounts`, AppMetadata lookups, `remove_tokens_for_client`)
/// use the partition key `""`, stored as `{prefix}:`; they see the accounts this process has
/// loaded, not every account in Redis.
///
/// Clones share one connection, L1 and set of counters.
///
/// ```no_run
/// use std::time::Duration;
/// use msal_cache::TokenCache;
/// use msal_cache_redis::RedisCacheStore;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let store = RedisCacheStore::builder("redis://127.0.0.1:6379")
///     .key_prefix("my-app")
///     .l1_ttl(Duration::from_secs(5))
///     .operation_timeout(Duration::from_millis(200))
///     .build()
///     .await?;
/// let cache = TokenCache::with_store(store.clone());
/// // ... ConfidentialClientApplication::builder(..).token_cache(cache) ...
/// # let _ = cache;
/// println!("{:?}", store.stats());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisCacheStore {
    pub(crate) inner: Arc<Inner>,
}

/// What this instance loaded under the lock before a write: the merge base.
#[derive(Debug)]
enum Base {
    /// Redis could not be read: nothing is known to have been deleted.
    Unknown,
    /// The raw value (before any corrupt-value substitution), `None` for a missing key.
    Known(Blob),
}

pub(crate) struct Inner {
    connection: ConnectionManager,
    prefix: String,
    l1: L1,
    timeout: Duration,
    key_ttl_ms: u64,
    max_merge_retries: u32,
    health: Health,
    compare_and_set: redis::Script,
    stripes: Vec<Arc<tokio::sync::Mutex<()>>>,
    stripe_hasher: RandomState,
    /// Merge bases of the writes in progress, by Redis key (each key has at most one writer in
    /// this process at a time, held by its stripe lock).
    bases: Mutex<HashMap<String, Base>>,
}

enum Cas {
    Written,
    Conflict(Option<String>),
}

impl RedisCacheStore {
    /// Starts building a store for Redis at `target`: a URL (`redis://[:password@]host:port/db`)
    /// or a [`redis::Client`].
    pub fn builder(target: impl Into<RedisTarget>) -> RedisCacheStoreBuilder {
        RedisCacheStoreBuilder::new(target.into())
    }

    /// The Redis key that holds a partition: `{prefix}:{partition_key}`.
    pub fn redis_key(&self, partition_key: &str) -> String {
        self.inner.key(partition_key)
    }

    /// Counters since the store was built.
    pub fn stats(&self) -> RedisCacheStats {
        self.inner.health.stats()
    }
}

impl fmt::Debug for RedisCacheStore {
    // The connection is left out: its settings may include the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("RedisCacheStore")
            .field("key_prefix", &inner.prefix)
            .field("l1_partitions", &inner.l1.len())
            .field("operation_timeout", &inner.timeout)
            .field("stats", &inner.health.stats())
            .finish_non_exhaustive()
    }
}

impl Inner {
    pub(crate) fn new(
        connection: ConnectionManager,
        prefix: String,
        l1: L1,
        timeout: Duration,
        key_ttl: Option<Duration>,
        max_merge_retries: u32,
        health: Health,
    ) -> Self {
        Self {
            connection,
            prefix,
            l1,
            timeout,
            key_ttl_ms: key_ttl.map_or(0, |t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
            max_merge_retries,
            health,
            compare_and_set: redis::Script::new(COMPARE_AND_SET),
            stripes: (0..LOCK_STRIPES).map(|_| Arc::default()).collect(),
            stripe_hasher: RandomState::new(),
            bases: Mutex::new(HashMap::new()),
        }
    }

    fn key(&self, partition_key: &str) -> String {
        format!("{}:{partition_key}", self.prefix)
    }

    fn bases(&self) -> std::sync::MutexGuard<'_, HashMap<String, Base>> {
        self.bases.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs one Redis operation within the operation timeout.
    async fn bounded<T>(
        &self,
        operation: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, Failure> {
        match tokio::time::timeout(self.timeout, operation).await {
            Ok(Ok(value)) => {
                self.health.success();
                Ok(value)
            }
            Ok(Err(e)) if e.is_timeout() => Err(Failure::Timeout),
            Ok(Err(e)) => Err(Failure::Redis(e.kind())),
            Err(_) => Err(Failure::Timeout),
        }
    }

    pub(crate) async fn ping(&self) {
        let mut connection = self.connection.clone();
        let ping = redis::cmd("PING");
        if let Err(failure) = self
            .bounded(ping.query_async::<RedisValue>(&mut connection))
            .await
        {
            self.health.failure("connect", failure);
        }
    }

    /// The raw value of a key.
    async fn fetch(&self, key: &str) -> Result<Blob, Failure> {
        let mut connection = self.connection.clone();
        let mut get = redis::cmd("GET");
        get.arg(key);
        let raw = self
            .bounded(get.query_async::<Option<Vec<u8>>>(&mut connection))
            .await?;
        self.health
            .redis_reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Bytes that are not UTF-8 are corrupt too; an empty string keeps `sanitize` warning.
        Ok(raw.map(|bytes| Arc::from(String::from_utf8(bytes).unwrap_or_else(|_| "\u{0}".into()))))
    }

    /// What `TokenCache` gets for a raw value: unreadable values become an empty partition.
    fn sanitize(&self, key: &str, raw: Blob) -> Blob {
        match raw {
            Some(blob) if !merge::is_readable(&blob) => {
                self.corrupt(key);
                Some(Arc::from(""))
            }
            other => other,
        }
    }

    fn corrupt(&self, key: &str) {
        self.health
            .corrupt_values
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::warn!(target: "msal_cache_redis", redis_key = %key,
            "the Redis value is not a readable token cache partition; treating it as empty \
             (the next write replaces it)");
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected: &str,
        value: &str,
    ) -> Result<Cas, Failure> {
        let mut connection = self.connection.clone();
        let mut invocation = self.compare_and_set.prepare_invoke();
        invocation
            .key(key)
            .arg(expected)
            .arg(value)
            .arg(self.key_ttl_ms);
        let reply = self
            .bounded(invocation.invoke_async::<RedisValue>(&mut connection))
            .await?;
        let RedisValue::Array(items) = reply else {
            return Err(Failure::UnexpectedReply);
        };
        match items.as_slice() {
            [RedisValue::Int(1)] => Ok(Cas::Written),
            [RedisValue::Int(0)] => Ok(Cas::Conflict(None)),
            [RedisValue::Int(0), RedisValue::BulkString(bytes)] => Ok(Cas::Conflict(Some(
                String::from_utf8(bytes.clone()).unwrap_or_default(),
            ))),
            _ => Err(Failure::UnexpectedReply),
        }
    }

    async fn save(&self, key: String, state: &str) {
        // Write-through first: even if Redis fails, this instance keeps reading its own write.
        self.l1.put(&key, Some(Arc::from(state)));
        let base = self.bases().remove(&key).unwrap_or(Base::Unknown);
        let mut expected = match &base {
            Base::Known(Some(raw)) => version(raw),
            Base::Known(None) => String::new(),
            // Matches no value, so the first attempt fetches the current one and merges.
            Base::Unknown => "?".into(),
        };
        let mut value = Cow::Borrowed(state);
        let mut docs: Option<(Option<Doc>, Doc)> = None;
        for attempt in 0..=self.max_merge_retries {
            match self.compare_and_set(&key, &expected, &value).await {
                Ok(Cas::Written) => {
                    self.health
                        .redis_writes
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if let Cow::Owned(merged) = value {
                        self.l1.put(&key, Some(Arc::from(merged)));
                    }
                    return;
                }
                Ok(Cas::Conflict(current)) => {
                    if attempt == self.max_merge_retries {
                        break;
                    }
                    self.health
                        .merges
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let (base_doc, ours) = docs.get_or_insert_with(|| {
                        let base_doc = match &base {
                            Base::Unknown => None,
                            Base::Known(None) => Some(Doc::new()),
                            Base::Known(Some(raw)) => Some(merge::parse(raw).unwrap_or_default()),
                        };
                        // `TokenCache` hands us its own serialization, which always parses.
                        (base_doc, merge::parse(state).unwrap_or_default())
                    });
                    let theirs = match current.as_deref().map(|c| (c, merge::parse(c))) {
                        None => Doc::new(),
                        Some((_, Some(doc))) => doc,
                        Some((_, None)) => {
                            self.corrupt(&key);
                            Doc::new()
                        }
                    };
                    expected = current.as_deref().map(version).unwrap_or_default();
                    let merged = merge::merge(base_doc.as_ref(), ours, &theirs);
                    value = Cow::Owned(
                        serde_json::to_string(&serde_json::Value::Object(merged))
                            .unwrap_or_else(|_| state.to_owned()),
                    );
                }
                Err(failure) => {
                    self.health.failure("save", failure);
                    return;
                }
            }
        }
        tracing::warn!(target: "msal_cache_redis", redis_key = %key,
            attempts = self.max_merge_retries + 1,
            "the partition kept changing under concurrent writers; this write stays in memory \
             and the L1 and reaches Redis with the next write");
    }
}

/// The compare-and-set version of a value: lowercase hex SHA-1, as Redis' `sha1hex` gives it.
fn version(value: &str) -> String {
    let digest = Sha1::digest(value.as_bytes());
    let mut hex = String::with_capacity(40);
    for byte in digest.iter() {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    hex
}

#[async_trait]
impl CacheStore for RedisCacheStore {
    async fn load(&self, access: &CacheAccess) -> Result<Option<String>, CacheError> {
        let inner = &self.inner;
        let key = inner.key(&access.partition_key);
        if access.kind == AccessKind::Read
            && let Some(blob) = inner.l1.get(&key)
        {
            inner
                .health
                .l1_hits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(blob.map(|b| b.to_string()));
        }
        // Writes always read Redis (under the lock): the freshest base means fewer merges.
        match inner.fetch(&key).await {
            Ok(raw) => {
                let blob = inner.sanitize(&key, raw.clone());
                inner.l1.put(&key, blob.clone());
                if access.kind == AccessKind::Write {
                    inner.bases().insert(key, Base::Known(raw));
                }
                // A missing key is `None`: what this process holds in memory stays (it may hold
                // tokens saved while Redis was down, or before Redis lost its data).
                Ok(blob.map(|b| b.to_string()))
            }
            Err(failure) => {
                inner.health.failure("load", failure);
                if access.kind == AccessKind::Write {
                    inner.bases().insert(key, Base::Unknown);
                }
                Ok(None)
            }
        }
    }

    async fn save(&self, access: &CacheAccess, state: &str) -> Result<(), CacheError> {
        self.inner
            .save(self.inner.key(&access.partition_key), state)
            .await;
        Ok(())
    }

    async fn lock(&self, access: &CacheAccess) -> Result<CacheLock, CacheError> {
        let inner = &self.inner;
        let stripe = inner.stripe_hasher.hash_one(&access.partition_key) as usize % LOCK_STRIPES;
        let Some(mutex) = inner.stripes.get(stripe) else {
            return Ok(CacheLock::none());
        };
        Ok(CacheLock::from_guard(mutex.clone().lock_owned().await))
    }

    fn partitioned(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::version;

    #[test]
    fn version_is_redis_sha1hex() {
        // redis-cli EVAL "return redis.sha1hex('abc')" 0
        assert_eq!(version("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }
}
