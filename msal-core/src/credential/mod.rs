//! How a confidential client proves who it is at the token endpoint.
//!
//! A secret goes in the body as `client_secret` (never HTTP Basic: MSAL Python never uses it, and
//! Entra treats both the same). Every other kind becomes a JWT `client_assertion` with
//! `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.

#[cfg(feature = "certificate")]
mod certificate;
#[cfg(feature = "certificate")]
mod x509;

use std::{
    fmt,
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

#[cfg(feature = "certificate")]
pub use certificate::Certificate;
use serde_json::{Map, Value};

use crate::{ClientSecret, Clock, Error, SystemClock, http::BoxError, token_endpoint::Form};

/// The `client_assertion_type` of JWT client authentication.
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What an [`AssertionProvider`] is told about the request it signs for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssertionContext {
    /// The application's client id.
    pub client_id: String,
    /// The token endpoint the assertion is for (its `aud`).
    pub token_endpoint: String,
    /// The FMI path of the request, if any.
    pub fmi_path: Option<String>,
}

impl AssertionContext {
    /// A context for `client_id` at `token_endpoint`.
    pub fn new(client_id: impl Into<String>, token_endpoint: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            token_endpoint: token_endpoint.into(),
            fmi_path: None,
        }
    }
}

/// Supplies a client assertion for each token request (a federated credential from a workload
/// identity, a key held in an HSM, ...).
///
/// Implemented for async closures:
/// ```
/// use msal_core::credential::{AssertionContext, ClientCredential};
/// let cred = ClientCredential::assertion_callback(|ctx: AssertionContext| async move {
///     Ok::<_, msal_core::http::BoxError>(format!("jwt-for-{}", ctx.client_id))
/// });
/// ```
#[async_trait::async_trait]
pub trait AssertionProvider: Send + Sync {
    /// The assertion to send with the request described by `ctx`.
    async fn assertion(&self, ctx: AssertionContext) -> Result<String, BoxError>;
}

#[async_trait::async_trait]
impl<F, Fut> AssertionProvider for F
where
    F: Fn(AssertionContext) -> Fut + Send + Sync,
    Fut: Future<Output = Result<String, BoxError>> + Send,
{
    async fn assertion(&self, ctx: AssertionContext) -> Result<String, BoxError> {
        self(ctx).await
    }
}

/// Memoises an [`AssertionProvider`]: the assertion is fetched again only after `expires_in`
/// (Python's `AutoRefresher`, default 540 s for 10-minute assertions).
pub struct AutoRefresher<P> {
    provider: P,
    expires_in: Duration,
    clock: Arc<dyn Clock>,
    cached: Mutex<Option<(SystemTime, String)>>,
}

impl<P> fmt::Debug for AutoRefresher<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AutoRefresher")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

impl<P: AssertionProvider> AutoRefresher<P> {
    /// Caches what `provider` returns for `expires_in`.
    pub fn new(provider: P, expires_in: Duration) -> Self {
        Self {
            provider,
            expires_in,
            clock: Arc::new(SystemClock),
            cached: Mutex::new(None),
        }
    }

    /// Reads time from `clock` (tests).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}

#[async_trait::async_trait]
impl<P: AssertionProvider> AssertionProvider for AutoRefresher<P> {
    async fn assertion(&self, ctx: AssertionContext) -> Result<String, BoxError> {
        let now = self.clock.now();
        if let Some((fetched, a)) = &*self.cached.lock().unwrap_or_else(|p| p.into_inner())
            && now < *fetched + self.expires_in
        {
            return Ok(a.clone());
        }
        // The lock is not held across the await: two concurrent misses both call the provider,
        // which is harmless (assertions are idempotent) and keeps a slow provider from blocking.
        let fresh = self.provider.assertion(ctx).await?;
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some((now, fresh.clone()));
        Ok(fresh)
    }
}

#[derive(Clone)]
enum CredentialKind {
    Secret(ClientSecret),
    #[cfg(feature = "certificate")]
    Certificate(Certificate),
    Assertion(ClientSecret),
    Callback(Arc<dyn AssertionProvider>),
}

/// A confidential client's credential. `Debug` never shows the secret or key.
#[derive(Clone)]
pub struct ClientCredential {
    kind: CredentialKind,
}

impl fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            CredentialKind::Secret(_) => f.write_str("ClientCredential::Secret([redacted])"),
            #[cfg(feature = "certificate")]
            CredentialKind::Certificate(c) => f
                .debug_tuple("ClientCredential::Certificate")
                .field(c)
                .finish(),
            CredentialKind::Assertion(_) => f.write_str("ClientCredential::Assertion([redacted])"),
            CredentialKind::Callback(_) => f.write_str("ClientCredential::AssertionCallback"),
        }
    }
}

impl ClientCredential {
    /// A client secret, sent as `client_secret`.
    pub fn secret(secret: impl Into<ClientSecret>) -> Self {
        Self {
            kind: CredentialKind::Secret(secret.into()),
        }
    }

    /// A certificate: MSAL signs a fresh assertion every ~9 minutes.
    #[cfg(feature = "certificate")]
    pub fn certificate(cert: Certificate) -> Self {
        Self {
            kind: CredentialKind::Certificate(cert),
        }
    }

    /// A ready-made assertion, sent as is. It will expire; prefer
    /// [`assertion_callback`](Self::assertion_callback). A warning is logged, as MSAL Python does.
    pub fn assertion(jwt: impl Into<String>) -> Self {
        tracing::warn!(target: "msal::credential", "a static client assertion will expire; prefer an assertion callback");
        Self {
            kind: CredentialKind::Assertion(ClientSecret::new(jwt)),
        }
    }

    /// An assertion fetched for each request.
    pub fn assertion_callback(provider: impl AssertionProvider + 'static) -> Self {
        Self {
            kind: CredentialKind::Callback(Arc::new(provider)),
        }
    }

    /// Whether this is a client secret (which AD FS and OIDC providers accept as `client_secret`).
    pub fn is_secret(&self) -> bool {
        matches!(self.kind, CredentialKind::Secret(_))
    }

    /// Adds client authentication to a token-request form.
    ///
    /// `client_claims` go into certificate assertions; `force_sha1` selects `x5t`/RS256 (AD FS).
    pub async fn apply(
        &self,
        form: &mut Form,
        ctx: AssertionContext,
        client_claims: Option<&Map<String, Value>>,
        clock: &dyn Clock,
        force_sha1: bool,
    ) -> Result<(), Error> {
        // Only certificates sign their own assertions.
        #[cfg(not(feature = "certificate"))]
        let _ = (client_claims, clock, force_sha1);
        let assertion = match &self.kind {
            CredentialKind::Secret(s) => {
                form.set("client_secret", s.secret());
                return Ok(());
            }
            #[cfg(feature = "certificate")]
            CredentialKind::Certificate(c) => c.assertion(
                &ctx.client_id,
                &ctx.token_endpoint,
                client_claims,
                clock,
                force_sha1,
            )?,
            CredentialKind::Assertion(a) => a.secret().to_owned(),
            CredentialKind::Callback(p) => p.assertion(ctx).await.map_err(|e| {
                Error::Configuration(format!("the client assertion callback failed: {e}"))
            })?,
        };
        if assertion.is_empty() {
            return Err(Error::Configuration("the client assertion is empty".into()));
        }
        form.set("client_assertion", assertion);
        form.set("client_assertion_type", JWT_BEARER_ASSERTION_TYPE);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
