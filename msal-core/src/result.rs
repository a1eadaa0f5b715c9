//! What a successful token request gives the caller.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use serde::{Deserialize, Serialize};

use crate::{AccessToken, Account, Clock, IdToken, IdTokenClaims, SystemClock};

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
#[non_exhaustive]
#[derive(Clone, Debug)]
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
    /// Other response fields (`foci`, managed identity's `resource`, ...). Never secrets.
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// The application's clock when it is not the system clock (`None`: [`SystemClock`]), kept
    /// optional so a result costs no allocation for it.
    clock: Option<Arc<dyn Clock>>,
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
}
