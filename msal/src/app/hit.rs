//! Cache hits: the result a cached access token answers with, and the per-thread memo of the
//! last hit that lets a repeated request skip the cache lookup.
//!
//! A daemon asks for the same scopes on every call, a web app for the same user's API token on
//! every page. While the in-memory cache is unchanged (its generation, one atomic load) the same
//! request finds the same token, so the last hit is remembered and answered from directly. The
//! memo is striped per thread slot ([`Striped`]) and each slot holds its own copy of the token
//! string: the threads of a busy server then never write a shared cache line on a hit (no shared
//! mutex, no shared reference count). Caches with a store are never memoised, since their reads
//! may reload from it.

use std::{
    sync::{Arc, Mutex},
    time::SystemTime,
};

use msal_cache::{CachedAccessToken, CachedIdToken, FreshWindow, results::cached_details};
use msal_core::{
    AccessToken, Account, AuthenticationResult, Clock, IdToken, TokenSource, result::ResultDetails,
    striped::Striped,
};

use crate::request::RequestedScopes;

/// Everything a cache hit answers with: the token and its expiry, and the shared part of the
/// result, built once from the cache entries.
#[derive(Clone)]
pub(crate) struct CacheHit {
    access_token: AccessToken,
    expires_on: SystemTime,
    /// When the token may be handed out, worked out once: a memoised hit is checked on every
    /// call.
    fresh: FreshWindow,
    details: Arc<ResultDetails>,
}

impl Default for CacheHit {
    /// An empty hit, expired since 1970: what an unused memo slot holds.
    fn default() -> Self {
        // One shared empty hit: every app has a few slots per core, and building an app should
        // not allocate for each of them.
        static EMPTY: std::sync::OnceLock<(AccessToken, Arc<ResultDetails>)> =
            std::sync::OnceLock::new();
        let (access_token, details) = EMPTY
            .get_or_init(|| (AccessToken::new(String::new()), Arc::default()))
            .clone();
        Self {
            access_token,
            expires_on: SystemTime::UNIX_EPOCH,
            fresh: FreshWindow::of(SystemTime::UNIX_EPOCH, None),
            details,
        }
    }
}

impl CacheHit {
    /// The hit for `at` (with the account's `id_token` and the `account`, for user tokens),
    /// its results telling time by `clock`.
    pub(crate) fn new(
        at: &CachedAccessToken,
        id_token: Option<&CachedIdToken>,
        account: Option<Account>,
        clock: Option<&Arc<dyn Clock>>,
    ) -> Self {
        Self {
            access_token: at.secret().clone(),
            expires_on: at.expires_on(),
            fresh: FreshWindow::of(at.expires_on(), at.refresh_on()),
            details: Arc::new(cached_details(at, id_token, account, clock.cloned())),
        }
    }

    /// Whether the token may still be returned at `now`.
    pub(crate) fn is_fresh(&self, now: SystemTime) -> bool {
        self.fresh.contains(now)
    }

    /// The result: two reference counts and no allocation (the correlation id aside).
    #[inline]
    pub(crate) fn result(&self, correlation_id: Option<String>) -> AuthenticationResult {
        AuthenticationResult::from_parts(
            self.access_token.clone(),
            self.expires_on,
            TokenSource::Cache,
            self.details.clone(),
        )
        .with_correlation_id(correlation_id)
    }

    /// The same hit with its own copies of the secrets and of the shared part, so that results
    /// made from it share no reference count with the cache entry or with other threads.
    fn detached(mut self) -> Self {
        self.access_token = AccessToken::new(self.access_token.secret());
        let mut details = (*self.details).clone();
        if let Some(id_token) = &mut details.id_token {
            *id_token = IdToken::new(id_token.secret());
        }
        self.details = Arc::new(details);
        self
    }
}

/// One remembered hit: for which request, at which cache generation. A slot starts with no key
/// (and an empty hit), which matches nothing.
#[derive(Default)]
struct Memo {
    key: Option<MemoKey>,
    hit: CacheHit,
    #[cfg(feature = "azure-core")]
    azure: AzureBearer,
}

/// What Azure SDK's `TokenCredential` takes from a remembered hit, worked out when it is
/// remembered: converting the expiry cost a repeated `get_token` about a seventh of its time.
#[cfg(feature = "azure-core")]
#[derive(Clone, Copy)]
struct AzureBearer {
    /// Whether the token is a bearer token whose expiry `OffsetDateTime` can hold. Not an
    /// `Option<OffsetDateTime>`: its tag would sit in the `OffsetDateTime`'s padding byte, and
    /// every copy on the way out would move seven odd bytes that stall on store forwarding.
    usable: bool,
    expires_on: azure_core::time::OffsetDateTime,
}

#[cfg(feature = "azure-core")]
impl Default for AzureBearer {
    fn default() -> Self {
        Self {
            usable: false,
            expires_on: azure_core::time::OffsetDateTime::UNIX_EPOCH,
        }
    }
}

#[cfg(feature = "azure-core")]
impl AzureBearer {
    fn of(hit: &CacheHit) -> Self {
        let expires_on = hit
            .details
            .token_type
            .eq_ignore_ascii_case("bearer")
            .then(|| crate::azure::offset_date_time(hit.expires_on))
            .flatten();
        expires_on.map_or_else(Self::default, |expires_on| Self {
            usable: true,
            expires_on,
        })
    }
}

struct MemoKey {
    home_account_id: Option<String>,
    requested: RequestedScopes,
    generation: u64,
}

/// A memoised hit that matched, borrowed from this thread's slot: the result is built straight
/// from it, with no copy of the hit and no intermediate result.
pub(crate) struct MatchingHit<'a>(std::sync::MutexGuard<'a, Memo>);

impl std::ops::Deref for MatchingHit<'_> {
    type Target = CacheHit;
    fn deref(&self) -> &CacheHit {
        &self.0.hit
    }
}

impl MatchingHit<'_> {
    /// The token and its expiry when it is a bearer token whose expiry Azure SDK's
    /// `OffsetDateTime` can hold: all a caller that needs no [`AuthenticationResult`] (Azure
    /// SDK's `TokenCredential`) takes from a hit.
    #[cfg(feature = "azure-core")]
    pub(crate) fn bearer(&self) -> Option<(&AccessToken, azure_core::time::OffsetDateTime)> {
        let azure = self.0.azure;
        azure
            .usable
            .then_some((&self.0.hit.access_token, azure.expires_on))
    }
}

/// The last hit per thread slot, for one kind of request (app tokens or user tokens).
#[derive(Default)]
pub(crate) struct HitMemo {
    slots: Striped<Mutex<Memo>>,
}

impl HitMemo {
    /// This thread's last hit, if it was for the scopes `is_requested` accepts and for
    /// `home_account_id` at cache `generation`, and its token is still usable at `now`. The
    /// guard holds this thread's slot (nobody else's) while the result is built from it.
    ///
    /// The scopes are compared by the caller, so that a builder compares its own
    /// [`RequestedScopes`] and Azure SDK's `&[&str]` needs no copy to ask.
    #[inline]
    pub(crate) fn matching(
        &self,
        generation: u64,
        home_account_id: Option<&str>,
        is_requested: impl FnOnce(&RequestedScopes) -> bool,
        now: SystemTime,
    ) -> Option<MatchingHit<'_>> {
        let mut slot = self.slots.local().lock().unwrap_or_else(|p| p.into_inner());
        let Some(key) = &slot.key else {
            return None;
        };
        if key.generation != generation {
            // The cache changed (a sign-out, say): the remembered token goes now rather than
            // when this thread next hits, so its copy does not outlive its cache entry.
            *slot = Memo::default();
            return None;
        }
        let matches = is_requested(&key.requested)
            && key.home_account_id.as_deref() == home_account_id
            && slot.hit.is_fresh(now);
        matches.then_some(MatchingHit(slot))
    }

    /// Forgets every thread's hit (and drops its copy of the token): after the app removed
    /// tokens, nothing of them should stay in memory.
    pub(crate) fn clear(&self) {
        for slot in self.slots.iter() {
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Memo::default();
        }
    }

    /// Remembers `hit` for this thread, at the `generation` read before the lookup that found
    /// it (a change in between makes the memo stale at once, never wrong).
    pub(crate) fn remember(
        &self,
        generation: u64,
        home_account_id: Option<&str>,
        requested: &RequestedScopes,
        hit: &CacheHit,
    ) {
        let memo = Memo {
            key: Some(MemoKey {
                home_account_id: home_account_id.map(str::to_owned),
                requested: requested.clone(),
                generation,
            }),
            hit: hit.clone().detached(),
            #[cfg(feature = "azure-core")]
            azure: AzureBearer::of(hit),
        };
        *self.slots.local().lock().unwrap_or_else(|p| p.into_inner()) = memo;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn hit(granted: &[&str]) -> CacheHit {
        let mut details = ResultDetails::new("Bearer");
        details.scopes = granted.iter().map(|s| (*s).to_owned()).collect();
        details.tenant_id = Some("tenant".into());
        CacheHit {
            access_token: AccessToken::new("at"),
            expires_on: t(10_000),
            fresh: FreshWindow::of(t(10_000), None),
            details: Arc::new(details),
        }
    }

    fn answer(
        memo: &HitMemo,
        generation: u64,
        home: Option<&str>,
        scopes: &[&str],
        now: SystemTime,
    ) -> Option<AuthenticationResult> {
        let requested = RequestedScopes::collect(scopes);
        let hit = memo.matching(generation, home, |key| *key == requested, now)?;
        Some(hit.result(None))
    }

    #[test]
    fn a_memo_answers_only_the_same_request_at_the_same_generation() {
        let memo = HitMemo::default();
        assert!(answer(&memo, 1, None, &["s"], t(0)).is_none());
        memo.remember(1, None, &RequestedScopes::collect(["s"]), &hit(&["s"]));
        let result = answer(&memo, 1, None, &["s"], t(0)).unwrap();
        assert_eq!(result.access_token().secret(), "at");
        assert_eq!(result.scopes(), ["s"]);
        assert_eq!(result.tenant_id(), Some("tenant"));
        assert_eq!(result.token_source(), TokenSource::Cache);
        assert!(
            answer(&memo, 2, None, &["s"], t(0)).is_none(),
            "cache changed"
        );
        assert!(
            answer(&memo, 1, None, &["t"], t(0)).is_none(),
            "other scopes"
        );
        assert!(
            answer(&memo, 1, Some("u"), &["s"], t(0)).is_none(),
            "other account"
        );
        assert!(
            answer(&memo, 1, None, &["s"], t(9_800)).is_none(),
            "near expiry"
        );
    }

    #[test]
    fn granted_scopes_win_when_they_differ_and_secrets_are_detached() {
        let memo = HitMemo::default();
        let original = hit(&["s", "openid"]);
        memo.remember(1, Some("u"), &RequestedScopes::collect(["s"]), &original);
        let result = answer(&memo, 1, Some("u"), &["s"], t(0)).unwrap();
        assert_eq!(result.scopes(), ["s", "openid"]);
        assert_eq!(result.access_token(), &original.access_token);
        // Detached: the memo's copy shares no reference count with the hit it was made from.
        assert!(!Arc::ptr_eq(&hit_details(&memo), &original.details));
    }

    fn hit_details(memo: &HitMemo) -> Arc<ResultDetails> {
        memo.slots
            .local()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .hit
            .details
            .clone()
    }

    /// What `MsalCredential` takes from a memoised hit: a bearer token and its expiry, converted
    /// when the hit was remembered; anything it could not send as a bearer token, nothing.
    #[cfg(feature = "azure-core")]
    #[test]
    fn only_a_bearer_token_with_a_representable_expiry_is_handed_to_azure_sdk() {
        let bearer_of = |token_type: &str, expires_on: SystemTime| {
            let memo = HitMemo::default();
            let mut hit = hit(&["s"]);
            Arc::make_mut(&mut hit.details).token_type = token_type.into();
            hit.expires_on = expires_on;
            memo.remember(1, None, &RequestedScopes::collect(["s"]), &hit);
            let matching = memo.matching(1, None, |_| true, t(0))?;
            matching
                .bearer()
                .map(|(token, at)| (token.secret().to_owned(), at.unix_timestamp()))
        };
        assert_eq!(
            bearer_of("Bearer", t(10_000)),
            Some(("at".to_owned(), 10_000))
        );
        assert_eq!(
            bearer_of("bearer", t(10_000) + Duration::from_millis(999)).map(|(_, at)| at),
            Some(10_000),
            "whole seconds"
        );
        assert_eq!(bearer_of("pop", t(10_000)), None);
        assert_eq!(bearer_of("ssh-cert", t(10_000)), None);
        // The first second of the year 10000: past `OffsetDateTime`'s range, and within every
        // platform's `SystemTime` (Windows' stops in the year 30828).
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_800);
        assert_eq!(bearer_of("Bearer", far), None, "past what Azure SDK holds");
    }

    #[test]
    fn each_thread_has_its_own_memo() {
        let memo = HitMemo::default();
        memo.remember(1, None, &RequestedScopes::collect(["s"]), &hit(&["s"]));
        assert!(answer(&memo, 1, None, &["s"], t(0)).is_some());
        // Another thread starts with its own (empty) slot, unless it shares this one.
        let misses = std::thread::scope(|scope| {
            (0..4)
                .map(|_| scope.spawn(|| answer(&memo, 1, None, &["s"], t(0)).is_none()))
                .collect::<Vec<_>>()
                .into_iter()
                .filter_map(|h| h.join().ok())
                .filter(|miss| *miss)
                .count()
        });
        assert!(misses >= 1);
    }
}
