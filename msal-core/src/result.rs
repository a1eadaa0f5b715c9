//! What a successful token request gives the caller.

use std::{
    fmt,
    sync::Arc,
    time::{Duration, SystemTime},
};

use serde::{Deserialize, Serialize};

use crate::{
    AccessToken, Account, AuthorizationCode, Clock, IdToken, IdTokenClaims, SystemClock,
    token_response::ExtraKeys,
};

/// Where a token came from.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// The token cache; no request was sent.
    Cache,
    /// The identity provider (token endpoint or managed-identity endpoint).
    IdentityProvider,
    /// An authentication broker (never produced by this library; kept for parity).
    Broker,
}

/// A token and what the library knows about it.
///
/// Cheap to return and to clone: the token and its expiry are inline, and everything else (the
/// token type, scopes, ID token and claims, account, tenant, extra fields) sits in one shared,
/// immutable part that the cache entry and every result built from it reuse. A result is at
/// most 64 bytes, and cloning one, or building one on a cache hit, allocates nothing.
///
/// The refresh token is deliberately absent: it lives in the cache (as in MSAL.NET), so it
/// cannot end up in an application's logs or session store.
///
/// `Debug` redacts the tokens and shows only the names of the [`extra`](Self::extra) fields.
#[non_exhaustive]
#[derive(Clone)]
pub struct AuthenticationResult {
    access_token: AccessToken,
    expires_on: SystemTime,
    correlation_id: Option<Arc<str>>,
    details: Arc<ResultDetails>,
    token_source: TokenSource,
}

// The promise made to callers (and checked here, at compile time): a result moves in a cache
// line.
const _: () = assert!(std::mem::size_of::<AuthenticationResult>() <= 64);

/// Everything a result says besides its token, expiry, source and correlation id: built once
/// per cache entry or token response, and shared by every result made from it.
///
/// Public for the other msal-rs crates, which build results; not part of the stable API.
#[doc(hidden)]
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct ResultDetails {
    /// `Bearer`, `pop`, `ssh-cert`, ...
    pub token_type: String,
    /// Extended expiry, for resilience during outages.
    pub ext_expires_on: Option<SystemTime>,
    /// When to refresh proactively.
    pub refresh_on: Option<SystemTime>,
    /// The granted scopes, else the requested ones.
    pub scopes: Vec<String>,
    /// The ID token, for user flows.
    pub id_token: Option<IdToken>,
    /// The ID token's claims, decoded without validation.
    pub id_token_claims: Option<IdTokenClaims>,
    /// The signed-in user.
    pub account: Option<Account>,
    /// The tenant that issued the token.
    pub tenant_id: Option<String>,
    /// The hybrid SPA flow's authorization code (`spa_code`).
    pub spa_code: Option<AuthorizationCode>,
    /// The hybrid SPA flow's access token (`spa_accesstoken`).
    pub spa_access_token: Option<AccessToken>,
    /// Other response fields; never credentials.
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// The clock the application was given, if any, for
    /// [`AuthenticationResult::expires_in`] (`None`: [`SystemClock`]).
    pub clock: Option<Arc<dyn Clock>>,
}

impl ResultDetails {
    /// Details with this token type and nothing else.
    pub fn new(token_type: impl Into<String>) -> Self {
        Self {
            token_type: token_type.into(),
            ..Self::default()
        }
    }
}

impl fmt::Debug for ResultDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultDetails")
            .field("token_type", &self.token_type)
            .field("scopes", &self.scopes)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for AuthenticationResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.details;
        f.debug_struct("AuthenticationResult")
            .field("access_token", &self.access_token)
            .field("token_type", &d.token_type)
            .field("expires_on", &self.expires_on)
            .field("ext_expires_on", &d.ext_expires_on)
            .field("refresh_on", &d.refresh_on)
            .field("scopes", &d.scopes)
            .field("id_token", &d.id_token)
            .field("id_token_claims", &d.id_token_claims)
            .field("account", &d.account)
            .field("tenant_id", &d.tenant_id)
            .field("token_source", &self.token_source)
            .field("correlation_id", &self.correlation_id)
            .field("spa_code", &d.spa_code)
            .field("spa_access_token", &d.spa_access_token)
            .field("extra", &ExtraKeys(&d.extra))
            .finish_non_exhaustive()
    }
}

impl AuthenticationResult {
    /// A result for `access_token` expiring at `expires_on`, with nothing else known.
    pub fn new(
        access_token: AccessToken,
        token_type: impl Into<String>,
        expires_on: SystemTime,
        token_source: TokenSource,
    ) -> Self {
        Self::from_parts(
            access_token,
            expires_on,
            token_source,
            Arc::new(ResultDetails::new(token_type)),
        )
    }

    /// A result from its token and the shared details (the other msal-rs crates build results
    /// this way; not stable API).
    #[doc(hidden)]
    #[inline]
    pub fn from_parts(
        access_token: AccessToken,
        expires_on: SystemTime,
        token_source: TokenSource,
        details: Arc<ResultDetails>,
    ) -> Self {
        Self {
            access_token,
            expires_on,
            correlation_id: None,
            details,
            token_source,
        }
    }

    /// The same result under `correlation_id` (not stable API).
    #[doc(hidden)]
    #[inline]
    pub fn with_correlation_id(mut self, correlation_id: Option<impl Into<Arc<str>>>) -> Self {
        self.correlation_id = correlation_id.map(Into::into);
        self
    }

    /// The details to change, copied first if another result shares them (not stable API).
    #[doc(hidden)]
    pub fn details_mut(&mut self) -> &mut ResultDetails {
        Arc::make_mut(&mut self.details)
    }

    /// The same result with another access token, such as a Signed HTTP Request over the bound
    /// token (not stable API).
    #[doc(hidden)]
    pub fn with_access_token(mut self, access_token: AccessToken) -> Self {
        self.access_token = access_token;
        self
    }

    /// Uses `clock` for [`expires_in`](Self::expires_in) (the application's clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.details_mut().clock = Some(clock);
        self
    }

    /// The access token, or the Signed HTTP Request when [`token_type`](Self::token_type) is
    /// `pop`.
    #[inline]
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// `Bearer`, `pop`, `ssh-cert`, ...
    #[inline]
    pub fn token_type(&self) -> &str {
        &self.details.token_type
    }

    /// When the access token expires.
    #[inline]
    pub fn expires_on(&self) -> SystemTime {
        self.expires_on
    }

    /// Extended expiry, for resilience during outages.
    #[inline]
    pub fn ext_expires_on(&self) -> Option<SystemTime> {
        self.details.ext_expires_on
    }

    /// When to refresh proactively, if the service (or managed identity) said.
    #[inline]
    pub fn refresh_on(&self) -> Option<SystemTime> {
        self.details.refresh_on
    }

    /// The granted scopes (the response's `scope`), else the requested ones.
    #[inline]
    pub fn scopes(&self) -> &[String] {
        &self.details.scopes
    }

    /// The ID token, for user flows.
    #[inline]
    pub fn id_token(&self) -> Option<&IdToken> {
        self.details.id_token.as_ref()
    }

    /// The ID token's claims, decoded without validation.
    #[inline]
    pub fn id_token_claims(&self) -> Option<&IdTokenClaims> {
        self.details.id_token_claims.as_ref()
    }

    /// The signed-in user; `None` for app-only and managed-identity tokens.
    #[inline]
    pub fn account(&self) -> Option<&Account> {
        self.details.account.as_ref()
    }

    /// The tenant that issued the token.
    #[inline]
    pub fn tenant_id(&self) -> Option<&str> {
        self.details.tenant_id.as_deref()
    }

    /// Whether this came from the cache or the identity provider.
    #[inline]
    pub fn token_source(&self) -> TokenSource {
        self.token_source
    }

    /// The correlation id of the request that produced it (none for a cache hit the caller
    /// gave no correlation id).
    #[inline]
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    /// The hybrid SPA flow's authorization code for the browser (`spa_code`), when the token
    /// request asked for one.
    #[inline]
    pub fn spa_code(&self) -> Option<&AuthorizationCode> {
        self.details.spa_code.as_ref()
    }

    /// The hybrid SPA flow's access token for the browser (`spa_accesstoken`), when sent.
    #[inline]
    pub fn spa_access_token(&self) -> Option<&AccessToken> {
        self.details.spa_access_token.as_ref()
    }

    /// Other response fields (`foci`, managed identity's `resource`, ...); never credentials
    /// (fields named like one are dropped, see
    /// [`is_secret_field`](crate::token_response::is_secret_field)).
    #[inline]
    pub fn extra(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.details.extra
    }

    /// Time left before expiry, zero if already expired (by the clock the application was
    /// given, else by [`SystemClock`]).
    pub fn expires_in(&self) -> Duration {
        let now = match &self.details.clock {
            Some(clock) => clock.now(),
            None => SystemClock.now(),
        };
        self.expires_on
            .duration_since(now)
            .unwrap_or(Duration::ZERO)
    }

    /// The `Authorization` header value: `Bearer <token>` or `PoP <shr>`, marked sensitive so
    /// HTTP libraries leave it out of their logs.
    pub fn authorization_header(&self) -> http::HeaderValue {
        let scheme = if self.details.token_type.eq_ignore_ascii_case("pop") {
            "PoP"
        } else {
            "Bearer"
        };
        let mut v =
            http::HeaderValue::from_str(&format!("{scheme} {}", self.access_token.secret()))
                .unwrap_or_else(|_| http::HeaderValue::from_static(""));
        v.set_sensitive(true);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;

    #[test]
    fn header_and_expiry() {
        let clock = ManualClock::from_unix_secs(1000);
        let r = AuthenticationResult::new(
            AccessToken::new("at"),
            "Bearer",
            crate::clock::from_unix_secs(1060),
            TokenSource::Cache,
        )
        .with_clock(Arc::new(clock.clone()));
        assert_eq!(r.expires_in(), Duration::from_secs(60));
        clock.advance(Duration::from_secs(100));
        assert_eq!(r.expires_in(), Duration::ZERO);
        let h = r.authorization_header();
        assert!(h.is_sensitive());
        assert_eq!(h.to_str().unwrap(), "Bearer at");
        assert!(!format!("{r:?}").contains("\"at\""));
    }

    #[test]
    fn a_clone_shares_the_token_and_the_details_and_copies_nothing_else() {
        let r = AuthenticationResult::from_parts(
            AccessToken::new("at"),
            crate::clock::from_unix_secs(1060),
            TokenSource::Cache,
            Arc::new(ResultDetails::new("Bearer")),
        );
        let c = r.clone();
        // Two reference counts: the token's and the shared part's; no correlation id to copy.
        assert!(Arc::ptr_eq(&r.details, &c.details));
        assert_eq!(Arc::strong_count(&r.details), 2);
        assert!(c.correlation_id.is_none());
        // Changing one result's details copies them first: the other keeps its own.
        let mut changed = c.clone();
        changed.details_mut().token_type = "pop".into();
        assert_eq!((r.token_type(), changed.token_type()), ("Bearer", "pop"));
    }

    #[test]
    fn debug_shows_extra_field_names_only() {
        let mut r = AuthenticationResult::new(
            AccessToken::new("at"),
            "Bearer",
            crate::clock::from_unix_secs(1060),
            TokenSource::IdentityProvider,
        );
        r.details_mut().spa_code = Some(AuthorizationCode::new("SPA-CODE-CANARY"));
        r.details_mut()
            .extra
            .insert("unknown_field".into(), "VALUE-CANARY".into());
        let debug = format!("{r:?}");
        assert!(!debug.contains("CANARY"), "{debug}");
        assert!(debug.contains("unknown_field"), "{debug}");
    }
}
