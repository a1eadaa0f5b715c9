//! Counters and the rate-limited outage log.
//!
//! When Redis is down every cache access fails the same way; one warning per interval (with how
//! many failures it stands for) keeps the log readable and cheap during an outage, and one info
//! line marks the recovery.

use std::{
    sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
    time::{Duration, Instant},
};

/// What the store has done since it was built: for dashboards and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisCacheStats {
    /// Reads answered by the in-process L1 without a Redis round trip.
    pub l1_hits: u64,
    /// Successful `GET`s of a partition key.
    pub redis_reads: u64,
    /// Successful writes of a partition key.
    pub redis_writes: u64,
    /// Writes that found the key changed by another instance and merged (one per retry).
    pub merges: u64,
    /// Redis operations that failed or timed out (the cache access itself went on without Redis).
    pub failures: u64,
    /// Warnings logged for those failures (at most one per failure-log interval).
    pub failure_warnings: u64,
    /// Values in Redis that were not a readable cache partition, treated as empty.
    pub corrupt_values: u64,
}

#[derive(Debug)]
pub(crate) struct Health {
    started: Instant,
    interval: Duration,
    /// Milliseconds since `started` of the last warning; `u64::MAX` before the first.
    last_warning_ms: AtomicU64,
    suppressed: AtomicU64,
    down: AtomicBool,
    pub(crate) l1_hits: AtomicU64,
    pub(crate) redis_reads: AtomicU64,
    pub(crate) redis_writes: AtomicU64,
    pub(crate) merges: AtomicU64,
    failures: AtomicU64,
    failure_warnings: AtomicU64,
    pub(crate) corrupt_values: AtomicU64,
}

/// Why a Redis operation failed, without anything the server or the URL said: error texts can
/// echo command arguments, and commands carry tokens.
#[expect(
    dead_code,
    reason = "the kind is read only through `Debug`, in the warning"
)]
#[derive(Debug, Clone, Copy)]
pub(crate) enum Failure {
    Timeout,
    Redis(redis::ErrorKind),
    UnexpectedReply,
}

impl Health {
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            started: Instant::now(),
            interval,
            last_warning_ms: AtomicU64::new(u64::MAX),
            suppressed: AtomicU64::new(0),
            down: AtomicBool::new(false),
            l1_hits: AtomicU64::new(0),
            redis_reads: AtomicU64::new(0),
            redis_writes: AtomicU64::new(0),
            merges: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            failure_warnings: AtomicU64::new(0),
            corrupt_values: AtomicU64::new(0),
        }
    }

    pub(crate) fn stats(&self) -> RedisCacheStats {
        RedisCacheStats {
            l1_hits: self.l1_hits.load(Relaxed),
            redis_reads: self.redis_reads.load(Relaxed),
            redis_writes: self.redis_writes.load(Relaxed),
            merges: self.merges.load(Relaxed),
            failures: self.failures.load(Relaxed),
            failure_warnings: self.failure_warnings.load(Relaxed),
            corrupt_values: self.corrupt_values.load(Relaxed),
        }
    }

    /// Records a failed operation; logs a warning if none was logged within the interval.
    pub(crate) fn failure(&self, operation: &'static str, failure: Failure) {
        self.failures.fetch_add(1, Relaxed);
        self.down.store(true, Relaxed);
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        let last = self.last_warning_ms.load(Relaxed);
        let due = last == u64::MAX
            || now.saturating_sub(last) >= u64::try_from(self.interval.as_millis()).unwrap_or(0);
        // The compare-exchange makes exactly one of several concurrent failures log.
        if due
            && self
                .last_warning_ms
                .compare_exchange(last, now, Relaxed, Relaxed)
                .is_ok()
        {
            self.failure_warnings.fetch_add(1, Relaxed);
            let suppressed = self.suppressed.swap(0, Relaxed);
            tracing::warn!(target: "msal_cache_redis", operation, reason = ?failure,
                suppressed_since_last_warning = suppressed,
                interval_secs = self.interval.as_secs(),
                "Redis token cache unavailable; serving from memory and the identity provider \
                 (further failures are logged at most once per interval)");
        } else {
            self.suppressed.fetch_add(1, Relaxed);
        }
    }

    /// Records a successful round trip; logs the recovery after an outage.
    pub(crate) fn success(&self) {
        if self.down.load(Relaxed) && self.down.swap(false, Relaxed) {
            tracing::info!(target: "msal_cache_redis", "Redis token cache reachable again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_warning_per_interval() {
        let health = Health::new(Duration::from_secs(3600));
        for _ in 0..10 {
            health.failure("load", Failure::Timeout);
        }
        let stats = health.stats();
        assert_eq!((stats.failures, stats.failure_warnings), (10, 1));
        health.success();
        assert!(!health.down.load(Relaxed));

        let health = Health::new(Duration::ZERO);
        health.failure("load", Failure::UnexpectedReply);
        health.failure("save", Failure::Redis(redis::ErrorKind::Io));
        assert_eq!(health.stats().failure_warnings, 2);
    }
}
