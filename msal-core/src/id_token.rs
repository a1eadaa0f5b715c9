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
#[expect(
    clippy::exhaustive_structs,
    reason = "new claims land in `additional`, so the named fields are complete"
)]
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
    #[serde(
        default,
        deserialize_with = "numeric_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub exp: Option<i64>,
    /// Issued at (Unix seconds).
    #[serde(
        default,
        deserialize_with = "numeric_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub iat: Option<i64>,
    /// Not before (Unix seconds).
    #[serde(
        default,
        deserialize_with = "numeric_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub nbf: Option<i64>,
    /// When the user authenticated (Unix seconds).
    #[serde(
        default,
        deserialize_with = "numeric_date",
        skip_serializing_if = "Option::is_none"
    )]
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

/// A NumericDate (RFC 7519 §2): seconds since the epoch, which "can be non-integer". Whole
/// seconds are kept (rounded down); `null` is no value; anything else, or a number outside
/// `i64`, is an error rather than a claim silently dropped.
fn numeric_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error as _;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    n.as_f64()
        .map(f64::floor)
        // `i64::MAX as f64` rounds up to 2^63, which is out of range: compare with `<`.
        .filter(|f| f.is_finite() && *f >= i64::MIN as f64 && *f < i64::MAX as f64)
        .map(|f| Some(f as i64))
        .ok_or_else(|| D::Error::custom("a NumericDate claim is out of range"))
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
    // serde's message quotes the offending value ("invalid type: string \"...\""), which is
    // token content: say only that a claim is mistyped.
    serde_json::from_value(serde_json::Value::Object(map)).map_err(|_| {
        IdTokenError::Malformed(
            "a claim has an unexpected type (a date is not a number, a name is not a string)"
                .into(),
        )
    })
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
#[non_exhaustive]
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
    fn mistyped_claims_are_reported_without_their_values() {
        for payload in [
            r#"{"exp":"CANARY-soon"}"#,
            r#"{"nonce":{"CANARY":1}}"#,
            r#"{"name":["CANARY"]}"#,
        ] {
            let jwt = format!("{}.{}.sig", b64("{}"), b64(payload));
            let e = decode_unverified(&jwt).unwrap_err();
            assert!(matches!(e, IdTokenError::Malformed(_)), "{payload}");
            assert!(!e.to_string().contains("CANARY"), "{e}");
        }
    }

    #[test]
    fn numeric_dates_may_be_fractional() {
        let jwt = format!(
            "{}.{}.sig",
            b64("{}"),
            b64(r#"{"auth_time":1700000000.75,"exp":1.7e9,"iat":null,"nbf":-1.5}"#)
        );
        let c = decode_unverified(&jwt).unwrap();
        assert_eq!(c.auth_time, Some(1_700_000_000));
        assert_eq!(c.exp, Some(1_700_000_000));
        assert_eq!(c.iat, None);
        assert_eq!(c.nbf, Some(-2));
        for bad in [
            r#"{"exp":1e300}"#,
            r#"{"exp":true}"#,
            r#"{"auth_time":"1"}"#,
        ] {
            let jwt = format!("{}.{}.sig", b64("{}"), b64(bad));
            assert!(decode_unverified(&jwt).is_err(), "{bad}");
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
