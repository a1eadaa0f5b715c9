//! What both application kinds share: configuration, the authority, the token client and cache,
//! and the steps every flow takes (discovery, sending a grant, caching and shaping the result).

use std::{
    collections::BTreeMap,
    fmt,
    sync::{Arc, Mutex},
    time::SystemTime,
};

use msal_authority::{Authority, AuthorityMetadata, AuthorityResolver, Region};
use msal_cache::{
    AccessTokenQuery, CachedAccessToken, TokenCache, TokenEvent,
    acquire::{FlightKey, Lookup, TokenProvider, acquire},
    results,
};
use msal_core::{
    Account, AsyncSleep, AuthenticationResult, ClientCredential, Clock, Env, Error, TokenResponse,
    single_flight::SingleFlight, token_endpoint::TokenEndpointClient,
};
use serde_json::{Map, Value};

use crate::{
    app::hit::{CacheHit, HitMemo},
    request::RequestOptions,
};

/// The shared state behind `PublicClientApplication` and `ConfidentialClientApplication`.
/// Public only so the sealed trait can name it; unreachable from outside the crate.
pub struct AppCore {
    pub(crate) client_id: String,
    pub(crate) credential: Option<ClientCredential>,
    pub(crate) authority: Authority,
    pub(crate) resolver: AuthorityResolver,
    pub(crate) client: TokenEndpointClient,
    pub(crate) cache: TokenCache,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) sleep: Arc<dyn AsyncSleep>,
    pub(crate) env: Env,
    pub(crate) exclude_scopes: Vec<String>,
    pub(crate) client_capabilities: Vec<String>,
    pub(crate) client_claims: Option<Map<String, Value>>,
    pub(crate) region: Region,
    pub(crate) detected_region: Mutex<Option<Option<String>>>,
    pub(crate) region_flight: SingleFlight<(), Option<String>>,
    pub(crate) enable_pii_log: bool,
    /// One token request per cache key at a time (client credentials, silent refresh, OBO).
    pub(crate) token_flights: SingleFlight<FlightKey<TokenFlight>, AuthenticationResult>,
    pub(crate) environments: std::sync::OnceLock<Arc<[String]>>,
    /// The last client-credentials hit per thread, reused while the cache is unchanged.
    pub(crate) app_hits: HitMemo,
    /// The last silent hit per thread (access token and ID token), likewise.
    pub(crate) user_hits: HitMemo,
    /// The clock results read `expires_in` from, when the app set one; `None` is the system
    /// clock, which a result then needs no reference to.
    pub(crate) result_clock: Option<Arc<dyn Clock>>,
    #[cfg(feature = "pop")]
    pub(crate) pop_key: Option<msal_pop::PopKey>,
}

impl fmt::Debug for AppCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCore")
            .field("client_id", &self.client_id)
            .field("authority", &self.authority)
            .field("confidential", &self.credential.is_some())
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// Everything a flow needs to write a token response to the cache and shape the result.
/// What makes two token requests the same request: the key of their single flight. Typed, so
/// two flows can never collide, and a field forgotten in one flow's key is a compile error in
/// every place that builds it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum TokenFlight {
    /// Client credentials for a tenant.
    Client {
        realm: String,
        scopes: Vec<String>,
        ext: BTreeMap<String, String>,
        pop: bool,
    },
    /// A silent request for one account.
    Silent {
        home_account_id: String,
        realm: String,
        scopes: Vec<String>,
        ext: BTreeMap<String, String>,
        pop: bool,
    },
    /// On-behalf-of one incoming assertion (by its hash).
    OnBehalfOf {
        assertion_hash: String,
        scopes: Vec<String>,
        ext: BTreeMap<String, String>,
        pop: bool,
    },
}

impl AppCore {
    /// Now, by the app's clock.
    pub(crate) fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// The cache `environment`: the authority host without a port.
    pub(crate) fn environment(&self) -> &str {
        self.authority.host()
    }

    /// The cache `realm`: the authority's tenant (what the token endpoint's first segment is for
    /// every Entra, B2C and AD FS authority, so no discovery is needed to look tokens up).
    pub(crate) fn realm(&self) -> &str {
        self.authority.tenant()
    }

    /// Hosts whose cached entries serve this app (computed once when they cannot change, since
    /// every cache lookup needs them).
    pub(crate) fn environments(&self) -> Arc<[String]> {
        if let Some(e) = self.environments.get() {
            return e.clone();
        }
        let envs: Arc<[String]> = self.resolver.environment_aliases(&self.authority).into();
        if self.resolver.environment_aliases_are_final(&self.authority) {
            let _ = self.environments.set(envs.clone());
        }
        envs
    }

    /// The authority's endpoints (discovered once, cached).
    pub(crate) async fn metadata(&self) -> Result<Arc<AuthorityMetadata>, Error> {
        self.resolver.metadata(&self.authority).await
    }

    /// The region to use for client credentials, detecting it once when asked to.
    pub(crate) async fn region(&self) -> Option<String> {
        match &self.region {
            Region::Named(name) => Some(name.clone()),
            Region::AutoDetect => {
                if let Some(known) = self
                    .detected_region
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone()
                {
                    return known;
                }
                let detected = self
                    .region_flight
                    .run((), || async {
                        let r = msal_authority::region::detect_region(&self.client, &self.env).await;
                        if r.is_none() {
                            tracing::info!(target: "msal::region", "region auto-detection found nothing; using the global endpoint");
                        }
                        Ok(r)
                    })
                    .await
                    .unwrap_or(None);
                *self
                    .detected_region
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = Some(detected.clone());
                detected
            }
            _ => None,
        }
    }

    /// The app's PoP key (one is generated on first use when none was configured).
    #[cfg(feature = "pop")]
    pub(crate) fn pop_key(&self) -> Result<msal_pop::PopKey, Error> {
        self.pop_key.clone().ok_or_else(|| {
            Error::Configuration("no PoP key: this application was built without one".into())
        })
    }

    /// `query` narrowed to the cached tokens this request may be served by: a key-bound request
    /// (an SSH certificate) only by a token bound to that key, a PoP request only by one bound
    /// to this app's PoP key; never by a bearer token.
    pub(crate) fn bind_query(
        &self,
        query: AccessTokenQuery,
        options: &RequestOptions,
    ) -> Result<AccessTokenQuery, Error> {
        let query = match options.bound_key()? {
            Some((key_id, token_type)) => query.bound_to_key(key_id, token_type),
            None => query,
        };
        #[cfg(feature = "pop")]
        let query = match &options.auth_scheme {
            Some(_) => query.bound_to_key(self.pop_key()?.kid(), "pop"),
            None => query,
        };
        Ok(query)
    }

    /// Runs a cached flow through the shared pipeline (`msal_cache::acquire`) under its flight
    /// key, then signs a PoP SHR when the request asked for one: the flight carries the bound
    /// token, and every caller (followers included) signs its own SHR.
    pub(crate) async fn acquire_cached<P>(
        &self,
        lookup: Lookup<'_>,
        flight: TokenFlight,
        request: &P,
        options: &RequestOptions,
    ) -> Result<AuthenticationResult, Error>
    where
        P: TokenProvider<Output = AuthenticationResult>,
    {
        let result = acquire(
            &self.cache,
            lookup,
            self.clock.as_ref(),
            &self.token_flights,
            flight,
            request,
        )
        .await?;
        crate::flows::pop::sign_if_requested(self, result, options)
    }

    /// The cache event for `response` to a grant of this app: its client id, environment and
    /// realm; flows add what else the cache must know (a username, an assertion hash, ...).
    pub(crate) fn event<'r>(
        &self,
        response: &'r TokenResponse,
        requested_scopes: &[String],
        grant_type: &str,
        correlation_id: &str,
    ) -> TokenEvent<'r> {
        TokenEvent::new(
            self.client_id.clone(),
            self.environment(),
            self.realm(),
            requested_scopes,
            response,
            grant_type,
        )
        .correlation_id(correlation_id)
    }

    /// Writes a successful response to the cache and turns it into the caller's result.
    pub(crate) async fn finish(
        &self,
        event: TokenEvent<'_>,
    ) -> Result<AuthenticationResult, Error> {
        let now = self.now();
        let response = event.response;
        let requested = event.requested_scopes.clone();
        let correlation_id = event.correlation_id.clone().unwrap_or_default();
        let account = match self.cache.add_token_response(event, now).await? {
            Some(a) => Some(a),
            None => self.account_for_response(response).await,
        };
        Ok(self.result_from_response(response, &requested, account, correlation_id, now))
    }

    /// The account a refresh response belongs to, when the cache write skipped account creation.
    async fn account_for_response(&self, response: &TokenResponse) -> Option<Account> {
        let info = msal_core::id_token::ClientInfo::decode(response.client_info.as_deref()?)?;
        self.cache
            .find_account(&info.home_account_id(), self.environments().iter(), None)
            .await
            .ok()
            .flatten()
    }

    /// The caller's result for a response to this app's grant (see
    /// `msal_cache::results::result_from_response`), with the account and, when the ID token
    /// names none, the account's or the authority's tenant.
    pub(crate) fn result_from_response(
        &self,
        response: &TokenResponse,
        requested_scopes: &[String],
        account: Option<Account>,
        correlation_id: String,
        now: SystemTime,
    ) -> AuthenticationResult {
        let expires_on = results::response_expires_on(response, now);
        let mut result = results::result_from_response(response, requested_scopes, expires_on, now)
            .with_correlation_id(Some(correlation_id));
        let details = result.details_mut();
        if details.tenant_id.is_none() {
            details.tenant_id = Some(
                account
                    .as_ref()
                    .map_or_else(|| self.realm().to_owned(), |a| a.realm.clone()),
            );
        }
        details.account = account;
        details.clock = self.result_clock.clone();
        result
    }

    /// A cache hit for `at` (with the account and its ID token, for user tokens), its results
    /// telling time by the app's clock.
    pub(crate) fn cache_hit(
        &self,
        at: &CachedAccessToken,
        id_token: Option<&msal_cache::CachedIdToken>,
        account: Option<Account>,
    ) -> CacheHit {
        CacheHit::new(at, id_token, account, self.result_clock.as_ref())
    }

    /// The result of a cache hit, counted for telemetry.
    #[inline]
    pub(crate) fn answer_from_hit(
        &self,
        hit: &CacheHit,
        correlation_id: Option<String>,
    ) -> AuthenticationResult {
        self.client.telemetry().record_cache_hit();
        hit.result(correlation_id)
    }

    /// This thread's memoised bearer token for exactly `scopes` (app tokens when `home_account_id`
    /// is `None`, else that account's), while the cache is unchanged, as Azure SDK's token: no
    /// [`AuthenticationResult`] is built. `None` sends the caller down the ordinary path, which
    /// answers from the cache (and memoises) or from the network, and is also where a token
    /// Azure SDK cannot take (not a bearer token, or an expiry out of range) becomes an error.
    #[cfg(feature = "azure-core")]
    #[inline]
    pub(crate) fn memoised_bearer(
        &self,
        home_account_id: Option<&str>,
        scopes: &[&str],
    ) -> Option<azure_core::credentials::AccessToken> {
        let generation = self.cache.generation()?;
        let hits = if home_account_id.is_some() {
            &self.user_hits
        } else {
            &self.app_hits
        };
        let hit = hits.matching(
            generation,
            home_account_id,
            |key| key.is(scopes),
            self.now(),
        )?;
        let (token, expires_on) = hit.bearer()?;
        self.client.telemetry().record_cache_hit();
        // Built here, where the token is borrowed: returned as parts, the caller's copy into
        // the `AccessToken` stalled on the parts' stores.
        Some(azure_core::credentials::AccessToken::new(
            azure_core::credentials::Secret::new(token.secret().to_owned()),
            expires_on,
        ))
    }
}
