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

/// The operating system's wall clock: [`SystemTime::now`].
#[derive(Debug, Clone, Copy, Default)]
#[expect(clippy::exhaustive_structs, reason = "a unit value apps name directly")]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// The operating system's wall clock at the resolution of the kernel's tick: what an app reads
/// when it is given no clock.
///
/// On Linux and Android this is `CLOCK_REALTIME_COARSE`, the time of the last timer tick, read
/// without the hardware counter: 8 ns against [`SystemClock`]'s 24 on a KVM guest, and a
/// memoised cache hit reads the clock once (it was a quarter of such a hit). It lags the
/// precise clock by up to a tick (1 to 10 ms by the kernel's `HZ`; longer only on a CPU the
/// kernel runs tickless) and is never ahead of it. The times the library keeps have seconds of
/// slack (a token is not handed out in the last five minutes before it expires; assertions,
/// throttling windows and retry delays are in seconds), so a tick is lost in them. Elsewhere,
/// or if the kernel refuses the coarse clock (a sandbox filtering clock ids), this is
/// [`SystemTime::now`].
#[derive(Debug, Clone, Copy, Default)]
#[expect(clippy::exhaustive_structs, reason = "a unit value apps name directly")]
pub struct CoarseClock;

impl Clock for CoarseClock {
    fn now(&self) -> SystemTime {
        coarse_now()
    }
}

/// `CLOCK_REALTIME_COARSE` (see [`CoarseClock`]), through rustix's fallible call: an error (no
/// such clock where a seccomp filter allows only some) or a time before 1970 falls back to the
/// precise clock.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn coarse_now() -> SystemTime {
    use rustix::time::{ClockId, DynamicClockId, clock_gettime_dynamic};
    match clock_gettime_dynamic(DynamicClockId::Known(ClockId::RealtimeCoarse))
        .map(|ts| (u64::try_from(ts.tv_sec), u32::try_from(ts.tv_nsec)))
    {
        Ok((Ok(secs), Ok(nanos))) if nanos < 1_000_000_000 => {
            UNIX_EPOCH + Duration::new(secs, nanos)
        }
        _ => SystemTime::now(),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn coarse_now() -> SystemTime {
    SystemTime::now()
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
    fn the_coarse_clock_is_never_ahead_of_the_precise_one_nor_seconds_behind() {
        for _ in 0..1_000 {
            let before = SystemTime::now();
            let coarse = CoarseClock.now();
            let after = SystemTime::now();
            // Ahead of the precise clock would let a token live past its expiry.
            assert!(coarse <= after, "{coarse:?} is ahead of {after:?}");
            // A tick is 1 to 10 ms; a tickless CPU may skip ticks, but not for seconds.
            let lag = before.duration_since(coarse).unwrap_or_default();
            assert!(lag < Duration::from_secs(2), "lags by {lag:?}");
        }
    }

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
