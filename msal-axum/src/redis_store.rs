//! [`RedisSessionStore`]: sessions in Redis, for apps with several instances.

use std::{fmt, time::Duration};

use redis::{
    AsyncCommands as _, SetExpiry, SetOptions,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use sha2::{Digest, Sha256};
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store,
};

/// How long one Redis operation may take before the request fails (503) instead of hanging.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// A [`SessionStore`] in Redis, so every instance of an app reads the sessions any of them
/// wrote: a user signed in through one instance is signed in on all.
///
/// One key per session, `<prefix>:<SHA-256 of the session id>`: the id itself (the cookie's
/// value) is never stored, so read access to Redis does not let anyone take over a session.
/// Keys expire with their sessions. Uses the same `redis` client as `msal-cache-redis`, so the
/// token cache and the sessions can share a server.
#[derive(Clone)]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub struct RedisSessionStore {
    connection: ConnectionManager,
    prefix: String,
}

impl fmt::Debug for RedisSessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSessionStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisSessionStore {
    /// A store at `url` (`redis://host:port/db`; `rediss://` needs the `redis` crate's TLS
    /// features). Connects lazily: a Redis that is down fails requests, not startup.
    pub fn new(url: &str) -> Result<Self, redis::RedisError> {
        Self::from_client(redis::Client::open(url)?)
    }

    /// A store over an existing client.
    pub fn from_client(client: redis::Client) -> Result<Self, redis::RedisError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(DEFAULT_TIMEOUT))
            .set_response_timeout(Some(DEFAULT_TIMEOUT))
            .set_number_of_retries(1);
        Ok(Self {
            connection: ConnectionManager::new_lazy_with_config(client, config)?,
            prefix: "msal-axum:session".into(),
        })
    }

    /// The prefix of the store's keys; default `msal-axum:session`.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    fn key(&self, id: &Id) -> String {
        let digest = Sha256::digest(id.to_string().as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}:{hex}", self.prefix)
    }

    /// Writes `record` until its expiry; with `only_new`, only if no session has its id.
    /// `Ok(false)` when `only_new` found the id taken.
    async fn write(&self, record: &Record, only_new: bool) -> session_store::Result<bool> {
        let key = self.key(&record.id);
        let expires_at = record.expiry_date.unix_timestamp();
        if expires_at <= time::OffsetDateTime::now_utc().unix_timestamp() {
            // Already over: a key written now would be visible until Redis expires it.
            self.delete(&record.id).await?;
            return Ok(true);
        }
        let value =
            serde_json::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let mut options = SetOptions::default().with_expiration(SetExpiry::EXAT(
            u64::try_from(expires_at).unwrap_or(u64::MAX),
        ));
        if only_new {
            options = options.conditional_set(redis::ExistenceCheck::NX);
        }
        let mut connection = self.connection.clone();
        let written: Option<String> = connection
            .set_options(key, value, options)
            .await
            .map_err(backend)?;
        Ok(written.is_some())
    }
}

fn backend(e: redis::RedisError) -> session_store::Error {
    // The error's kind and message name the failure, never a key or a value.
    session_store::Error::Backend(format!("redis: {e}"))
}

#[async_trait::async_trait]
impl SessionStore for RedisSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A 128-bit random id collides essentially never, but a collision must not hand one
        // user's session to another: draw again.
        while !self.write(record, true).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(record, false).await.map(drop)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let mut connection = self.connection.clone();
        let raw: Option<Vec<u8>> = connection.get(self.key(id)).await.map_err(backend)?;
        raw.map(|bytes| {
            serde_json::from_slice(&bytes).map_err(|e| session_store::Error::Decode(e.to_string()))
        })
        .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let mut connection = self.connection.clone();
        let _: i64 = connection.del(self.key(id)).await.map_err(backend)?;
        Ok(())
    }
}
