//! The cache-then-network pipeline every cached flow takes: client credentials, silent,
//! on-behalf-of and managed identity are [`TokenProvider`]s of [`acquire`], which owns the
//! policy once (as aws-smithy-runtime's lazy identity cache owns it for every identity
//! provider):
//!
//! 1. **Look up** the cache (unless the request bypasses it) and judge the best match by the one
//!    freshness rule, [`Freshness`]: a fresh token answers at once.
//! 2. **Single-flight**: one network request per flight key, however many callers ask at once;
//!    the others wait for its result without holding a lock.
//! 3. **The leader re-checks** the cache before it sends: a leader of an earlier flight may have
//!    filled it meanwhile.
//! 4. **Fall back**: when a proactive refresh (the token was [`Freshness::RefreshDue`], so still
//!    valid) fails for a transient reason (a 5xx, a 429 or a throttle, a timeout or a connection
//!    error: [`Error::is_retryable`]), the cached token answers. Never on `invalid_grant`, an
//!    interaction-required error or a configuration error, which a retry would not cure. MSAL
//!    Python raises here instead; MSAL.NET and msal-node fall back as we do.

use std::{future::Future, hash::Hash};

use msal_core::{Clock, Error, single_flight::SingleFlight, token_endpoint::telemetry::CacheInfo};

use crate::{AccessTokenQuery, CachedAccessToken, Freshness, TokenCache};

/// A source of tokens the pipeline caches for: how to answer from a cached token, and how to
/// get a new one.
pub trait TokenProvider: Sync {
    /// What a request answers with; shared with the callers that waited on the same flight.
    type Output: Clone + Send;

    /// The answer for a usable cached access token.
    fn cached(
        &self,
        token: CachedAccessToken,
    ) -> impl Future<Output = Result<Self::Output, Error>> + Send;

    /// Asks the identity provider. `reason` says why the cache did not answer (server
    /// telemetry).
    fn fetch(&self, reason: CacheInfo) -> impl Future<Output = Result<Self::Output, Error>> + Send;
}

/// Whether and how [`acquire`] looks in the cache first.
#[derive(Debug, Clone, Copy)]
pub struct Lookup<'a> {
    query: Option<&'a AccessTokenQuery>,
    on_miss: CacheInfo,
}

impl<'a> Lookup<'a> {
    /// Look for a token matching `query` first.
    pub fn cache(query: &'a AccessTokenQuery) -> Self {
        Self {
            query: Some(query),
            on_miss: CacheInfo::NoCachedAccessToken,
        }
    }

    /// Go to the network whatever is cached (`force_refresh`, a claims challenge).
    pub fn bypass() -> Self {
        Self {
            query: None,
            on_miss: CacheInfo::ForceRefresh,
        }
    }

    /// The telemetry reason to report when nothing usable is cached (default: no token cached,
    /// or [`CacheInfo::ForceRefresh`] when bypassing).
    pub fn reason_when_missing(mut self, reason: CacheInfo) -> Self {
        self.on_miss = reason;
        self
    }
}

/// Whether a failed proactive refresh may be answered with the still-valid cached token: only
/// for failures a later attempt may cure (see the module docs).
pub fn falls_back_to_cached_token(error: &Error) -> bool {
    error.is_retryable()
}

/// The key of a flight: the caller's key, and whether the request bypasses the cache. A forced
/// request must never join a plain one, whose leader may answer from the cache.
pub type FlightKey<K> = (K, bool);

/// Runs the pipeline (see the module docs) for one request.
pub async fn acquire<K, P>(
    cache: &TokenCache,
    lookup: Lookup<'_>,
    clock: &dyn Clock,
    flights: &SingleFlight<FlightKey<K>, P::Output>,
    key: K,
    provider: &P,
) -> Result<P::Output, Error>
where
    K: Hash + Eq + Clone,
    P: TokenProvider,
{
    let mut fallback = None;
    let reason = match lookup.query {
        None => lookup.on_miss,
        Some(query) => match cache.find_access_token(query, clock.now()).await? {
            Some(token) => match token.freshness(clock.now()) {
                Freshness::Fresh => return provider.cached(token).await,
                Freshness::RefreshDue => {
                    fallback = Some(token);
                    CacheInfo::ProactivelyRefreshed
                }
                Freshness::Expired => CacheInfo::CachedAccessTokenExpired,
            },
            None => lookup.on_miss,
        },
    };
    let outcome = flights
        .run((key, lookup.query.is_none()), || async {
            if let Some(query) = lookup.query
                && let Some(token) = cache.find_access_token(query, clock.now()).await?
                && token.freshness(clock.now()) == Freshness::Fresh
            {
                return provider.cached(token).await;
            }
            provider.fetch(reason).await
        })
        .await;
    match (outcome, fallback) {
        (Ok(answer), _) => Ok(answer),
        // Judged before the request; a retry and timeouts later, it must still be valid.
        (Err(e), Some(token))
            if falls_back_to_cached_token(&e)
                && token.freshness(clock.now()) != Freshness::Expired =>
        {
            tracing::warn!(target: "msal::cache", error = %e,
                "proactive refresh failed; answering with the still-valid cached token");
            provider.cached(token).await
        }
        (Err(e), _) => Err(e),
    }
}
