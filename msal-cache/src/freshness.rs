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
    /// `refresh_on`.
    #[inline]
    pub fn of(expires_on: SystemTime, refresh_on: Option<SystemTime>, now: SystemTime) -> Self {
        if expires_on <= now + EXPIRY_BUFFER {
            Self::Expired
        } else if refresh_on.is_some_and(|r| r < now) {
            Self::RefreshDue
        } else {
            Self::Fresh
        }
    }

    /// The first instant at which a token expiring at `expires_on`, due for refresh at
    /// `refresh_on`, is no longer [`Fresh`](Self::Fresh): [`Freshness::of`] gives `Fresh`
    /// exactly when `now` is before it (`None`: never fresh). The same rule, worked out once
    /// for a caller that checks one token on every call (the facade's memo of the last hit),
    /// so that each check is one comparison.
    pub fn fresh_until(
        expires_on: SystemTime,
        refresh_on: Option<SystemTime>,
    ) -> Option<SystemTime> {
        // Expired from `expires_on - EXPIRY_BUFFER` on (`expires_on <= now + EXPIRY_BUFFER`).
        let expiry = expires_on.checked_sub(EXPIRY_BUFFER)?;
        // Refresh due once `refresh_on < now`: fresh through `refresh_on` itself, so until
        // one nanosecond (the clock's resolution) after it. Past the end of time, never due.
        let refresh = refresh_on.and_then(|r| r.checked_add(Duration::from_nanos(1)));
        Some(refresh.map_or(expiry, |r| r.min(expiry)))
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
        fn fresh_until_agrees_with_the_rule(
            expires in 0u64..4_000,
            refresh in proptest::option::of(0u64..4_000),
            now in 0u64..4_000,
            nanos in 0u32..3,
        ) {
            // Whole seconds plus a nanosecond or two, so both edges (`<=` at expiry, `<` at
            // refresh) are hit exactly.
            let at = |secs: u64| t(secs) + Duration::from_nanos(u64::from(nanos));
            let (expires_on, refresh_on, now) = (t(expires), refresh.map(t), at(now));
            let fresh = Freshness::of(expires_on, refresh_on, now) == Freshness::Fresh;
            let until = Freshness::fresh_until(expires_on, refresh_on);
            proptest::prop_assert_eq!(fresh, until.is_some_and(|u| now < u));
        }
    }

    #[test]
    fn fresh_until_at_the_edges() {
        assert_eq!(Freshness::fresh_until(t(1000), None), Some(t(700)));
        assert_eq!(
            Freshness::fresh_until(t(10_000), Some(t(500))),
            Some(t(500) + Duration::from_nanos(1))
        );
        assert_eq!(Freshness::fresh_until(t(1000), Some(t(900))), Some(t(700)));
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
