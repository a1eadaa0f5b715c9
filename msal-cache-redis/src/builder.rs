//! [`RedisCacheStoreBuilder`]: where Redis is and how the store behaves.

use std::{fmt, sync::Arc, time::Duration};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::{
    health::Health,
    l1::L1,
    store::{Inner, RedisCacheStore},
};

/// Where Redis is: a URL (`redis://host:6379/0`, `rediss://...` with the `tls-rustls` feature) or
/// a ready [`redis::Client`]. Its `Debug` never shows the URL, which may hold a password.
pub struct RedisTarget(Target);

enum Target {
    Url(String),
    Client(Box<redis::Client>),
}

impl From<&str> for RedisTarget {
    fn from(url: &str) -> Self {
        Self(Target::Url(url.to_owned()))
    }
}

impl From<String> for RedisTarget {
    fn from(url: String) -> Self {
        Self(Target::Url(url))
    }
}

impl From<&String> for RedisTarget {
    fn from(url: &String) -> Self {
        Self(Target::Url(url.clone()))
    }
}

impl From<redis::Client> for RedisTarget {
    fn from(client: redis::Client) -> Self {
        Self(Target::Client(Box::new(client)))
    }
}

impl fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Target::Url(_) => "RedisTarget(url: <redacted>)",
            Target::Client(_) => "RedisTarget(client)",
        })
    }
}

/// Why a [`RedisCacheStore`] could not be built. An unreachable Redis is not one of them: the
/// store connects lazily and works without Redis until it comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedisStoreError {
    /// The URL is not a Redis URL this build supports (`rediss://` needs the `tls-rustls`
    /// feature). The URL itself is left out: it may hold a password.
    InvalidUrl,
    /// The Redis client refused the connection settings.
    Config(String),
}

impl fmt::Display for RedisStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl => f.write_str(
                "invalid Redis URL (expected redis://, or rediss:// with the tls-rustls feature)",
            ),
            Self::Config(why) => write!(f, "invalid Redis connection settings: {why}"),
        }
    }
}

impl std::error::Error for RedisStoreError {}

/// Builds a [`RedisCacheStore`]; see [`RedisCacheStore::builder`].
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is awaited"]
pub struct RedisCacheStoreBuilder {
    target: RedisTarget,
    key_prefix: String,
    l1_ttl: Duration,
    l1_capacity: usize,
    operation_timeout: Duration,
    key_ttl: Option<Duration>,
    max_merge_retries: u32,
    failure_log_interval: Duration,
}

impl RedisCacheStoreBuilder {
    pub(crate) fn new(target: RedisTarget) -> Self {
        Self {
            target,
            key_prefix: "msal".into(),
            l1_ttl: Duration::from_secs(5),
            l1_capacity: 10_000,
            operation_timeout: Duration::from_millis(500),
            key_ttl: None,
            max_merge_retries: 5,
            failure_log_interval: Duration::from_secs(60),
        }
    }

    /// Keys are `{prefix}:{partition_key}` (default prefix `msal`). Give each application or
    /// environment sharing a Redis its own prefix.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// How long a partition read from or written to Redis is served from process memory
    /// (default 5 s; zero turns the L1 off). Another instance's write can be missed for this
    /// long, which costs at most an extra token request.
    pub fn l1_ttl(mut self, ttl: Duration) -> Self {
        self.l1_ttl = ttl;
        self
    }

    /// How many partitions the L1 keeps at most (default 10 000).
    pub fn l1_capacity(mut self, partitions: usize) -> Self {
        self.l1_capacity = partitions;
        self
    }

    /// The longest any Redis operation (connect included) may take before the store gives up on
    /// it and the token call goes on without Redis (default 500 ms).
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }

    /// Lets Redis expire a partition that has not been written for this long (default: never).
    /// Choose it longer than your refresh tokens live, or users will have to sign in again.
    pub fn key_ttl(mut self, ttl: Duration) -> Self {
        self.key_ttl = Some(ttl).filter(|t| !t.is_zero());
        self
    }

    /// How many times a write merges with another instance's concurrent write and tries again
    /// before giving up on Redis for that write (default 5).
    pub fn max_merge_retries(mut self, retries: u32) -> Self {
        self.max_merge_retries = retries;
        self
    }

    /// During an outage, at most one warning per this interval (default 60 s).
    pub fn failure_log_interval(mut self, interval: Duration) -> Self {
        self.failure_log_interval = interval;
        self
    }

    /// Builds the store and tries one `PING` within the operation timeout. Redis being down is
    /// logged, not an error: the store reconnects by itself when Redis is back. Must be called
    /// within a Tokio runtime.
    pub async fn build(self) -> Result<RedisCacheStore, RedisStoreError> {
        let client = match self.target.0 {
            Target::Client(client) => *client,
            Target::Url(url) => {
                redis::Client::open(url).map_err(|_| RedisStoreError::InvalidUrl)?
            }
        };
        let timeout = self.operation_timeout;
        // Few, short reconnect attempts: during an outage a caller waits at most one operation
        // timeout anyway, and the next call starts a new attempt.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(20))
            .set_max_delay(timeout);
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| RedisStoreError::Config(format!("{:?}", e.kind())))?;
        let store = RedisCacheStore {
            inner: Arc::new(Inner::new(
                connection,
                self.key_prefix,
                L1::new(self.l1_ttl, self.l1_capacity),
                timeout,
                self.key_ttl,
                self.max_merge_retries,
                Health::new(self.failure_log_interval),
            )),
        };
        store.inner.ping().await;
        Ok(store)
    }
}
