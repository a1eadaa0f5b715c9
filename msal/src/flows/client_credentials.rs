//! Client credentials: app-only tokens for daemons (RFC 6749 §4.4).
//!
//! Cache first (unless forced or challenged), one request per cache key however many callers
//! ask at once, the regional endpoint when configured, and a proactive refresh after
//! `refresh_on` that falls back to the still-valid cached token if the service is unavailable.

use msal_cache::{
    AccessTokenQuery, CachedAccessToken,
    acquire::{Lookup, TokenProvider},
};
use msal_core::{
    AuthenticationResult, Result,
    token_endpoint::{
        new_correlation_id, scopes,
        telemetry::{ApiId, CacheInfo},
    },
};
use tracing::Instrument as _;

use crate::{
    app::core::{AppCore, TokenFlight},
    request::{BoxedResult, RequestOptions, RequestedScopes, request_options},
};

/// `acquire_token_for_client`: see [`ConfidentialClientApplication::acquire_token_for_client`](crate::ConfidentialClientApplication::acquire_token_for_client).
#[must_use = "a request does nothing until it is sent or awaited"]
#[derive(Debug)]
pub struct AcquireTokenForClient<'a> {
    pub(crate) core: &'a AppCore,
    pub(crate) scopes: RequestedScopes,
    pub(crate) options: RequestOptions,
    pub(crate) force_refresh: bool,
    pub(crate) fmi_path: Option<String>,
}

impl<'a> AcquireTokenForClient<'a> {
    request_options!();

    /// Skip the cache and get a new token (MSAL Python refuses this; we allow it, e.g. after the
    /// resource rejected a token).
    pub fn force_refresh(mut self, yes: bool) -> Self {
        self.force_refresh = yes;
        self
    }

    /// The FMI path (federated managed identity); isolates the cached token.
    pub fn fmi_path(mut self, path: impl Into<String>) -> Self {
        self.fmi_path = Some(path.into());
        self
    }

    /// Sends the request: the future `.await` on the builder runs ([`TokenRequestFuture`]),
    /// returned by name rather than wrapped in an `async fn`, whose state would hold the builder
    /// a second time and more than double what a runtime's `block_on` moves per call.
    ///
    /// [`TokenRequestFuture`]: crate::TokenRequestFuture
    pub fn send(self) -> crate::TokenRequestFuture<'a> {
        self.into()
    }

    /// Everything but a repeated hit, in a boxed future with its span.
    pub(crate) fn send_to_network(self) -> BoxedResult<'a> {
        // A correlation id is made only when a request is sent: a cache hit has nothing to
        // correlate, and generating one per hit would be most of a hit's cost.
        let correlation_id = self.options.correlation_id.clone();
        let span = tracing::debug_span!(target: "msal::app", "acquire_token_for_client",
            msal.correlation_id = correlation_id.as_deref().unwrap_or("-"),
            msal.api = "acquire_token_for_client", client_id = %self.core.client_id);
        Box::pin(self.run(correlation_id).instrument(span))
    }

    /// The memoised answer when this is the same plain request as this thread's last hit and
    /// the cache is unchanged since. Borrows the request (taking only the caller's correlation
    /// id on a hit), so that neither a hit nor a miss moves it.
    pub(crate) fn repeat_hit(&mut self) -> Option<AuthenticationResult> {
        let core = self.core;
        let generation = self.memo_generation()?;
        let hit =
            core.app_hits
                .matching(generation, None, |key| *key == self.scopes, core.now())?;
        Some(core.answer_from_hit(&hit, self.options.take_correlation_id()))
    }

    /// The cache generation a hit of this request is memoised under: only plain requests (no
    /// forced refresh, FMI path, claims or extra fields) of a cache without a store.
    fn memo_generation(&self) -> Option<u64> {
        let plain = !self.force_refresh && self.fmi_path.is_none() && self.options.is_plain();
        self.core.cache.generation().filter(|_| plain)
    }

    async fn run(self, caller_correlation_id: Option<String>) -> Result<AuthenticationResult> {
        let core = self.core;
        let generation = self.memo_generation();
        self.options.validate()?;
        let scopes = scopes::app_scopes(self.scopes.to_vec())?;
        let ext = self.options.ext_cache_data(self.fmi_path.as_deref());
        let query = AccessTokenQuery::app(
            &core.client_id,
            core.realm(),
            core.environments().iter(),
            &scopes,
        )
        .ext_cache_data(ext.clone());
        let query = core.bind_query(query, &self.options)?;
        let lookup = if self.force_refresh || self.options.bypasses_cache() {
            Lookup::bypass()
        } else {
            Lookup::cache(&query)
        };
        // One request per (tenant, scopes, extension, binding) at a time.
        let flight = TokenFlight::Client {
            realm: core.realm().to_owned(),
            scopes: scopes.clone(),
            ext: ext.clone(),
            pop: pop_requested(&self.options),
        };
        let request = ClientCredentialsRequest {
            builder: &self,
            scopes,
            ext,
            caller_correlation_id,
            memo_generation: generation,
        };
        core.acquire_cached(lookup, flight, &request, &self.options)
            .await
    }

    async fn request(
        &self,
        scopes: &[String],
        cache_info: CacheInfo,
        correlation_id: &str,
        ext: std::collections::BTreeMap<String, String>,
    ) -> Result<AuthenticationResult> {
        let core = self.core;
        let metadata = core.metadata().await?;
        let token_endpoint = match core.region().await {
            Some(region) => {
                regional_endpoint(&metadata.token_endpoint, core.authority.host(), &region)
            }
            None => metadata.token_endpoint.clone(),
        };
        let response = core
            .grant(
                ApiId::AcquireTokenForClient,
                "client_credentials",
                &self.options,
                correlation_id,
            )
            .scopes(scopes)
            .fmi_path(self.fmi_path.as_deref())
            .endpoint(token_endpoint)
            .cache_info(cache_info)
            .send()
            .await?;
        let event = core
            .event(&response, scopes, "client_credentials", correlation_id)
            .ext_cache_data(ext);
        crate::flows::pop::finish_bound(core, event, &self.options).await
    }
}

/// One client-credentials request as a provider of the shared cache pipeline.
struct ClientCredentialsRequest<'r, 'a> {
    builder: &'r AcquireTokenForClient<'a>,
    scopes: Vec<String>,
    ext: std::collections::BTreeMap<String, String>,
    /// A correlation id is drawn only when a request is sent: a cache hit has nothing to
    /// correlate, and generating one per hit would be most of a hit's cost.
    caller_correlation_id: Option<String>,
    /// The cache generation to memoise a hit under (plain requests only).
    memo_generation: Option<u64>,
}

impl TokenProvider for ClientCredentialsRequest<'_, '_> {
    type Output = AuthenticationResult;

    async fn cached(&self, token: CachedAccessToken) -> Result<AuthenticationResult> {
        let core = self.builder.core;
        let hit = core.cache_hit(&token, None, None);
        if let Some(generation) = self.memo_generation {
            core.app_hits
                .remember(generation, None, &self.builder.scopes, &hit);
        }
        Ok(core.answer_from_hit(&hit, self.caller_correlation_id.clone()))
    }

    async fn fetch(&self, reason: CacheInfo) -> Result<AuthenticationResult> {
        let correlation_id = self
            .caller_correlation_id
            .clone()
            .unwrap_or_else(new_correlation_id);
        // Boxed: the network path's future is large, and keeping it out of line keeps the
        // cache-hit future small (it is moved on every call).
        Box::pin(
            self.builder
                .request(&self.scopes, reason, &correlation_id, self.ext.clone()),
        )
        .await
    }
}

/// The token endpoint on the regional host: same path, `{region}.login.microsoft.com` (or
/// `{region}.{host}` for national clouds). Tokens stay cached under the global host.
fn regional_endpoint(token_endpoint: &str, central_host: &str, region: &str) -> String {
    let regional = msal_authority::region::regional_host(central_host, region);
    match url::Url::parse(token_endpoint) {
        Ok(mut u) => match u.set_host(Some(&regional)) {
            Ok(()) => u.to_string(),
            Err(_) => token_endpoint.to_owned(),
        },
        Err(_) => token_endpoint.to_owned(),
    }
}

pub(crate) fn pop_requested(options: &RequestOptions) -> bool {
    #[cfg(feature = "pop")]
    {
        options.auth_scheme.is_some()
    }
    #[cfg(not(feature = "pop"))]
    {
        let _ = options;
        false
    }
}

impl<'a> std::future::IntoFuture for AcquireTokenForClient<'a> {
    type Output = Result<AuthenticationResult>;
    type IntoFuture = crate::TokenRequestFuture<'a>;

    fn into_future(self) -> Self::IntoFuture {
        self.into()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn regional_endpoints() {
        assert_eq!(
            super::regional_endpoint(
                "https://login.microsoftonline.com/t/oauth2/v2.0/token",
                "login.microsoftonline.com",
                "westus2"
            ),
            "https://westus2.login.microsoft.com/t/oauth2/v2.0/token"
        );
        assert_eq!(
            super::regional_endpoint(
                "https://login.microsoftonline.us:8443/t/token",
                "login.microsoftonline.us",
                "usgovvirginia"
            ),
            "https://usgovvirginia.login.microsoftonline.us:8443/t/token"
        );
    }
}
