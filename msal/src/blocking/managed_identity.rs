//! [`ManagedIdentityClient`], blocking.

use std::{sync::Arc, time::Duration};

use msal_core::{AsyncSleep, Clock, Env, Result, http::HttpClient};
use msal_managed_identity::{ManagedIdentity, ManagedIdentitySource};
use tokio::runtime::Runtime;

use super::{AcquireManagedIdentityToken, runtime};
use crate::{HttpCache, TokenCache};

/// A managed-identity client whose requests block: see
/// [`crate::managed_identity::ManagedIdentityClient`].
#[derive(Clone, Debug)]
pub struct ManagedIdentityClient {
    client: msal_managed_identity::ManagedIdentityClient,
    rt: Arc<Runtime>,
}

impl ManagedIdentityClient {
    /// A client for `identity` that sends requests through `http`. Fails only when the
    /// runtime cannot be started.
    pub fn new(
        identity: impl Into<ManagedIdentity>,
        http: impl HttpClient + 'static,
    ) -> Result<Self> {
        Self::from_async(msal_managed_identity::ManagedIdentityClient::new(
            identity, http,
        ))
    }

    /// Wraps an async client (sharing its caches) with a new runtime.
    pub fn from_async(client: msal_managed_identity::ManagedIdentityClient) -> Result<Self> {
        Ok(Self {
            client,
            rt: runtime()?,
        })
    }

    /// The async client inside.
    pub fn as_async(&self) -> &msal_managed_identity::ManagedIdentityClient {
        &self.client
    }

    /// Uses `cache` for tokens.
    pub fn with_token_cache(self, cache: TokenCache) -> Self {
        self.map(|c| c.with_token_cache(cache))
    }

    /// Uses `cache` for throttling state.
    pub fn with_http_cache(self, cache: HttpCache) -> Self {
        self.map(|c| c.with_http_cache(cache))
    }

    /// Declares client capabilities (e.g. `["CP1"]`).
    pub fn with_client_capabilities(
        self,
        caps: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.map(|c| c.with_client_capabilities(caps))
    }

    /// Reads the environment from `env` instead of the process.
    pub fn with_env(self, env: Env) -> Self {
        self.map(|c| c.with_env(env))
    }

    /// Uses `clock` for expiry, refresh and throttling decisions (tests).
    pub fn with_clock(self, clock: impl Clock + 'static) -> Self {
        self.map(|c| c.with_clock(clock))
    }

    /// Waits between IMDS retries with `sleep` (tests).
    #[deprecated(
        note = "build the async client with `ManagedIdentityClient::builder(..).sleep_impl(..)` and wrap it with `from_async`"
    )]
    #[expect(deprecated, reason = "the blocking twin of a deprecated method")]
    pub fn with_sleep(self, sleep: impl AsyncSleep + 'static) -> Self {
        self.map(|c| c.with_sleep(sleep))
    }

    /// The deadline of each request.
    #[deprecated(
        note = "build the async client with `ManagedIdentityClient::builder(..).timeout(..)` and wrap it with `from_async`"
    )]
    #[expect(deprecated, reason = "the blocking twin of a deprecated method")]
    pub fn with_timeout(self, timeout: Duration) -> Self {
        self.map(|c| c.with_timeout(timeout))
    }

    /// The identity this client acquires tokens for.
    pub fn identity(&self) -> &ManagedIdentity {
        self.client.identity()
    }

    /// The token cache.
    pub fn token_cache(&self) -> &TokenCache {
        self.client.token_cache()
    }

    /// The source this machine would use (detection only, no request).
    pub fn source(&self) -> ManagedIdentitySource {
        self.client.source()
    }

    /// A token for `resource` (a resource, not a scope).
    pub fn acquire_token_for_client(
        &self,
        resource: impl Into<String>,
    ) -> AcquireManagedIdentityToken<'_> {
        AcquireManagedIdentityToken::new(&self.rt, self.client.acquire_token_for_client(resource))
    }

    fn map(
        self,
        f: impl FnOnce(
            msal_managed_identity::ManagedIdentityClient,
        ) -> msal_managed_identity::ManagedIdentityClient,
    ) -> Self {
        Self {
            client: f(self.client),
            rt: self.rt,
        }
    }
}
