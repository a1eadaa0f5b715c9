//! When a cached access token may be used: the one freshness rule every flow applies.
//!
//! MSAL treats an access token as expired five minutes before its `expires_on`, so a token
//! handed to a caller still has time to reach the resource and be checked there despite clock
//! skew (MSAL Python's `acquire_token_silent_with_error`, MSAL.NET's
//! `AccessTokenExpirationBuffer`). A token past its `refresh_on` (managed identity, and Entra's
//! `refresh_in`) is still valid but due for a proactive refresh: the flow asks for a new one and,
//! if that fails for a transient reason, still answers with this one (see [`crate::acquire`]).

use std::time::{Duration, SystemTime};

use msal_core::token_endpoint::telemetry::CacheInfo;

use crate::CachedAccessToken;

/// How long before `expires_on` an access token stops being handed out.
pub const EXPIRY_BUFFER: Duration = Duration::from_secs(300);

/// [`EXPIRY_BUFFER`] in seconds.
#[deprecated(note = "use `msal_cache::EXPIRY_BUFFER` or `Freshness::of`")]
pub const EXPIRY_SKEW_SECS: u64 = EXPIRY_BUFFER.as_secs();

/// Whether a cached access token can answer a request now.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Usable, and no refresh is due.
    Fresh,
    /// Still usable, but past `refresh_on`: refresh it, and fall back to it if the refresh
    /// fails for a transient reason.
    RefreshDue,
    /// Within [`EXPIRY_BUFFER`] of expiry, or past it: never handed out.
    Expired,
}

impl Freshness {
    /// The freshness at `now` of a token expiring at `expires_on`, due for refresh at
    /// `refresh_on` (the rule is [`FreshWindow::at`]).
    #[inline]
    pub fn of(expires_on: SystemTime, refresh_on: Option<SystemTime>, now: SystemTime) -> Self {
        FreshWindow::of(expires_on, refresh_on).at(now)
    }

    /// Why a request went to the network, as server telemetry reports it; `None` when fresh.
    pub fn cache_info(self) -> Option<CacheInfo> {
        match self {
            Self::Fresh => None,
            Self::RefreshDue => Some(CacheInfo::ProactivelyRefreshed),
            Self::Expired => Some(CacheInfo::CachedAccessTokenExpired),
        }
    }
}

/// When a token is [`Fresh`](Freshness::Fresh), due for refresh or expired: the freshness rule,
/// with its arithmetic done once, so that a caller that checks one token on every call (the
/// facade's memo of the last hit) makes two comparisons and no more. [`Freshness::of`] is the
/// same rule for a token checked once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreshWindow {
    /// From here on the token is expired (`expires_on - EXPIRY_BUFFER`; `None`: always).
    expired_from: Option<SystemTime>,
    /// Fresh through this instant, due for refresh after it.
    refresh_on: Option<SystemTime>,
}

impl FreshWindow {
    /// The window of a token expiring at `expires_on`, due for refresh at `refresh_on`.
    pub fn of(expires_on: SystemTime, refresh_on: Option<SystemTime>) -> Self {
        Self {
            expired_from: expires_on.checked_sub(EXPIRY_BUFFER),
            refresh_on,
        }
    }

    /// The token's [`Freshness`] at `now`: expired from `expires_on - EXPIRY_BUFFER` on (at
    /// once, for a token that expires within the buffer of 1970), and due for refresh after
    /// `refresh_on`. Expiry wins: an expiring token is never a fallback.
    #[inline]
    pub fn at(&self, now: SystemTime) -> Freshness {
        if self.expired_from.is_none_or(|from| from <= now) {
            Freshness::Expired
        } else if self.refresh_on.is_some_and(|refresh| refresh < now) {
            Freshness::RefreshDue
        } else {
            Freshness::Fresh
        }
    }

    /// Whether the token is [`Fresh`](Freshness::Fresh) at `now`.
    #[inline]
    pub fn contains(&self, now: SystemTime) -> bool {
        self.at(now) == Freshness::Fresh
    }
}

impl CachedAccessToken {
    /// This token's [`Freshness`] at `now`.
    #[inline]
    pub fn freshness(&self, now: SystemTime) -> Freshness {
        Freshness::of(self.expires_on(), self.refresh_on(), now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn expired_five_minutes_early_and_refresh_due_after_refresh_on() {
        assert_eq!(Freshness::of(t(1000), None, t(699)), Freshness::Fresh);
        assert_eq!(Freshness::of(t(1000), None, t(700)), Freshness::Expired);
        assert_eq!(
            Freshness::of(t(10_000), Some(t(500)), t(500)),
            Freshness::Fresh
        );
        assert_eq!(
            Freshness::of(t(10_000), Some(t(500)), t(501)),
            Freshness::RefreshDue
        );
        // Expiry wins over a due refresh: an expiring token is never a fallback.
        assert_eq!(
            Freshness::of(t(1000), Some(t(500)), t(800)),
            Freshness::Expired
        );
    }

    proptest::proptest! {
        #[test]
        fn the_window_agrees_with_the_rule_at_and_around_both_edges(
            expires in 0u64..4_000,
            refresh in proptest::option::of(0u64..4_000),
            edge in 0u8..3,
            anywhere in 0u64..4_000,
            micros in -2i64..=2,
        ) {
            // `now` on the expiry edge, on the refresh edge, or anywhere, give or take a
            // microsecond or two (a step every platform's `SystemTime` can take; Windows counts
            // 100 ns): the comparisons' strictness is what this checks.
            let base = match edge {
                0 => expires.saturating_sub(300),
                1 => refresh.unwrap_or(anywhere),
                _ => anywhere,
            };
            let step = Duration::from_micros(micros.unsigned_abs());
            let now = if micros < 0 { t(base) - step } else { t(base) + step };
            let (expires_on, refresh_on) = (t(expires), refresh.map(t));
            // The rule as MSAL states it, in its own arithmetic: expired within the buffer of
            // `expires_on`, then due for refresh past `refresh_on`.
            let stated = if expires_on <= now + EXPIRY_BUFFER {
                Freshness::Expired
            } else if refresh_on.is_some_and(|r| r < now) {
                Freshness::RefreshDue
            } else {
                Freshness::Fresh
            };
            let window = FreshWindow::of(expires_on, refresh_on);
            proptest::prop_assert_eq!(window.at(now), stated);
            proptest::prop_assert_eq!(Freshness::of(expires_on, refresh_on, now), stated);
            proptest::prop_assert_eq!(window.contains(now), stated == Freshness::Fresh);
        }
    }

    #[test]
    fn the_window_at_its_edges() {
        let window = FreshWindow::of(t(1000), None);
        assert!(window.contains(t(699)));
        assert!(!window.contains(t(700)));
        let window = FreshWindow::of(t(10_000), Some(t(500)));
        assert!(window.contains(t(500)));
        assert!(!window.contains(t(500) + Duration::from_micros(1)));
        assert!(!FreshWindow::of(t(1000), Some(t(900))).contains(t(800)));
    }

    #[test]
    fn telemetry_reasons() {
        assert_eq!(Freshness::Fresh.cache_info(), None);
        assert_eq!(
            Freshness::RefreshDue.cache_info(),
            Some(CacheInfo::ProactivelyRefreshed)
        );
        assert_eq!(
            Freshness::Expired.cache_info(),
            Some(CacheInfo::CachedAccessTokenExpired)
        );
    }
}
