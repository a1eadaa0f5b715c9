//! A successful token-endpoint answer, parsed into types.
//!
//! Entra sends `expires_in` as a number, older endpoints (and managed identity) as a numeric
//! string, and some managed-identity sources send `expires_on` instead. All of those are accepted;
//! anything else is [`Error::InvalidResponse`]. Unknown fields are kept in `extra` unless they are
//! secrets.

use serde_json::{Map, Value};

use crate::{AccessToken, Error, IdToken, RefreshToken};

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
];

/// A parsed token response.
#[derive(Debug, Clone, Default)]
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
    /// Every other field, e.g. managed identity's `resource`.
    pub extra: Map<String, Value>,
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
            .filter(|(k, _)| !TYPED_FIELDS.contains(&k.as_str()))
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
