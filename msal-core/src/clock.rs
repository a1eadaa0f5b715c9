//! Time, injected.
//!
//! Token expiry, throttling windows and assertion lifetimes all depend on "now". Reading the
//! system clock directly would make those rules untestable, so every component takes a [`Clock`]
//! (the pattern of aws-smithy-async's `TimeSource`). Tests use [`ManualClock`].

use std::{
    fmt,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// A source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

impl<T: Clock + ?Sized> Clock for Arc<T> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
#[expect(clippy::exhaustive_structs, reason = "a unit value apps name directly")]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told to. Clones share one time.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use msal_core::{Clock, ManualClock};
///
/// let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_795_670_000));
/// let shared = clock.clone();
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(shared.now(), UNIX_EPOCH + Duration::from_secs(1_795_670_060));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<SystemTime>>,
}

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: SystemTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(now)),
        }
    }

    /// A clock showing `secs` seconds after the Unix epoch.
    pub fn from_unix_secs(secs: u64) -> Self {
        Self::new(from_unix_secs(secs))
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }

    /// Sets the time.
    pub fn set(&self, to: SystemTime) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Whole seconds since the Unix epoch (0 for times before it).
pub fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The last second of year 9999: the latest time [`from_unix_secs`] returns.
pub const MAX_UNIX_SECS: u64 = 253_402_300_799;

/// The time `secs` seconds after the Unix epoch, saturating at the end of year 9999: times come
/// from responses and cache files, and an out-of-range one must not panic.
pub fn from_unix_secs(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs.min(MAX_UNIX_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::from_unix_secs(100);
        assert_eq!(unix_secs(c.now()), 100);
        c.advance(Duration::from_secs(5));
        assert_eq!(unix_secs(c.now()), 105);
        c.set(from_unix_secs(7));
        assert_eq!(unix_secs(c.clone().now()), 7);
        assert!(SystemClock.now() > from_unix_secs(1_700_000_000));
        // Out-of-range times from a response or a cache file saturate instead of panicking.
        assert_eq!(unix_secs(from_unix_secs(u64::MAX)), MAX_UNIX_SECS);
    }
}
