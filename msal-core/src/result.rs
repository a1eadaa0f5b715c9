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
/// The refresh token is deliberately absent: it lives in the cache (as in MSAL.NET), so it
/// cannot end up in an application's logs or session store.
///
/// `Debug` redacts the tokens and shows only the names of the [`extra`](Self::extra) fields.
#[non_exhaustive]
#[derive(Clone)]
pub struct AuthenticationResult {
    /// The access token, or the Signed HTTP Request when `token_type` is `pop`.
    pub access_token: AccessToken,
    /// `Bearer`, `pop`, `ssh-cert`, ...
    pub token_type: String,
    /// When the access token expires.
    pub expires_on: SystemTime,
    /// Extended expiry, for resilience during outages.
    pub ext_expires_on: Option<SystemTime>,
    /// When to refresh proactively, if the service (or managed identity) said.
    pub refresh_on: Option<SystemTime>,
    /// The granted scopes (the response's `scope`), else the requested ones.
    pub scopes: Vec<String>,
    /// The ID token, for user flows.
    pub id_token: Option<IdToken>,
    /// The ID token's claims, decoded without validation.
    pub id_token_claims: Option<IdTokenClaims>,
    /// The signed-in user; `None` for app-only and managed-identity tokens.
    pub account: Option<Account>,
    /// The tenant that issued the token.
    pub tenant_id: Option<String>,
    /// Whether this came from the cache or the identity provider.
    pub token_source: TokenSource,
    /// The correlation id of the request that produced it.
    pub correlation_id: Option<String>,
    /// The hybrid SPA flow's authorization code for the browser (`spa_code`), when the token
    /// request asked for one (`return_spa_code=1`).
    pub spa_code: Option<AuthorizationCode>,
    /// The hybrid SPA flow's access token for the browser (`spa_accesstoken`), when sent.
    pub spa_access_token: Option<AccessToken>,
    /// Other response fields (`foci`, managed identity's `resource`, ...). Fields named like a
    /// credential are dropped before they get here (see
    /// [`is_secret_field`](crate::token_response::is_secret_field)).
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// The application's clock when it is not the system clock (`None`: [`SystemClock`]), kept
    /// optional so a result costs no allocation for it.
    clock: Option<Arc<dyn Clock>>,
}

impl fmt::Debug for AuthenticationResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationResult")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_on", &self.expires_on)
            .field("ext_expires_on", &self.ext_expires_on)
            .field("refresh_on", &self.refresh_on)
            .field("scopes", &self.scopes)
            .field("id_token", &self.id_token)
            .field("id_token_claims", &self.id_token_claims)
            .field("account", &self.account)
            .field("tenant_id", &self.tenant_id)
            .field("token_source", &self.token_source)
            .field("correlation_id", &self.correlation_id)
            .field("spa_code", &self.spa_code)
            .field("spa_access_token", &self.spa_access_token)
            .field("extra", &ExtraKeys(&self.extra))
            .finish_non_exhaustive()
    }
}

impl AuthenticationResult {
    /// A result for `access_token` expiring at `expires_on`; set the other fields after.
    #[inline]
    pub fn new(
        access_token: AccessToken,
        token_type: impl Into<String>,
        expires_on: SystemTime,
        token_source: TokenSource,
    ) -> Self {
        Self {
            access_token,
            token_type: token_type.into(),
            expires_on,
            ext_expires_on: None,
            refresh_on: None,
            scopes: Vec::new(),
            id_token: None,
            id_token_claims: None,
            account: None,
            tenant_id: None,
            token_source,
            correlation_id: None,
            spa_code: None,
            spa_access_token: None,
            extra: serde_json::Map::new(),
            clock: None,
        }
    }

    /// Uses `clock` for [`expires_in`](Self::expires_in) (the application's clock).
    #[inline]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
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
        &self.token_type
    }

    /// When the access token expires.
    #[inline]
    pub fn expires_on(&self) -> SystemTime {
        self.expires_on
    }

    /// Extended expiry, for resilience during outages.
    #[inline]
    pub fn ext_expires_on(&self) -> Option<SystemTime> {
        self.ext_expires_on
    }

    /// When to refresh proactively, if the service (or managed identity) said.
    #[inline]
    pub fn refresh_on(&self) -> Option<SystemTime> {
        self.refresh_on
    }

    /// The granted scopes (the response's `scope`), else the requested ones.
    #[inline]
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The ID token, for user flows.
    #[inline]
    pub fn id_token(&self) -> Option<&IdToken> {
        self.id_token.as_ref()
    }

    /// The ID token's claims, decoded without validation.
    #[inline]
    pub fn id_token_claims(&self) -> Option<&IdTokenClaims> {
        self.id_token_claims.as_ref()
    }

    /// The signed-in user; `None` for app-only and managed-identity tokens.
    #[inline]
    pub fn account(&self) -> Option<&Account> {
        self.account.as_ref()
    }

    /// The tenant that issued the token.
    #[inline]
    pub fn tenant_id(&self) -> Option<&str> {
        self.tenant_id.as_deref()
    }

    /// Whether this came from the cache or the identity provider.
    #[inline]
    pub fn token_source(&self) -> TokenSource {
        self.token_source
    }

    /// The correlation id of the request that produced it.
    #[inline]
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    /// The hybrid SPA flow's authorization code for the browser (`spa_code`), when the token
    /// request asked for one.
    #[inline]
    pub fn spa_code(&self) -> Option<&AuthorizationCode> {
        self.spa_code.as_ref()
    }

    /// The hybrid SPA flow's access token for the browser (`spa_accesstoken`), when sent.
    #[inline]
    pub fn spa_access_token(&self) -> Option<&AccessToken> {
        self.spa_access_token.as_ref()
    }

    /// Other response fields (`foci`, managed identity's `resource`, ...); never credentials.
    #[inline]
    pub fn extra(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.extra
    }

    /// Time left before expiry, zero if already expired.
    pub fn expires_in(&self) -> Duration {
        let now = match &self.clock {
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
        let scheme = if self.token_type.eq_ignore_ascii_case("pop") {
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
    fn debug_shows_extra_field_names_only() {
        let mut r = AuthenticationResult::new(
            AccessToken::new("at"),
            "Bearer",
            crate::clock::from_unix_secs(1060),
            TokenSource::IdentityProvider,
        );
        r.spa_code = Some(AuthorizationCode::new("SPA-CODE-CANARY"));
        r.extra
            .insert("unknown_field".into(), "VALUE-CANARY".into());
        let debug = format!("{r:?}");
        assert!(!debug.contains("CANARY"), "{debug}");
        assert!(debug.contains("unknown_field"), "{debug}");
    }
}
