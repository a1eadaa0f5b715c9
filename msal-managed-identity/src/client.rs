//! [`ManagedIdentityClient`] and its request builder.

use std::{
    fmt,
    future::{Future, IntoFuture},
    pin::Pin,
    sync::Arc,
    time::Duration,
};

use msal_cache::TokenCache;
use msal_core::{
    AsyncSleep, AuthenticationResult, Clock, CoarseClock, Env, Result, http::HttpClient,
    single_flight::SingleFlight, token_endpoint::throttle::HttpCache,
};

use crate::{
    identity::ManagedIdentity,
    source::{self, ManagedIdentitySource},
};

pub use msal_core::http::DEFAULT_TIMEOUT;

/// Acquires tokens for an Azure managed identity (MSAL Python's `ManagedIdentityClient`).
///
/// Cheap to clone: clones share the configuration, the token cache, the throttling state and
/// the in-flight requests. The `with_*` methods configure a client before it is shared; each
/// returns a new client and leaves earlier clones as they were.
///
/// What a call does (MSAL Python's `ManagedIdentityClient.acquire_token_for_client`):
/// 1. Looks in the token cache (`environment` `localhost`, `realm` `managed_identity`,
///    `client_id` the identity's id, `null` for system-assigned, as MSAL Python writes them).
///    A token with more than 5 minutes left is returned, unless its `refresh_on` has passed, in
///    which case a refresh is tried and the cached token is returned if the refresh fails.
/// 2. Otherwise detects the source from the environment and asks it, once for all concurrent
///    callers of the same resource. IMDS answers of 404, 408, 410, 429 and 5xx are retried
///    three times with exponential back-off (1 s, 2 s, 4 s, or longer when `Retry-After` says so)
///    through the [`AsyncSleep`]; a 429/5xx that remains holds identical requests back for its
///    `Retry-After` (default 5 s) as [`Error::Throttled`](msal_core::Error::Throttled).
/// 3. Caches the token with `refresh_on` at half its lifetime when it lives two hours or more.
///
/// ```no_run
/// use msal_managed_identity::{ManagedIdentityClient, UserAssignedManagedIdentity};
/// # async fn demo(http: impl msal_core::http::HttpClient + 'static) -> msal_core::Result<()> {
/// let client = ManagedIdentityClient::new(UserAssignedManagedIdentity::client_id("00000000-0000-4000-8000-0000000000b1"), http);
/// let token = client.acquire_token_for_client("https://management.azure.com/").await?;
/// println!("expires in {:?}", token.expires_in());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ManagedIdentityClient {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: Config,
    /// One request per (resource, revoked token) at a time.
    pub(crate) flights:
        SingleFlight<msal_cache::acquire::FlightKey<FlightKey>, AuthenticationResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FlightKey {
    pub(crate) resource: String,
    pub(crate) token_sha256_to_refresh: Option<String>,
}

#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) identity: ManagedIdentity,
    pub(crate) http: Arc<dyn HttpClient>,
    pub(crate) token_cache: TokenCache,
    pub(crate) http_cache: HttpCache,
    pub(crate) capabilities: Vec<String>,
    pub(crate) env: Env,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) sleep: Option<Arc<dyn AsyncSleep>>,
    pub(crate) timeout: Duration,
}

impl fmt::Debug for Config {
    // `Env` is left out on purpose: a fixed environment's Debug would print IDENTITY_HEADER
    // and MSI_SECRET. So are the cache's contents: this Debug must be safe to log whatever the
    // cache type's own Debug shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedIdentityClient")
            .field("identity", &self.identity)
            .field("http", &self.http)
            .field("token_cache", &format_args!("TokenCache {{ .. }}"))
            .field("http_cache", &self.http_cache)
            .field("capabilities", &self.capabilities)
            .field("clock", &self.clock)
            .field("sleep", &self.sleep)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn default_sleep() -> Option<Arc<dyn AsyncSleep>> {
    #[cfg(feature = "tokio")]
    {
        Some(Arc::new(msal_core::TokioSleep))
    }
    #[cfg(not(feature = "tokio"))]
    {
        None
    }
}

/// Builds a [`ManagedIdentityClient`] with the option names the application builders use
/// (`token_cache`, `clock`, `sleep_impl`, `timeout`, ...).
///
/// ```
/// # fn demo(http: impl msal_core::http::HttpClient + 'static) {
/// use std::time::Duration;
/// use msal_managed_identity::{ManagedIdentityClient, SystemAssignedManagedIdentity};
///
/// let client = ManagedIdentityClient::builder(SystemAssignedManagedIdentity, http)
///     .timeout(Duration::from_secs(10))
///     .build();
/// # let _ = client; }
/// ```
#[must_use = "a builder does nothing until `build()`"]
#[derive(Debug)]
pub struct ManagedIdentityClientBuilder {
    config: Config,
}

impl ManagedIdentityClientBuilder {
    /// Uses `cache` for tokens (default: a new in-memory cache).
    pub fn token_cache(mut self, cache: TokenCache) -> Self {
        self.config.token_cache = cache;
        self
    }

    /// Uses `cache` for throttling state (MSAL Python's `http_cache`); clones share state.
    pub fn http_cache(mut self, cache: HttpCache) -> Self {
        self.config.http_cache = cache;
        self
    }

    /// Declares client capabilities (e.g. `["CP1"]`), sent as `xms_cc` to Service Fabric.
    pub fn client_capabilities(
        mut self,
        caps: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.config.capabilities = caps.into_iter().map(Into::into).collect();
        self
    }

    /// Reads the managed-identity variables and well-known files from `env` (tests).
    pub fn env(mut self, env: Env) -> Self {
        self.config.env = env;
        self
    }

    /// Uses `clock` for expiry, refresh and throttling decisions (tests).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.config.clock = Arc::new(clock);
        self
    }

    /// Waits between IMDS retries with `sleep` (default: tokio's timer with feature `tokio`).
    pub fn sleep_impl(mut self, sleep: impl AsyncSleep + 'static) -> Self {
        self.config.sleep = Some(Arc::new(sleep));
        self
    }

    /// The deadline of each request (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// The client.
    pub fn build(self) -> ManagedIdentityClient {
        ManagedIdentityClient::from_config(self.config)
    }
}

impl ManagedIdentityClient {
    /// A client for `identity` that sends requests through `http`.
    ///
    /// Defaults: a new in-memory [`TokenCache`] and [`HttpCache`], no client capabilities, the
    /// process environment, `CoarseClock`, tokio's timer for IMDS back-off (feature `tokio`;
    /// without it and without [`sleep_impl`](ManagedIdentityClientBuilder::sleep_impl), IMDS is not retried), and a
    /// 30 s deadline per request.
    pub fn new(identity: impl Into<ManagedIdentity>, http: impl HttpClient + 'static) -> Self {
        Self::builder(identity, http).build()
    }

    /// A builder for a client for `identity` that sends requests through `http`, with the
    /// defaults of [`new`](Self::new).
    pub fn builder(
        identity: impl Into<ManagedIdentity>,
        http: impl HttpClient + 'static,
    ) -> ManagedIdentityClientBuilder {
        ManagedIdentityClientBuilder {
            config: Config {
                identity: identity.into(),
                http: Arc::new(http),
                token_cache: TokenCache::new(),
                http_cache: HttpCache::new(),
                capabilities: Vec::new(),
                env: Env::process(),
                clock: Arc::new(CoarseClock),
                sleep: default_sleep(),
                timeout: DEFAULT_TIMEOUT,
            },
        }
    }

    fn from_config(config: Config) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                flights: SingleFlight::new(),
            }),
        }
    }

    fn with(self, change: impl FnOnce(&mut Config)) -> Self {
        let mut config = self.inner.config.clone();
        change(&mut config);
        Self::from_config(config)
    }

    /// Uses `cache` for tokens (share it with MSAL Python through a file store if you like:
    /// the entries are the same).
    pub fn with_token_cache(self, cache: TokenCache) -> Self {
        self.with(|c| c.token_cache = cache)
    }

    /// Uses `cache` for throttling state (MSAL Python's `http_cache`); clones share state.
    pub fn with_http_cache(self, cache: HttpCache) -> Self {
        self.with(|c| c.http_cache = cache)
    }

    /// Declares client capabilities (e.g. `["CP1"]`), sent as `xms_cc` to Service Fabric, the
    /// one source that takes them (as in MSAL Python).
    pub fn with_client_capabilities(
        self,
        caps: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let caps = caps.into_iter().map(Into::into).collect();
        self.with(|c| c.capabilities = caps)
    }

    /// Reads the managed-identity variables and well-known files from `env` instead of the
    /// process (tests).
    ///
    /// Besides the variables each source sets, one test hook is read, and only from an `env`
    /// given here (never from the process environment):
    /// [`ARC_KEY_DIRECTORY_VAR`](crate::ARC_KEY_DIRECTORY_VAR) replaces the Azure Arc key
    /// directory.
    pub fn with_env(self, env: Env) -> Self {
        self.with(|c| c.env = env)
    }

    /// Uses `clock` for expiry, refresh and throttling decisions (tests).
    pub fn with_clock(self, clock: impl Clock + 'static) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(clock);
        self.with(|c| c.clock = clock)
    }

    /// Waits between IMDS retries with `sleep` (tests use
    /// [`InstantSleep`](msal_core::InstantSleep) or [`ManualSleep`](msal_core::ManualSleep)).
    #[deprecated(
        note = "use `ManagedIdentityClient::builder(..).sleep_impl(..)`, named as the apps' option"
    )]
    pub fn with_sleep(self, sleep: impl AsyncSleep + 'static) -> Self {
        let sleep: Arc<dyn AsyncSleep> = Arc::new(sleep);
        self.with(|c| c.sleep = Some(sleep))
    }

    /// The deadline of each request (default [`DEFAULT_TIMEOUT`]).
    #[deprecated(
        note = "use `ManagedIdentityClient::builder(..).timeout(..)`, named as the apps' option"
    )]
    pub fn with_timeout(self, timeout: Duration) -> Self {
        self.with(|c| c.timeout = timeout)
    }

    /// The identity this client acquires tokens for.
    pub fn identity(&self) -> &ManagedIdentity {
        &self.inner.config.identity
    }

    /// The token cache.
    pub fn token_cache(&self) -> &TokenCache {
        &self.inner.config.token_cache
    }

    /// The throttling state.
    pub fn http_cache(&self) -> &HttpCache {
        &self.inner.config.http_cache
    }

    /// The source this machine would use: environment variables and well-known files only,
    /// no request and no file read beyond a stat.
    pub fn source(&self) -> ManagedIdentitySource {
        source::detect(&self.inner.config.env)
    }

    /// A token for `resource` (e.g. `https://management.azure.com/`; a resource, not a scope).
    ///
    /// Add [`claims_challenge`](AcquireManagedIdentityToken::claims_challenge) after a resource
    /// rejected the token; then `.await` it (or call `send()`).
    pub fn acquire_token_for_client(
        &self,
        resource: impl Into<String>,
    ) -> AcquireManagedIdentityToken<'_> {
        AcquireManagedIdentityToken {
            client: self,
            resource: resource.into(),
            claims_challenge: None,
        }
    }
}

/// A managed-identity token request; see [`ManagedIdentityClient::acquire_token_for_client`].
///
/// `.await` it directly or call [`send`](Self::send); the future is `Send`.
#[derive(Debug)]
#[must_use = "a request does nothing until awaited or sent"]
pub struct AcquireManagedIdentityToken<'a> {
    client: &'a ManagedIdentityClient,
    resource: String,
    claims_challenge: Option<String>,
}

impl AcquireManagedIdentityToken<'_> {
    /// The claims challenge a resource returned (its `WWW-Authenticate` `claims`): skips the
    /// cache and, where the source supports it (Service Fabric), tells it which cached token
    /// was rejected (`token_sha256_to_refresh`) so it is not handed out again.
    pub fn claims_challenge(mut self, claims: impl Into<String>) -> Self {
        self.claims_challenge = Some(claims.into()).filter(|c| !c.is_empty());
        self
    }

    /// Runs the request.
    pub async fn send(self) -> Result<AuthenticationResult> {
        self.client
            .acquire(self.resource, self.claims_challenge.is_some())
            .await
    }
}

impl<'a> IntoFuture for AcquireManagedIdentityToken<'a> {
    type Output = Result<AuthenticationResult>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
