//! On-behalf-of (the OAuth 2.0 on-behalf-of grant, RFC 7523 jwt-bearer): a middle-tier API exchanges the user's token for one to call a
//! downstream API. Unlike MSAL Python, results are cached keyed by the SHA-256 of the incoming
//! assertion (MSAL.NET's design), so a busy API does not call Entra for every request.

use msal_cache::{
    AccessTokenQuery, CachedAccessToken,
    acquire::{Lookup, TokenProvider},
    keys::user_assertion_hash,
};
use msal_core::{
    AccessToken, AuthenticationResult, Result,
    token_endpoint::{
        scopes,
        telemetry::{ApiId, CacheInfo},
    },
};

use crate::{
    app::core::{AppCore, TokenFlight},
    request::{RequestOptions, into_future, request_options},
};

/// The JWT-bearer grant.
const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// `acquire_token_on_behalf_of`.
#[must_use = "a request does nothing until it is sent or awaited"]
#[derive(Debug)]
pub struct AcquireTokenOnBehalfOf<'a> {
    pub(crate) core: &'a AppCore,
    pub(crate) assertion: AccessToken,
    pub(crate) scopes: Vec<String>,
    pub(crate) options: RequestOptions,
    pub(crate) force_refresh: bool,
}

impl<'a> AcquireTokenOnBehalfOf<'a> {
    request_options!();

    /// Skip the cache.
    pub fn force_refresh(mut self, yes: bool) -> Self {
        self.force_refresh = yes;
        self
    }

    /// Sends the request (cache first).
    pub async fn send(self) -> Result<AuthenticationResult> {
        let core = self.core;
        self.options.validate()?;
        scopes::validate(&self.scopes)?;
        if self.assertion.is_empty() {
            return Err(msal_core::Error::InvalidArgument(
                "the user assertion is empty".into(),
            ));
        }
        let hash = user_assertion_hash(self.assertion.secret());
        let ext = obo_ext_cache_data(&self.options, &hash);
        let forced = self.force_refresh || self.options.bypasses_cache();
        let query = AccessTokenQuery::app(
            &core.client_id,
            core.realm(),
            core.environments().iter(),
            &self.scopes,
        )
        .ext_cache_data(ext.clone())
        .user_assertion_hash(hash.clone());
        let query = core.bind_query(query, &self.options)?;
        let lookup = if forced {
            Lookup::bypass()
        } else {
            Lookup::cache(&query)
        };
        let flight = TokenFlight::OnBehalfOf {
            assertion_hash: hash.clone(),
            scopes: self.scopes.clone(),
            ext,
            pop: crate::flows::client_credentials::pop_requested(&self.options),
        };
        let request = OnBehalfOfRequest {
            builder: &self,
            hash,
            forced,
        };
        core.acquire_cached(lookup, flight, &request, &self.options)
            .await
    }

    async fn request(
        &self,
        hash: String,
        cache_info: CacheInfo,
        correlation_id: String,
    ) -> Result<AuthenticationResult> {
        let core = self.core;
        let decorated = scopes::decorate(&self.scopes, &core.exclude_scopes)?;
        let response = core
            .grant(
                ApiId::AcquireTokenOnBehalfOf,
                JWT_BEARER_GRANT,
                &self.options,
                &correlation_id,
            )
            .field("assertion", self.assertion.secret())
            .field("requested_token_use", "on_behalf_of")
            .scopes(&decorated)
            .cache_info(cache_info)
            .send()
            .await?;
        let event = core
            .event(&response, &self.scopes, JWT_BEARER_GRANT, &correlation_id)
            .ext_cache_data(obo_ext_cache_data(&self.options, &hash))
            .user_assertion_hash(hash);
        crate::flows::pop::finish_bound(core, event, &self.options).await
    }
}

/// One on-behalf-of request as a provider of the shared cache pipeline.
struct OnBehalfOfRequest<'r, 'a> {
    builder: &'r AcquireTokenOnBehalfOf<'a>,
    hash: String,
    forced: bool,
}

impl TokenProvider for OnBehalfOfRequest<'_, '_> {
    type Output = AuthenticationResult;

    async fn cached(&self, token: CachedAccessToken) -> Result<AuthenticationResult> {
        let core = self.builder.core;
        let hit = core.cache_hit(&token, None, None);
        // A hit answers with the caller's correlation id only; a request draws one.
        Ok(core.answer_from_hit(&hit, self.builder.options.correlation_id.clone()))
    }

    async fn fetch(&self, _reason: CacheInfo) -> Result<AuthenticationResult> {
        // Telemetry says "not a cache API" (0), as MSAL Python's OBO does, unless forced.
        let reason = if self.forced {
            CacheInfo::ForceRefresh
        } else {
            CacheInfo::NotApplicable
        };
        self.builder
            .request(
                self.hash.clone(),
                reason,
                self.builder.options.correlation_id(),
            )
            .await
    }
}

/// The extended cache key data of an OBO token: the request's extra fields plus the assertion
/// hash. Without it, tokens for two assertions of the same user (two sessions, two devices)
/// would share one cache key and overwrite each other; with it they are `atext` entries, which
/// MSAL Python's plain lookups skip (documented difference: we cache OBO, Python does not).
fn obo_ext_cache_data(
    options: &RequestOptions,
    hash: &str,
) -> std::collections::BTreeMap<String, String> {
    let mut ext = options.ext_cache_data(None);
    ext.insert("user_assertion_hash".into(), hash.to_owned());
    ext
}

into_future!(AcquireTokenOnBehalfOf, AuthenticationResult);
