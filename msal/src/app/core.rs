//! What both application kinds share: configuration, the authority, the token client and cache,
//! and the steps every flow takes (discovery, sending a grant, caching and shaping the result).

use std::{
    collections::BTreeMap,
    fmt,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use msal_authority::{Authority, AuthorityMetadata, AuthorityResolver, Region};
use msal_cache::{CachedAccessToken, TokenCache, TokenEvent};
use msal_core::{
    Account, AsyncSleep, AuthenticationResult, ClientCredential, Clock, Env, Error, IdTokenClaims,
    TokenResponse, TokenSource,
    credential::AssertionContext,
    single_flight::SingleFlight,
    token_endpoint::{
        Form, TokenEndpointClient, TokenEndpointRequest,
        telemetry::{ApiId, CacheInfo},
    },
};
use serde_json::{Map, Value};

use crate::{
    app::hit::{CacheHit, HitMemo, usable_at},
    request::RequestOptions,
};

/// The shared state behind `PublicClientApplication` and `ConfidentialClientApplication`.
/// Public only so the sealed trait can name it; unreachable from outside the crate.
#[allow(unreachable_pub)]
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
    pub(crate) token_flights: SingleFlight<String, AuthenticationResult>,
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
pub(crate) struct Redeemed<'a> {
    pub(crate) response: TokenResponse,
    pub(crate) requested_scopes: &'a [String],
    pub(crate) grant_type: &'a str,
    pub(crate) correlation_id: String,
    pub(crate) username: Option<String>,
    pub(crate) ext_cache_data: BTreeMap<String, String>,
    pub(crate) skip_account_creation: bool,
    pub(crate) user_assertion_hash: Option<String>,
    pub(crate) redeemed_refresh_token: Option<msal_cache::CachedRefreshToken>,
    pub(crate) key_id: Option<String>,
}

impl<'a> Redeemed<'a> {
    pub(crate) fn new(
        response: TokenResponse,
        requested_scopes: &'a [String],
        grant_type: &'a str,
        correlation_id: String,
    ) -> Self {
        Self {
            response,
            requested_scopes,
            grant_type,
            correlation_id,
            username: None,
            ext_cache_data: BTreeMap::new(),
            skip_account_creation: false,
            user_assertion_hash: None,
            redeemed_refresh_token: None,
            key_id: None,
        }
    }
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

    /// Sends a grant: adds `client_info`, extra fields, claims and client authentication, then
    /// posts through the shared token client.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn send_grant(
        &self,
        token_endpoint: &str,
        mut form: Form,
        options: &RequestOptions,
        api: ApiId,
        cache_info: CacheInfo,
        correlation_id: &str,
        anchor_mailbox: Option<String>,
        fmi_path: Option<&str>,
    ) -> Result<TokenResponse, Error> {
        form.set("client_info", "1");
        for (k, v) in &options.extra_body {
            form.set(k.clone(), v.clone());
        }
        form.set_opt("claims", options.claims(&self.client_capabilities)?);
        #[cfg(feature = "pop")]
        if options.auth_scheme.is_some() {
            let key = self.pop_key()?;
            for (k, v) in msal_pop::token_request_fields(&key) {
                form.set(k, v);
            }
        }
        if let Some(cred) = &self.credential {
            let mut ctx = AssertionContext::new(self.client_id.clone(), token_endpoint);
            ctx.fmi_path = fmi_path.map(str::to_owned);
            cred.apply(
                &mut form,
                ctx,
                self.client_claims.as_ref(),
                self.clock.as_ref(),
                self.authority.is_adfs(),
            )
            .await?;
        }
        let mut request = TokenEndpointRequest::new(token_endpoint, form, api);
        request.cache_info = cache_info;
        request.correlation_id = correlation_id.to_owned();
        request.anchor_mailbox = anchor_mailbox;
        request.query = options.extra_query.clone();
        self.client.obtain_token(request).await
    }

    /// The app's PoP key (one is generated on first use when none was configured).
    #[cfg(feature = "pop")]
    pub(crate) fn pop_key(&self) -> Result<msal_pop::PopKey, Error> {
        self.pop_key.clone().ok_or_else(|| {
            Error::Configuration("no PoP key: this application was built without one".into())
        })
    }

    /// Writes a successful response to the cache and turns it into the caller's result.
    pub(crate) async fn finish(&self, r: Redeemed<'_>) -> Result<AuthenticationResult, Error> {
        let now = self.now();
        let mut event = TokenEvent::new(
            self.client_id.clone(),
            self.environment(),
            self.realm(),
            r.requested_scopes,
            &r.response,
            r.grant_type,
        )
        .ext_cache_data(r.ext_cache_data.clone())
        .skip_account_creation(r.skip_account_creation)
        .correlation_id(r.correlation_id.clone());
        if let Some(u) = &r.username {
            event = event.username(u.clone());
        }
        if let Some(h) = &r.user_assertion_hash {
            event = event.user_assertion_hash(h.clone());
        }
        if let Some(rt) = r.redeemed_refresh_token.clone() {
            event = event.redeemed_refresh_token(rt);
        }
        if let Some(kid) = &r.key_id {
            event = event
                .key_id(kid.clone())
                .token_type(r.response.token_type.clone());
        }
        let account = self.cache.add_token_response(event, now).await?;
        let account = match account {
            Some(a) => Some(a),
            None => self.account_for_response(&r.response).await,
        };
        Ok(self.result_from_response(
            r.response,
            r.requested_scopes,
            account,
            r.correlation_id,
            now,
        ))
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

    pub(crate) fn result_from_response(
        &self,
        response: TokenResponse,
        requested_scopes: &[String],
        account: Option<Account>,
        correlation_id: String,
        now: SystemTime,
    ) -> AuthenticationResult {
        let expires_in = response
            .expires_in
            .or_else(|| {
                response
                    .expires_on
                    .map(|on| on.saturating_sub(msal_core::clock::unix_secs(now)))
            })
            .unwrap_or(600);
        let claims: Option<IdTokenClaims> = response
            .id_token
            .as_ref()
            .and_then(|t| msal_core::id_token::decode_unverified(t.secret()).ok());
        let mut result = AuthenticationResult::new(
            response.access_token.clone(),
            response.token_type.clone(),
            now + Duration::from_secs(expires_in),
            TokenSource::IdentityProvider,
        )
        .with_clock(self.clock.clone());
        result.ext_expires_on = response
            .ext_expires_in
            .map(|s| now + Duration::from_secs(s));
        result.refresh_on = response.refresh_in.map(|s| now + Duration::from_secs(s));
        result.scopes = response
            .granted_scopes()
            .unwrap_or_else(|| requested_scopes.to_vec());
        result.tenant_id = claims
            .as_ref()
            .and_then(|c| c.tid.clone())
            .or_else(|| account.as_ref().map(|a| a.realm.clone()))
            .or_else(|| Some(self.realm().to_owned()));
        result.id_token = response.id_token.clone();
        result.id_token_claims = claims;
        result.account = account;
        result.correlation_id = Some(correlation_id);
        result.extra = response.extra.clone();
        if let Some(foci) = &response.foci {
            result
                .extra
                .insert("foci".into(), Value::String(foci.clone()));
        }
        result
    }

    /// A result served from the cache.
    pub(crate) fn result_from_cache(
        &self,
        at: &CachedAccessToken,
        requested: Vec<String>,
        account: Option<Account>,
        id_token: Option<&msal_cache::CachedIdToken>,
        correlation_id: Option<String>,
    ) -> AuthenticationResult {
        let hit = CacheHit::new(at, id_token);
        self.answer_from_hit(&hit, requested, account, correlation_id)
    }

    /// The result of a cache hit, counted for telemetry.
    #[inline]
    pub(crate) fn answer_from_hit(
        &self,
        hit: &CacheHit,
        requested: Vec<String>,
        account: Option<Account>,
        correlation_id: Option<String>,
    ) -> AuthenticationResult {
        self.client.telemetry().record_cache_hit();
        hit.result(
            requested,
            account,
            correlation_id,
            self.result_clock.as_ref(),
        )
    }

    /// This thread's memoised bearer token for exactly `scopes` (app tokens when `home_account_id`
    /// is `None`, else that account's), while the cache is unchanged: the token and its expiry,
    /// with no [`AuthenticationResult`] built. `None` sends the caller down the ordinary path,
    /// which answers from the cache (and memoises) or from the network.
    #[cfg(feature = "azure-core")]
    pub(crate) fn memoised_bearer(
        &self,
        home_account_id: Option<&str>,
        scopes: &[&str],
    ) -> Option<(String, SystemTime)> {
        let generation = self.cache.generation()?;
        let hits = if home_account_id.is_some() {
            &self.user_hits
        } else {
            &self.app_hits
        };
        let hit = hits.matching(generation, home_account_id, scopes, self.now())?;
        let (token, expires_on) = hit.bearer()?;
        self.client.telemetry().record_cache_hit();
        Some((token.secret().to_owned(), expires_on))
    }

    /// Whether a cached AT is usable now, and if not, why (for telemetry).
    pub(crate) fn usable(&self, at: &CachedAccessToken) -> Result<(), CacheInfo> {
        usable_at(at.expires_on(), at.refresh_on(), self.now())
    }
}
