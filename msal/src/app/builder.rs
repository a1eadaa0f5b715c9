//! The options both application builders share (the constructor table in [`crate::guide`]).
//! `build()` does no network I/O: discovery is lazy and single-flight.

use std::{sync::Arc, time::Duration};

use msal_authority::{
    Authority, AuthorityResolver, DiscoveryCache, InstanceDiscovery, IntoAuthority, Region,
};
use msal_cache::TokenCache;
use msal_core::{
    AsyncSleep, ClientCredential, Clock, CoarseClock, Env, Error,
    http::HttpClient,
    single_flight::SingleFlight,
    token_endpoint::{
        TokenEndpointClient, TokenEndpointConfig, telemetry::TelemetryBuffer, throttle::HttpCache,
    },
};
use serde_json::{Map, Value};

use super::core::AppCore;

/// The default authority, as MSAL Python's.
pub(crate) const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com/common";

#[derive(Debug, Default)]
pub(crate) struct CommonBuilder {
    pub(crate) client_id: String,
    pub(crate) authority: Option<Result<Authority, Error>>,
    pub(crate) oidc_authority: Option<String>,
    pub(crate) validate_authority: Option<bool>,
    pub(crate) instance_discovery: Option<InstanceDiscovery>,
    pub(crate) known_authorities: Vec<String>,
    pub(crate) region: Option<Region>,
    pub(crate) token_cache: Option<TokenCache>,
    pub(crate) http_client: Option<Arc<dyn HttpClient>>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) app_name: Option<String>,
    pub(crate) app_version: Option<String>,
    pub(crate) client_capabilities: Vec<String>,
    pub(crate) exclude_scopes: Vec<String>,
    pub(crate) http_cache: Option<HttpCache>,
    pub(crate) enable_pii_log: bool,
    pub(crate) clock: Option<Arc<dyn Clock>>,
    pub(crate) sleep: Option<Arc<dyn AsyncSleep>>,
    pub(crate) env: Option<Env>,
    pub(crate) allow_http_authority: bool,
    pub(crate) discovery_cache: Option<DiscoveryCache>,
    pub(crate) client_claims: Option<Map<String, Value>>,
    #[cfg(feature = "pop")]
    pub(crate) pop_key: Option<msal_pop::PopKey>,
}

/// Generates the shared builder methods on a builder with a `common: CommonBuilder` field.
macro_rules! common_builder_methods {
    () => {
        /// The authority: `https://login.microsoftonline.com/{tenant}`, a B2C, AD FS or CIAM URL,
        /// or an [`Authority`](msal_authority::Authority). Errors surface here or in `build()`.
        pub fn authority(
            mut self,
            authority: impl msal_authority::IntoAuthority,
        ) -> msal_core::Result<Self> {
            self.common.set_authority(authority)?;
            Ok(self)
        }

        /// A generic OpenID Connect provider (Python's `oidc_authority`); cannot be combined with
        /// [`authority`](Self::authority).
        pub fn oidc_authority(mut self, url: impl Into<String>) -> msal_core::Result<Self> {
            self.common.set_oidc_authority(url.into())?;
            Ok(self)
        }

        /// `false` treats the authority as known to the developer: no instance discovery.
        pub fn validate_authority(mut self, yes: bool) -> Self {
            self.common.validate_authority = Some(yes);
            self
        }

        /// Instance discovery: enabled (default), disabled, or at another endpoint.
        pub fn instance_discovery(mut self, d: msal_authority::InstanceDiscovery) -> Self {
            self.common.instance_discovery = Some(d);
            self
        }

        /// Hosts the developer vouches for (private clouds, Azure Stack): no instance discovery.
        pub fn known_authorities(
            mut self,
            hosts: impl IntoIterator<Item = impl Into<String>>,
        ) -> Self {
            self.common.known_authorities = hosts.into_iter().map(Into::into).collect();
            self
        }

        /// The token cache (default: a new in-memory cache). Share one `TokenCache` between apps to
        /// share tokens; give it a store to persist it.
        pub fn token_cache(mut self, cache: msal_cache::TokenCache) -> Self {
            self.common.token_cache = Some(cache);
            self
        }

        /// The transport. Required when no transport feature (`reqwest`, `hyper`) is enabled.
        pub fn http_client(mut self, client: impl msal_core::http::HttpClient + 'static) -> Self {
            self.common.http_client = Some(std::sync::Arc::new(client));
            self
        }

        /// The deadline of each HTTP request (default 30 s).
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.common.timeout = Some(timeout);
            self
        }

        /// Sent as `x-app-name`.
        pub fn app_name(mut self, name: impl Into<String>) -> Self {
            self.common.app_name = Some(name.into());
            self
        }

        /// Sent as `x-app-ver`.
        pub fn app_version(mut self, version: impl Into<String>) -> Self {
            self.common.app_version = Some(version.into());
            self
        }

        /// Client capabilities such as `CP1` (continuous access evaluation), sent in `claims`.
        pub fn client_capabilities(
            mut self,
            caps: impl IntoIterator<Item = impl Into<String>>,
        ) -> Self {
            self.common.client_capabilities = caps.into_iter().map(Into::into).collect();
            self
        }

        /// Reserved scopes not to add (typically `offline_access`); `openid` cannot be excluded.
        pub fn exclude_scopes(
            mut self,
            scopes: impl IntoIterator<Item = impl Into<String>>,
        ) -> Self {
            self.common.exclude_scopes = scopes.into_iter().map(Into::into).collect();
            self
        }

        /// Throttling state; share one between apps to share throttles.
        pub fn http_cache(mut self, cache: msal_core::token_endpoint::throttle::HttpCache) -> Self {
            self.common.http_cache = Some(cache);
            self
        }

        /// Allow personal data (usernames, tenant and object ids) in `tracing` events. Secrets are
        /// never logged either way.
        pub fn enable_pii_log(mut self, yes: bool) -> Self {
            self.common.enable_pii_log = yes;
            self
        }

        /// The clock (tests; by default [`CoarseClock`](msal_core::CoarseClock), the wall clock
        /// at the kernel tick's resolution).
        pub fn clock(mut self, clock: impl msal_core::Clock + 'static) -> Self {
            self.common.clock = Some(std::sync::Arc::new(clock));
            self
        }

        /// How the library waits (retry back-off, device-code polling). Default: tokio's timer.
        pub fn sleep_impl(mut self, sleep: impl msal_core::AsyncSleep + 'static) -> Self {
            self.common.sleep = Some(std::sync::Arc::new(sleep));
            self
        }

        /// Where environment variables are read from (tests).
        pub fn env(mut self, env: msal_core::Env) -> Self {
            self.common.env = Some(env);
            self
        }

        /// Accept `http://` authorities on loopback hosts. **Tests only**: over plain http a token
        /// request would expose the client's secret.
        pub fn danger_allow_http_authority(mut self, yes: bool) -> Self {
            self.common.allow_http_authority = yes;
            self
        }

        /// A private discovery cache instead of the process-wide one (tests counting requests).
        pub fn discovery_cache(mut self, cache: msal_authority::DiscoveryCache) -> Self {
            self.common.discovery_cache = Some(cache);
            self
        }
    };
}
pub(crate) use common_builder_methods;

impl CommonBuilder {
    pub(crate) fn new(client_id: String) -> Self {
        Self {
            client_id,
            ..Self::default()
        }
    }

    pub(crate) fn set_authority(&mut self, authority: impl IntoAuthority) -> Result<(), Error> {
        let result = authority.into_authority(self.allow_http_authority);
        let err = result.as_ref().err().cloned();
        self.authority = Some(result);
        match err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    pub(crate) fn set_oidc_authority(&mut self, url: String) -> Result<(), Error> {
        Authority::oidc(&url, self.allow_http_authority)?;
        self.oidc_authority = Some(url);
        Ok(())
    }

    pub(crate) fn region(&mut self, region: Region) {
        self.region = Some(region);
    }

    /// Builds the shared core; `confidential` decides `MSAL_FORCE_REGION` and credentials.
    pub(crate) fn build(self, credential: Option<ClientCredential>) -> Result<AppCore, Error> {
        if self.client_id.trim().is_empty() {
            return Err(Error::Configuration("the client id is empty".into()));
        }
        if self.exclude_scopes.iter().any(|s| s == "openid") {
            return Err(Error::Configuration("\"openid\" cannot be excluded".into()));
        }
        let authority = match (self.authority, self.oidc_authority) {
            (Some(_), Some(_)) => {
                return Err(Error::Configuration(
                    "set either authority or oidc_authority, not both".into(),
                ));
            }
            (Some(a), None) => {
                // Re-parse: the http switch may have been set after `.authority(..)`.
                let a = a?;
                Authority::parse_with(&a.url(), self.allow_http_authority).or(Ok::<_, Error>(a))?
            }
            (None, Some(url)) => Authority::oidc(&url, self.allow_http_authority)?,
            (None, None) => Authority::parse(DEFAULT_AUTHORITY)?,
        };
        let env = self.env.unwrap_or_default();
        let region = Region::resolve(self.region.as_ref(), &env, credential.is_some())?;
        let result_clock = self.clock.clone();
        // The coarse clock by default: a memoised hit reads it once, and a tick is nothing to
        // the five-minute buffer (see `CoarseClock`).
        let clock: Arc<dyn Clock> = self.clock.unwrap_or_else(|| Arc::new(CoarseClock));
        let sleep = match self.sleep {
            Some(s) => s,
            None => default_sleep()?,
        };
        let http = match self.http_client {
            Some(h) => h,
            None => crate::http::default_client()?,
        };
        let mut config = TokenEndpointConfig::default();
        config.http_cache = self.http_cache.unwrap_or_default();
        config.telemetry = TelemetryBuffer::new();
        config.timeout = self
            .timeout
            .unwrap_or(msal_core::token_endpoint::DEFAULT_TIMEOUT);
        config.app_name = self.app_name;
        config.app_version = self.app_version;
        let client = TokenEndpointClient::new(http, clock.clone(), sleep.clone(), config);
        let mut resolver = AuthorityResolver::new(client.clone())
            .instance_discovery(self.instance_discovery.unwrap_or_default())
            .known_authorities(self.known_authorities)
            .validate_authority(self.validate_authority.unwrap_or(true))
            .allow_http_loopback(self.allow_http_authority);
        if let Some(c) = self.discovery_cache {
            resolver = resolver.cache(c);
        }
        Ok(AppCore {
            client_id: self.client_id,
            credential,
            authority,
            resolver,
            client,
            cache: self.token_cache.unwrap_or_default(),
            clock,
            sleep,
            env,
            exclude_scopes: self.exclude_scopes,
            client_capabilities: self.client_capabilities,
            client_claims: self.client_claims,
            region,
            detected_region: std::sync::Mutex::new(None),
            region_flight: SingleFlight::new(),
            enable_pii_log: self.enable_pii_log,
            token_flights: SingleFlight::new(),
            environments: std::sync::OnceLock::new(),
            app_hits: Default::default(),
            user_hits: Default::default(),
            result_clock,
            #[cfg(feature = "pop")]
            pop_key: match self.pop_key {
                Some(k) => Some(k),
                None => msal_pop::PopKey::generate_es256().ok(),
            },
        })
    }
}

fn default_sleep() -> Result<Arc<dyn AsyncSleep>, Error> {
    #[cfg(any(
        feature = "reqwest",
        feature = "hyper",
        feature = "interactive",
        feature = "blocking"
    ))]
    {
        Ok(Arc::new(msal_core::TokioSleep))
    }
    #[cfg(not(any(
        feature = "reqwest",
        feature = "hyper",
        feature = "interactive",
        feature = "blocking"
    )))]
    {
        Err(Error::Configuration(
            "no async runtime feature is enabled: set .sleep_impl(..) (used for retry back-off and device-code polling)".into(),
        ))
    }
}
