//! `acquire_token_silent` (MSAL Python's `acquire_token_silent_with_error`): the cache, then the refresh tokens of the account, the
//! app's family (FOCI) first when it is or may be a member.

use msal_cache::{
    AccessTokenQuery, CachedAccessToken, CachedRefreshToken, RefreshTokenQuery,
    acquire::{Lookup, TokenProvider},
};
use msal_core::{
    Account, AuthenticationResult, Error, InteractionReason, Result,
    token_endpoint::{
        new_correlation_id, scopes,
        telemetry::{ApiId, CacheInfo},
    },
};
use tracing::Instrument as _;

use crate::{
    app::core::{AppCore, TokenFlight},
    flows::client_credentials::pop_requested,
    request::{BoxedResult, RequestOptions, RequestedScopes, request_options},
};

/// Microsoft's first-party family id.
const FAMILY_ID: &str = "1";

/// `acquire_token_silent`: see [`ClientApplication::acquire_token_silent`](crate::ClientApplication::acquire_token_silent).
///
/// `send()` fails with [`Error::InteractionRequired`] when nothing usable is cached; use
/// [`SilentResultExt::optional`](crate::SilentResultExt::optional) for MSAL Python's
/// `acquire_token_silent_with_error` semantics.
#[must_use = "a request does nothing until it is sent or awaited"]
#[derive(Debug)]
pub struct AcquireTokenSilent<'a> {
    pub(crate) core: &'a AppCore,
    pub(crate) scopes: RequestedScopes,
    pub(crate) account: Account,
    pub(crate) options: RequestOptions,
    pub(crate) force_refresh: bool,
}

impl<'a> AcquireTokenSilent<'a> {
    request_options!();

    /// Ignore a cached access token and use a refresh token.
    pub fn force_refresh(mut self, yes: bool) -> Self {
        self.force_refresh = yes;
        self
    }

    /// Sends the request: the future `.await` on the builder runs ([`TokenRequestFuture`]),
    /// returned by name as for `acquire_token_for_client`.
    ///
    /// [`TokenRequestFuture`]: crate::TokenRequestFuture
    pub fn send(self) -> crate::TokenRequestFuture<'a> {
        self.into()
    }

    /// Everything but a repeated hit, in a boxed future with its span.
    pub(crate) fn send_to_network(self) -> BoxedResult<'a> {
        // As for client credentials, a correlation id is drawn only when a request may be sent.
        let correlation_id = self.options.correlation_id.clone();
        let span = tracing::debug_span!(target: "msal::app", "acquire_token_silent",
            msal.correlation_id = correlation_id.as_deref().unwrap_or("-"),
            msal.api = "acquire_token_silent", client_id = %self.core.client_id);
        Box::pin(self.run(correlation_id).instrument(span))
    }

    /// The memoised answer when this is the same plain request for the same account as this
    /// thread's last hit and the cache is unchanged since, borrowing the request as for client
    /// credentials.
    pub(crate) fn repeat_hit(&mut self) -> Option<AuthenticationResult> {
        let core = self.core;
        let generation = self.memo_generation()?;
        let hit = core.user_hits.matching(
            generation,
            Some(&self.account.home_account_id),
            |key| *key == self.scopes,
            core.now(),
        )?;
        // The account was remembered with the hit (the memo is per account).
        Some(core.answer_from_hit(&hit, self.options.take_correlation_id()))
    }

    /// The cache generation a hit of this request is memoised under: only plain requests (no
    /// forced refresh, claims or extra fields) of a cache without a store.
    fn memo_generation(&self) -> Option<u64> {
        let plain = !self.force_refresh && self.options.is_plain();
        self.core.cache.generation().filter(|_| plain)
    }

    async fn run(self, caller_correlation_id: Option<String>) -> Result<AuthenticationResult> {
        let core = self.core;
        let generation = self.memo_generation();
        // The cache access and any request carry an id; a hit answers with the caller's only,
        // as a memoised hit does.
        let correlation_id = caller_correlation_id
            .clone()
            .unwrap_or_else(new_correlation_id);
        self.options.validate()?;
        let requested = self.scopes.to_vec();
        scopes::validate(&requested)?;
        let ext = self.options.ext_cache_data(None);
        let home = self.account.home_account_id.clone();
        let query = AccessTokenQuery::user(
            &home,
            &core.client_id,
            core.realm(),
            core.environments().iter(),
            &requested,
        )
        .ext_cache_data(ext.clone())
        .correlation_id(correlation_id.clone());
        let query = core.bind_query(query, &self.options)?;

        let lookup = if self.force_refresh || self.options.bypasses_cache() {
            Lookup::bypass()
        } else if pop_requested(&self.options) {
            // Nothing bound to our key is cached: telemetry calls that a forced request.
            Lookup::cache(&query).reason_when_missing(CacheInfo::ForceRefresh)
        } else {
            Lookup::cache(&query)
        };
        let flight = TokenFlight::Silent {
            home_account_id: home,
            realm: core.realm().to_owned(),
            scopes: requested,
            ext,
            pop: pop_requested(&self.options),
        };
        let request = SilentRequest {
            builder: &self,
            correlation_id,
            caller_correlation_id,
            memo_generation: generation,
        };
        core.acquire_cached(lookup, flight, &request, &self.options)
            .await
    }

    async fn answer_from_cache(
        &self,
        at: &msal_cache::CachedAccessToken,
        correlation_id: Option<String>,
        memo_generation: Option<u64>,
    ) -> Result<AuthenticationResult> {
        let core = self.core;
        let idt = core
            .cache
            .find_id_token(
                &self.account.home_account_id,
                core.environments().iter(),
                &core.client_id,
                Some(core.realm()),
            )
            .await?;
        let hit = core.cache_hit(at, idt.as_ref(), Some(self.account.clone()));
        if let Some(generation) = memo_generation {
            core.user_hits.remember(
                generation,
                Some(&self.account.home_account_id),
                &self.scopes,
                &hit,
            );
        }
        Ok(core.answer_from_hit(&hit, correlation_id))
    }

    /// Tries the account's refresh tokens: the family's first when the app is (or may be) in
    /// one, then the app's own (MSAL Python's
    /// `_acquire_token_silent_by_finding_rt_belongs_to_me_or_my_family`).
    async fn refresh(
        &self,
        cache_info: CacheInfo,
        correlation_id: &str,
    ) -> Result<AuthenticationResult> {
        let core = self.core;
        let envs = core.environments();
        let envs = &envs[..];
        let home = &self.account.home_account_id;
        // The same scopes for every refresh token tried: copied and decorated once.
        let requested = self.scopes.to_vec();
        let decorated = scopes::decorate(&requested, &core.exclude_scopes)?;
        let scopes = (&requested[..], &decorated[..]);
        let metadata = core.cache.find_app_metadata(envs, &core.client_id).await?;
        let mut last_error = None;
        let family_attempts: Vec<String> = match metadata.as_ref().map(|m| m.family_id.clone()) {
            None => vec![FAMILY_ID.to_owned()],
            Some(Some(f)) if !f.is_empty() => vec![f],
            Some(_) => Vec::new(),
        };
        for family in family_attempts {
            let rts = core
                .cache
                .find_refresh_tokens(&RefreshTokenQuery::for_family(home, envs, family))
                .await?;
            match self
                .try_refresh_tokens(rts, scopes, cache_info, correlation_id)
                .await
            {
                Ok(Some(r)) => return Ok(r),
                Ok(None) => {}
                Err(e) => last_error = Some(e),
            }
        }
        let own = core
            .cache
            .find_refresh_tokens(&RefreshTokenQuery::for_client(home, envs, &core.client_id))
            .await?;
        match self
            .try_refresh_tokens(own, scopes, cache_info, correlation_id)
            .await
        {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(last_error.unwrap_or(Error::InteractionRequired {
                reason: InteractionReason::NoTokenFound,
                classification: None,
                source: None,
            })),
            Err(e) => Err(e),
        }
    }

    /// Tries each refresh token, newest first. `Ok(None)`: there were none.
    async fn try_refresh_tokens(
        &self,
        mut rts: Vec<CachedRefreshToken>,
        scopes: (&[String], &[String]),
        cache_info: CacheInfo,
        correlation_id: &str,
    ) -> Result<Option<AuthenticationResult>> {
        rts.sort_by_key(|rt| std::cmp::Reverse(rt.last_modification_time()));
        let mut last_error = None;
        for rt in rts {
            match self.redeem(rt, scopes, cache_info, correlation_id).await {
                Ok(r) => return Ok(Some(r)),
                // The refresh token may still work for other scopes or tenants: keep it (as
                // MSAL Python does since 1.10) and try the next one.
                Err(e) if e.is_interaction_required() => {
                    let mismatch = e.service_error().and_then(|s| s.suberror.as_deref())
                        == Some("client_mismatch");
                    last_error = Some(e);
                    if mismatch {
                        break;
                    }
                }
                Err(e) => return Err(e),
            }
        }
        match last_error {
            Some(e) => Err(e),
            None => Ok(None),
        }
    }

    /// Redeems `rt` for the `(requested, decorated)` scopes.
    async fn redeem(
        &self,
        rt: CachedRefreshToken,
        (requested, decorated): (&[String], &[String]),
        cache_info: CacheInfo,
        correlation_id: &str,
    ) -> Result<AuthenticationResult> {
        let core = self.core;
        let anchor = format!("Oid:{}", self.account.home_account_id.replacen('.', "@", 1));
        let response = core
            .grant(
                ApiId::AcquireTokenSilent,
                "refresh_token",
                &self.options,
                correlation_id,
            )
            .field("refresh_token", rt.secret().secret())
            .scopes(decorated)
            .anchor_mailbox(anchor)
            .cache_info(cache_info)
            .send()
            .await?;
        // A refresh writes no account (a concurrent sign-out is honoured) and updates the
        // redeemed refresh token in place.
        let event = core
            .event(&response, requested, "refresh_token", correlation_id)
            .skip_account_creation(true)
            .redeemed_refresh_token(rt)
            .ext_cache_data(self.options.ext_cache_data(None));
        let mut result = crate::flows::pop::finish_bound(core, event, &self.options).await?;
        if result.account().is_none() {
            result.details_mut().account = Some(self.account.clone());
        }
        Ok(result)
    }
}

/// One silent request as a provider of the shared cache pipeline.
struct SilentRequest<'r, 'a> {
    builder: &'r AcquireTokenSilent<'a>,
    correlation_id: String,
    caller_correlation_id: Option<String>,
    /// The cache generation to memoise a hit under (plain requests only).
    memo_generation: Option<u64>,
}

impl TokenProvider for SilentRequest<'_, '_> {
    type Output = AuthenticationResult;

    async fn cached(&self, token: CachedAccessToken) -> Result<AuthenticationResult> {
        self.builder
            .answer_from_cache(
                &token,
                self.caller_correlation_id.clone(),
                self.memo_generation,
            )
            .await
    }

    async fn fetch(&self, reason: CacheInfo) -> Result<AuthenticationResult> {
        Box::pin(self.builder.refresh(reason, &self.correlation_id)).await
    }
}

impl<'a> std::future::IntoFuture for AcquireTokenSilent<'a> {
    type Output = Result<AuthenticationResult>;
    type IntoFuture = crate::TokenRequestFuture<'a>;

    fn into_future(self) -> Self::IntoFuture {
        self.into()
    }
}

/// Python's two silent flavours on a silent result (in the prelude).
pub trait SilentResultExt {
    /// `Ok(None)` when nothing was cached (`InteractionRequired { reason: NoTokenFound }`): MSAL
    /// Python's `acquire_token_silent_with_error`. Other errors stay errors.
    ///
    /// For MSAL Python's plain `acquire_token_silent` (every failure becomes `None`), use the
    /// standard `Result::ok()`.
    fn optional(self) -> Result<Option<AuthenticationResult>>;
}

impl SilentResultExt for Result<AuthenticationResult> {
    fn optional(self) -> Result<Option<AuthenticationResult>> {
        match self {
            Ok(r) => Ok(Some(r)),
            Err(Error::InteractionRequired {
                reason: InteractionReason::NoTokenFound,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
