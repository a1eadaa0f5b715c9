//! A successful token-endpoint answer, parsed into types.
//!
//! Entra sends `expires_in` as a number, older endpoints (and managed identity) as a numeric
//! string, and some managed-identity sources send `expires_on` instead. All of those are accepted;
//! anything else is [`Error::InvalidResponse`]. Unknown fields are kept in `extra` unless they are
//! secrets: the hybrid SPA flow's `spa_code` and `spa_accesstoken` are typed secrets, and any
//! other field named like a credential (see [`is_secret_field`]) is dropped. `Debug` shows only
//! the names of the `extra` fields, since a field this library does not know may still be one.

use std::fmt;

use serde_json::{Map, Value};

use crate::{AccessToken, AuthorizationCode, Error, IdToken, RefreshToken};

/// Response fields that are secrets or are represented by typed fields, and so never go to `extra`.
const TYPED_FIELDS: &[&str] = &[
    "access_token",
    "token_type",
    "expires_in",
    "ext_expires_in",
    "refresh_in",
    "expires_on",
    "refresh_token",
    "id_token",
    "client_info",
    "scope",
    "foci",
    "spa_code",
    "spa_accesstoken",
];

/// Whether a response field not otherwise known is named like a credential: a token, a code, an
/// assertion, a secret, a password or a key. Such fields never reach `extra`, which is meant to
/// be safe to log and to keep in a session.
///
/// ```
/// use msal_core::token_response::is_secret_field;
/// assert!(is_secret_field("spa_code") && is_secret_field("session_key_jwe"));
/// assert!(is_secret_field("Broker_AccessToken") && is_secret_field("client_assertion"));
/// assert!(!is_secret_field("resource") && !is_secret_field("token_type"));
/// ```
pub fn is_secret_field(name: &str) -> bool {
    const ANYWHERE: &[&str] = &["token", "secret", "password", "assertion", "session_key"];
    const SUFFIXES: &[&str] = &["code", "key", "verifier"];
    let name = name.to_ascii_lowercase();
    // `token_type` is the one "token" field that is a label, not a credential.
    name != "token_type"
        && (ANYWHERE.iter().any(|s| name.contains(s)) || SUFFIXES.iter().any(|s| name.ends_with(s)))
}

/// `Debug` of an `extra` map: its keys, never its values (a field unknown to this library may
/// still hold a secret).
pub(crate) struct ExtraKeys<'a>(pub(crate) &'a Map<String, Value>);

impl fmt::Debug for ExtraKeys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// A parsed token response. `Debug` redacts the secrets and shows only the names of the
/// `extra` fields.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The access token.
    pub access_token: AccessToken,
    /// `Bearer` unless the response says otherwise.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: Option<u64>,
    /// Extended lifetime in seconds.
    pub ext_expires_in: Option<u64>,
    /// Seconds until a proactive refresh is due.
    pub refresh_in: Option<u64>,
    /// Absolute expiry (Unix seconds), as managed-identity sources send it.
    pub expires_on: Option<u64>,
    /// The refresh token (user flows).
    pub refresh_token: Option<RefreshToken>,
    /// The ID token (user flows).
    pub id_token: Option<IdToken>,
    /// `client_info` (base64url JSON `{uid, utid}`).
    pub client_info: Option<String>,
    /// Granted scopes, space-separated.
    pub scope: Option<String>,
    /// Family id (`"1"` for Microsoft's first-party family).
    pub foci: Option<String>,
    /// The hybrid SPA flow's authorization code for the browser (`spa_code`), when asked for.
    pub spa_code: Option<AuthorizationCode>,
    /// The hybrid SPA flow's access token for the browser (`spa_accesstoken`), when sent.
    pub spa_access_token: Option<AccessToken>,
    /// Every other field, e.g. managed identity's `resource`, except those named like a
    /// credential ([`is_secret_field`]), which are dropped.
    pub extra: Map<String, Value>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("ext_expires_in", &self.ext_expires_in)
            .field("refresh_in", &self.refresh_in)
            .field("expires_on", &self.expires_on)
            .field("refresh_token", &self.refresh_token)
            .field("id_token", &self.id_token)
            .field("client_info", &self.client_info)
            .field("scope", &self.scope)
            .field("foci", &self.foci)
            .field("spa_code", &self.spa_code)
            .field("spa_access_token", &self.spa_access_token)
            .field("extra", &ExtraKeys(&self.extra))
            .finish()
    }
}

/// A number, or a string holding a non-negative integer.
pub fn lenient_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
}

/// The longest lifetime kept from a response (100 years). No token lives that long, and the cap
/// keeps `now + lifetime` far inside `SystemTime`'s range everywhere it is computed (results,
/// cache entries, device-code deadlines), where an overflow would panic.
pub const MAX_LIFETIME_SECS: u64 = 100 * 365 * 24 * 3600;

fn cap_lifetime(secs: u64) -> u64 {
    secs.min(MAX_LIFETIME_SECS)
}

impl TokenResponse {
    /// Parses a JSON object that has no `error`. Lifetimes are capped at [`MAX_LIFETIME_SECS`]
    /// and `expires_on` at the end of year 9999. `status` is only used in error messages.
    pub fn from_json(status: http::StatusCode, body: Map<String, Value>) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidResponse {
            status,
            reason: reason.to_owned(),
        };
        let string = |k: &str| -> Result<Option<String>, Error> {
            match body.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(invalid(&format!("field `{k}` is not a string"))),
            }
        };
        let number = |k: &str| -> Result<Option<u64>, Error> {
            match body.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => lenient_u64(v)
                    .map(Some)
                    .ok_or_else(|| invalid(&format!("field `{k}` is not a non-negative integer"))),
            }
        };
        let access_token = string("access_token")?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid("the token response has no access_token"))?;
        let foci = match body.get("foci") {
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => string("foci")?,
        };
        let extra = body
            .iter()
            .filter(|(k, _)| !TYPED_FIELDS.contains(&k.as_str()) && !is_secret_field(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Self {
            access_token: AccessToken::new(access_token),
            token_type: string("token_type")?.unwrap_or_else(|| "Bearer".to_owned()),
            expires_in: number("expires_in")?.map(cap_lifetime),
            ext_expires_in: number("ext_expires_in")?.map(cap_lifetime),
            refresh_in: number("refresh_in")?.map(cap_lifetime),
            expires_on: number("expires_on")?.map(|on| on.min(crate::clock::MAX_UNIX_SECS)),
            refresh_token: string("refresh_token")?
                .filter(|s| !s.is_empty())
                .map(RefreshToken::new),
            id_token: string("id_token")?
                .filter(|s| !s.is_empty())
                .map(IdToken::new),
            client_info: string("client_info")?,
            scope: string("scope")?,
            foci,
            spa_code: string("spa_code")?
                .filter(|s| !s.is_empty())
                .map(AuthorizationCode::new),
            spa_access_token: string("spa_accesstoken")?
                .filter(|s| !s.is_empty())
                .map(AccessToken::new),
            extra,
        })
    }

    /// Granted scopes: the response `scope` split on spaces, if present.
    pub fn granted_scopes(&self) -> Option<Vec<String>> {
        self.scope.as_ref().map(|s| {
            s.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<TokenResponse, Error> {
        TokenResponse::from_json(http::StatusCode::OK, v.as_object().unwrap().clone())
    }

    #[test]
    fn accepts_numbers_and_numeric_strings() {
        let r = parse(
            json!({"access_token": "at", "expires_in": "3599", "ext_expires_in": 7200,
            "refresh_in": 1800.0, "foci": "1", "resource": "r", "refresh_token": "rt"}),
        )
        .unwrap();
        assert_eq!(r.expires_in, Some(3599));
        assert_eq!(r.ext_expires_in, Some(7200));
        assert_eq!(r.refresh_in, Some(1800));
        assert_eq!(r.token_type, "Bearer");
        assert_eq!(r.foci.as_deref(), Some("1"));
        assert_eq!(r.extra.get("resource"), Some(&json!("r")));
        assert!(!r.extra.contains_key("refresh_token"));
    }

    #[test]
    fn spa_code_and_other_secret_fields_stay_out_of_debug() {
        let r = parse(json!({
            "access_token": "at", "spa_code": "SPA-CODE-CANARY",
            "spa_accesstoken": "SPA-AT-CANARY", "broker_refresh_token": "RT-CANARY",
            "session_key": "KEY-CANARY", "resource": "VISIBLE-NAME-ONLY",
        }))
        .unwrap();
        assert_eq!(r.spa_code.as_ref().unwrap().secret(), "SPA-CODE-CANARY");
        assert_eq!(
            r.spa_access_token.as_ref().unwrap().secret(),
            "SPA-AT-CANARY"
        );
        assert_eq!(r.extra.keys().collect::<Vec<_>>(), ["resource"]);
        let debug = format!("{r:?}");
        assert!(!debug.contains("CANARY"), "{debug}");
        assert!(debug.contains("\"resource\"") && !debug.contains("VISIBLE-NAME-ONLY"));
    }

    #[test]
    fn rejects_missing_or_mistyped_fields() {
        assert!(matches!(
            parse(json!({"token_type": "Bearer"})),
            Err(Error::InvalidResponse { .. })
        ));
        assert!(parse(json!({"access_token": 5})).is_err());
        assert!(parse(json!({"access_token": "a", "expires_in": "soon"})).is_err());
        assert!(parse(json!({"access_token": "a", "expires_in": -5})).is_err());
    }
}
