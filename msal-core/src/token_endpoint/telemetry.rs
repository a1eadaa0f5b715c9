//! Server telemetry headers (MSAL Python's `msal/telemetry.py`), in MSAL Python's schema version 4 and API ids, so the
//! service sees the same shape from every MSAL.
//!
//! `x-client-current-telemetry` says which API made this request and why the cache could not
//! answer; `x-client-last-telemetry` reports cache hits and failed requests since the last
//! successful one, from a buffer each application keeps.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU32, Ordering},
};

use crate::striped::Striped;

/// Telemetry API ids (MSAL Python's `ClientApplication` constants).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiId {
    /// `acquire_token_silent` (84).
    AcquireTokenSilent,
    /// `acquire_token_by_refresh_token` (85).
    AcquireTokenByRefreshToken,
    /// username/password (301).
    AcquireTokenByUsernamePassword,
    /// on-behalf-of (523).
    AcquireTokenOnBehalfOf,
    /// device code (622).
    AcquireTokenByDeviceFlow,
    /// client credentials (730).
    AcquireTokenForClient,
    /// authorization code (832).
    AcquireTokenByAuthorizationCode,
    /// interactive (169).
    AcquireTokenInteractive,
    /// user federated identity credential (950).
    AcquireTokenByUserFic,
    /// `get_accounts` (902).
    GetAccounts,
    /// `remove_account` (903).
    RemoveAccount,
}

impl ApiId {
    /// The numeric id on the wire.
    pub fn code(self) -> u16 {
        match self {
            Self::AcquireTokenSilent => 84,
            Self::AcquireTokenByRefreshToken => 85,
            Self::AcquireTokenByUsernamePassword => 301,
            Self::AcquireTokenOnBehalfOf => 523,
            Self::AcquireTokenByDeviceFlow => 622,
            Self::AcquireTokenForClient => 730,
            Self::AcquireTokenByAuthorizationCode => 832,
            Self::AcquireTokenInteractive => 169,
            Self::AcquireTokenByUserFic => 950,
            Self::GetAccounts => 902,
            Self::RemoveAccount => 903,
        }
    }
}

/// Why a token request was needed (the second field of the current-telemetry header).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheInfo {
    /// Not a cache-backed API (0).
    NotApplicable,
    /// Forced: `force_refresh`, a claims challenge, PoP, refresh-token migration (1).
    ForceRefresh,
    /// No access token was cached (2).
    NoCachedAccessToken,
    /// The cached access token had expired (3).
    CachedAccessTokenExpired,
    /// The cached access token was past its `refresh_on` (4).
    ProactivelyRefreshed,
}

impl CacheInfo {
    /// The numeric value on the wire.
    pub fn code(self) -> u8 {
        match self {
            Self::NotApplicable => 0,
            Self::ForceRefresh => 1,
            Self::NoCachedAccessToken => 2,
            Self::CachedAccessTokenExpired => 3,
            Self::ProactivelyRefreshed => 4,
        }
    }
}

/// The `x-client-current-telemetry` value.
pub fn current_header(api: ApiId, cache_info: CacheInfo) -> String {
    format!("4|{},{}|", api.code(), cache_info.code())
}

/// The most characters of failure records the last-telemetry header carries (MSAL Python's limit).
const LAST_TELEMETRY_BUDGET: usize = 350;

/// Per-application buffer behind `x-client-last-telemetry`. Cheap to clone; clones share it.
#[derive(Debug, Clone, Default)]
pub struct TelemetryBuffer {
    inner: Arc<Buffer>,
}

#[derive(Debug, Default)]
struct Buffer {
    /// Cache hits since the last successful request, counted per thread slot: every hit counts
    /// one, and a single shared counter would be the hottest cache line of a busy daemon.
    successes: Striped<AtomicU32>,
    failures: Mutex<Vec<(u16, String, String)>>,
}

impl TelemetryBuffer {
    /// A new, empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, Vec<(u16, String, String)>> {
        self.inner
            .failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a request answered from the cache.
    #[inline]
    pub fn record_cache_hit(&self) {
        // A load and a store rather than an atomic add: the slot is this thread's, so the rare
        // thread sharing it can at worst lose a count, and a hit saves the locked instruction.
        let count = self.inner.successes.local();
        count.store(
            count.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Relaxed,
        );
    }

    /// Records a failed request; dropped once the header would exceed its size budget.
    pub fn record_failure(&self, api: ApiId, correlation_id: &str, error: &str) {
        let mut failures = self.failures();
        let size: usize = failures
            .iter()
            .map(|(_, c, e)| 4 + c.len() + e.len() + 2)
            .sum();
        if size + 4 + correlation_id.len() + error.len() + 2 < LAST_TELEMETRY_BUDGET {
            failures.push((api.code(), correlation_id.to_owned(), error.to_owned()));
        }
    }

    /// Clears the buffer after a successful response.
    pub fn record_success(&self) {
        // A hit counted between the header being built and this reset is lost: telemetry is a
        // best-effort count, not worth a lock on every hit.
        for count in self.inner.successes.iter() {
            count.store(0, Ordering::Relaxed);
        }
        self.failures().clear();
    }

    /// The `x-client-last-telemetry` value.
    pub fn last_header(&self) -> String {
        let successes = self
            .inner
            .successes
            .iter()
            .fold(0u32, |sum, c| sum.wrapping_add(c.load(Ordering::Relaxed)));
        let failures = self.failures();
        let calls: Vec<String> = failures
            .iter()
            .map(|(a, c, _)| format!("{a},{c}"))
            .collect();
        let errors: Vec<&str> = failures.iter().map(|(_, _, e)| e.as_str()).collect();
        format!("4|{}|{}|{}|", successes, calls.join(","), errors.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_verified_strings() {
        let t = TelemetryBuffer::new();
        assert_eq!(t.last_header(), "4|0|||");
        t.record_cache_hit();
        assert_eq!(t.last_header(), "4|1|||");
        t.record_failure(ApiId::AcquireTokenByDeviceFlow, "id_1", "error_1");
        assert_eq!(t.last_header(), "4|1|622,id_1|error_1|");
        t.record_failure(ApiId::AcquireTokenByDeviceFlow, "id_2", "error_2");
        assert_eq!(t.last_header(), "4|1|622,id_1,622,id_2|error_1,error_2|");
        t.record_success();
        assert_eq!(t.last_header(), "4|0|||");
        assert_eq!(
            current_header(ApiId::AcquireTokenForClient, CacheInfo::NoCachedAccessToken),
            "4|730,2|"
        );
    }

    #[test]
    fn failures_stop_at_the_budget() {
        let t = TelemetryBuffer::new();
        for i in 0..100 {
            t.record_failure(
                ApiId::AcquireTokenSilent,
                &format!("{i:036}"),
                "invalid_grant",
            );
        }
        assert!(t.last_header().len() < 400);
    }
}
