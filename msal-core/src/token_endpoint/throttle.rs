//! Throttling state (MSAL Python's `msal/throttled_http_client.py`): never send a request the service already told us to hold.
//!
//! Two rules, as MSAL Python applies them:
//! - **Retry-After**: a 429 or 5xx (or any answer with `Retry-After`) blocks requests for the same
//!   (endpoint, client, scope, account) until the time passes, whatever else differs. The caller
//!   gets [`Error::Throttled`](crate::Error::Throttled) with the answer that started it. The hold is capped at an hour and
//!   defaults to 60 s when the service gave no `Retry-After`.
//! - **UI required**: a plain 400 (say `invalid_grant` for a revoked refresh token) is replayed for
//!   60 s to the byte-identical request, so a loop calling `acquire_token_silent` cannot hammer
//!   the service. Device-code polling is exempt: `authorization_pending` is its normal answer.
//!
//! Keys are SHA-256 digests, so the state holds no tokens or codes and can be shared between
//! applications (`HttpCache` is `Clone`; clones share state). Each key contains the client id,
//! so one app's throttle never blocks another app.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use sha2::{Digest, Sha256};

use crate::ServiceError;

/// The most entries kept; when full, the entry expiring soonest is dropped (MSAL Python's 1024).
const CAPACITY: usize = 1024;
/// The longest hold a `Retry-After` can impose.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// The hold after a 429/5xx without `Retry-After`.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How long a 400 is replayed to the identical request.
pub const UI_REQUIRED_HOLD: Duration = Duration::from_secs(60);

/// A throttle key: a digest of the request's identifying parts.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ThrottleKey([u8; 32]);

impl fmt::Debug for ThrottleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ThrottleKey({:02x}{:02x}{:02x}{:02x}…)",
            self.0[0], self.0[1], self.0[2], self.0[3]
        )
    }
}

impl ThrottleKey {
    /// A key from ordered parts. Each part is length-prefixed so `("ab","c")` and `("a","bc")` differ.
    pub fn from_parts<'a>(parts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut h = Sha256::new();
        for p in parts {
            h.update((p.len() as u64).to_be_bytes());
            h.update(p.as_bytes());
        }
        Self(h.finalize().into())
    }
}

/// What a throttled request gets instead of a network call.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ThrottledAnswer {
    /// Held by Retry-After / 429 / 5xx: report [`Error::Throttled`](crate::Error::Throttled).
    RetryAfter(Box<ServiceError>),
    /// Replay this (error) response as if it had just arrived.
    Replay {
        /// Status of the stored answer.
        status: http::StatusCode,
        /// Its `Content-Type`.
        content_type: Option<String>,
        /// Its body (an error body: no tokens).
        body: Vec<u8>,
    },
}

#[derive(Debug)]
struct Entry {
    expires_at: SystemTime,
    answer: ThrottledAnswer,
}

/// Throttling state shared by the requests of one or more applications (Python's `http_cache`).
#[derive(Clone, Default)]
pub struct HttpCache {
    inner: Arc<Mutex<HashMap<ThrottleKey, Entry>>>,
}

impl fmt::Debug for HttpCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpCache")
            .field("entries", &self.len())
            .finish()
    }
}

impl HttpCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<ThrottleKey, Entry>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Number of entries, expired ones included until they are next touched.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The answer stored under `key` and how long it still holds, if it holds at `now`.
    pub fn get(&self, key: &ThrottleKey, now: SystemTime) -> Option<(Duration, ThrottledAnswer)> {
        let mut map = self.map();
        let remaining = map
            .get(key)?
            .expires_at
            .duration_since(now)
            .ok()
            .filter(|d| !d.is_zero());
        match remaining {
            Some(d) => map.get(key).map(|e| (d, e.answer.clone())),
            None => {
                map.remove(key);
                None
            }
        }
    }

    /// Stores `answer` under `key` for `ttl` from `now`.
    pub fn insert(
        &self,
        key: ThrottleKey,
        answer: ThrottledAnswer,
        now: SystemTime,
        ttl: Duration,
    ) {
        if ttl.is_zero() {
            return;
        }
        let mut map = self.map();
        if map.len() >= CAPACITY && !map.contains_key(&key) {
            map.retain(|_, e| e.expires_at > now);
            if map.len() >= CAPACITY
                && let Some(k) = map
                    .iter()
                    .min_by_key(|(_, e)| e.expires_at)
                    .map(|(k, _)| k.clone())
            {
                map.remove(&k);
            }
        }
        map.insert(
            key,
            Entry {
                expires_at: now + ttl,
                answer,
            },
        );
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.map().clear();
    }
}

/// Parses `Retry-After`: delay-seconds or an HTTP date (relative to `now`).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::from_unix_secs;

    #[test]
    fn entries_expire_and_capacity_is_bounded() {
        let c = HttpCache::new();
        let now = from_unix_secs(1000);
        let k = ThrottleKey::from_parts(["a", "b"]);
        c.insert(
            k.clone(),
            ThrottledAnswer::RetryAfter(Box::new(ServiceError::new("x"))),
            now,
            Duration::from_secs(5),
        );
        assert_eq!(
            c.get(&k, now + Duration::from_secs(4)).map(|(d, _)| d),
            Some(Duration::from_secs(1))
        );
        assert!(c.get(&k, now + Duration::from_secs(5)).is_none());
        assert!(c.is_empty());
        for i in 0..(CAPACITY + 10) {
            let s = i.to_string();
            c.insert(
                ThrottleKey::from_parts([s.as_str()]),
                ThrottledAnswer::RetryAfter(Box::new(ServiceError::new("x"))),
                now,
                Duration::from_secs(60 + i as u64),
            );
        }
        assert_eq!(c.len(), CAPACITY);
        assert_ne!(
            ThrottleKey::from_parts(["ab", "c"]),
            ThrottleKey::from_parts(["a", "bc"])
        );
    }

    #[test]
    fn retry_after_forms() {
        let now = from_unix_secs(1_795_670_000);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
