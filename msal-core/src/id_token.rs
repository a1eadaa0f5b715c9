//! ID tokens and `client_info`, decoded without signature validation.
//!
//! MSAL Python 1.38+ does not validate ID tokens it receives straight from the token endpoint over
//! TLS (the token came from the issuer, so the signature adds nothing); we do the same. The
//! auth-code flow still checks the `nonce` and `max_age`.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::IdTokenError;

/// The most bytes of a JWT we decode. Real ID tokens are a few KiB.
const MAX_TOKEN_LEN: usize = 64 * 1024;

/// The claims of an ID token that MSAL reads, plus everything else in `additional`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    /// Issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Object id of the user in the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    /// Tenant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    /// The user's sign-in name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// User principal name (v1 tokens, ADFS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The nonce sent in the authorization request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Audience: a string or an array of strings in the token, always a list here.
    #[serde(
        default,
        deserialize_with = "string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub aud: Vec<String>,
    /// Expiry (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issued at (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not before (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// When the user authenticated (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// Every other claim.
    #[serde(flatten)]
    pub additional: serde_json::Map<String, serde_json::Value>,
}

fn string_or_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Aud {
        One(String),
        Many(Vec<String>),
        Null(()),
    }
    Ok(match Aud::deserialize(d)? {
        Aud::One(s) => vec![s],
        Aud::Many(v) => v,
        Aud::Null(()) => Vec::new(),
    })
}

/// Decodes the payload segment of a JWT into a JSON object, without checking the signature.
pub fn decode_jwt_payload(
    jwt: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, IdTokenError> {
    if jwt.len() > MAX_TOKEN_LEN {
        return Err(IdTokenError::Malformed("token is too long".into()));
    }
    let mut parts = jwt.split('.');
    let (Some(_header), Some(payload)) = (parts.next(), parts.next()) else {
        return Err(IdTokenError::Malformed(
            "not a JWT (no payload segment)".into(),
        ));
    };
    let bytes = base64url_decode_lenient(payload)
        .ok_or_else(|| IdTokenError::Malformed("payload is not base64url".into()))?;
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(IdTokenError::Malformed(
            "payload is not a JSON object".into(),
        )),
        Err(e) => Err(IdTokenError::Malformed(format!("payload is not JSON: {e}"))),
    }
}

/// Decodes an ID token's claims without validating it (MSAL Python's `id_token_claims`).
///
/// ```
/// // header {"alg":"none"} . payload {"sub":"s","aud":"a"} . no signature
/// let claims = msal_core::id_token::decode_unverified("eyJhbGciOiJub25lIn0.eyJzdWIiOiJzIiwiYXVkIjoiYSJ9.").unwrap();
/// assert_eq!(claims.sub.as_deref(), Some("s"));
/// assert_eq!(claims.aud, vec!["a".to_string()]);
/// ```
pub fn decode_unverified(id_token: &str) -> Result<IdTokenClaims, IdTokenError> {
    let map = decode_jwt_payload(id_token)?;
    serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| IdTokenError::Malformed(format!("unexpected claim types: {e}")))
}

/// base64url with or without padding (Entra omits it; some providers add it).
pub(crate) fn base64url_decode_lenient(s: &str) -> Option<Vec<u8>> {
    let trimmed = s.trim_end_matches('=');
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()
}

/// The `client_info` Entra returns with user tokens: `{"uid": ..., "utid": ...}`, base64url.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientInfo {
    /// The user's object id in their home tenant.
    pub uid: String,
    /// The user's home tenant id.
    pub utid: String,
}

impl ClientInfo {
    /// Decodes `client_info`; `None` when it is not base64url JSON with string `uid` and `utid`.
    pub fn decode(raw: &str) -> Option<Self> {
        if raw.len() > MAX_TOKEN_LEN {
            return None;
        }
        let bytes = base64url_decode_lenient(raw)?;
        let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        Some(Self {
            uid: v.get("uid")?.as_str()?.to_owned(),
            utid: v.get("utid")?.as_str()?.to_owned(),
        })
    }

    /// `<uid>.<utid>`, the cache's `home_account_id`.
    pub fn home_account_id(&self) -> String {
        format!("{}.{}", self.uid, self.utid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn decodes_claims_and_keeps_unknown_ones() {
        let jwt = format!(
            "{}.{}.sig",
            b64("{}"),
            b64(r#"{"oid":"o","aud":["a","b"],"exp":5,"custom":true}"#)
        );
        let c = decode_unverified(&jwt).unwrap();
        assert_eq!(c.oid.as_deref(), Some("o"));
        assert_eq!(c.aud, vec!["a", "b"]);
        assert_eq!(c.exp, Some(5));
        assert_eq!(c.additional["custom"], serde_json::json!(true));
    }

    #[test]
    fn malformed_tokens_are_typed_errors() {
        for bad in [
            "",
            "abc",
            "a.!!!.c",
            &format!("a.{}.c", b64("[1]")),
            &format!("a.{}.c", b64("{\"exp\":\"x\"}")),
        ] {
            assert!(
                matches!(decode_unverified(bad), Err(IdTokenError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn client_info_round_trip() {
        let ci = ClientInfo::decode(&b64(r#"{"uid":"u","utid":"t"}"#)).unwrap();
        assert_eq!(ci.home_account_id(), "u.t");
        assert!(ClientInfo::decode(&b64(r#"{"uid":"u"}"#)).is_none());
        assert!(ClientInfo::decode("***").is_none());
    }
}
