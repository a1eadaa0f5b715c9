//! The `claims` request parameter (OpenID Connect Core 1.0 §5.5; merged with client capabilities as MSAL Python's
//! `_merge_claims_challenge_and_capabilities` in `msal/application.py` does).
//!
//! A claims challenge (from Conditional Access or a resource's `WWW-Authenticate`) and the app's
//! client capabilities (`CP1`, ...) travel together in one JSON object. Capabilities go under
//! `access_token.xms_cc`, overwriting any `xms_cc` in the challenge, as MSAL Python does.

use serde_json::{Map, Value, json};

use crate::Error;

/// Merges a claims challenge with client capabilities. `None` when there is nothing to send.
///
/// ```
/// use msal_core::token_endpoint::claims::merge_challenge_and_capabilities;
/// let caps = vec!["CP1".to_string()];
/// let merged = merge_challenge_and_capabilities(None, &caps).unwrap().unwrap();
/// assert_eq!(merged, r#"{"access_token":{"xms_cc":{"values":["CP1"]}}}"#);
/// ```
pub fn merge_challenge_and_capabilities(
    challenge: Option<&str>,
    capabilities: &[String],
) -> Result<Option<String>, Error> {
    if capabilities.is_empty() {
        return Ok(challenge.map(str::to_owned));
    }
    let mut root = match challenge {
        Some(c) => parse_object(c, "claims challenge")?,
        None => Map::new(),
    };
    let at = root
        .entry("access_token")
        .or_insert_with(|| Value::Object(Map::new()));
    if !at.is_object() {
        *at = Value::Object(Map::new());
    }
    if let Value::Object(at) = at {
        at.insert("xms_cc".into(), json!({ "values": capabilities }));
    }
    Ok(Some(Value::Object(root).to_string()))
}

/// Deep-merges forwarded client claims into the claims parameter (the client's value wins on
/// leaf conflicts). When one side is empty the other is returned unchanged.
pub fn merge_forwarded(
    claims: Option<String>,
    forwarded: Option<&str>,
) -> Result<Option<String>, Error> {
    let Some(forwarded) = forwarded.filter(|f| !f.is_empty()) else {
        return Ok(claims);
    };
    let fwd = parse_object(forwarded, "forwarded client claims")?;
    let Some(claims) = claims.filter(|c| !c.is_empty()) else {
        return Ok(Some(forwarded.to_owned()));
    };
    let mut base = parse_object(&claims, "claims")?;
    deep_merge(&mut base, fwd);
    Ok(Some(Value::Object(base).to_string()))
}

fn deep_merge(base: &mut Map<String, Value>, other: Map<String, Value>) {
    for (k, v) in other {
        match (base.get_mut(&k), v) {
            (Some(Value::Object(b)), Value::Object(o)) => deep_merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Parses a JSON object argument; the message never echoes the value.
pub fn parse_object(s: &str, what: &str) -> Result<Map<String, Value>, Error> {
    match serde_json::from_str::<Value>(s) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Error::InvalidArgument(format!(
            "the {what} must be a JSON object"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_vectors() {
        let caps = vec!["foo".to_string(), "bar".to_string()];
        let v: Value = serde_json::from_str(
            &merge_challenge_and_capabilities(None, &caps)
                .unwrap()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"access_token": {"xms_cc": {"values": ["foo", "bar"]}}})
        );
        let merged = merge_challenge_and_capabilities(
            Some(r#"{"id_token": {"auth_time": {"essential": true}}}"#),
            &caps,
        )
        .unwrap()
        .unwrap();
        let v: Value = serde_json::from_str(&merged).unwrap();
        assert_eq!(v["id_token"]["auth_time"]["essential"], json!(true));
        assert_eq!(v["access_token"]["xms_cc"]["values"], json!(["foo", "bar"]));
        assert_eq!(merge_challenge_and_capabilities(None, &[]).unwrap(), None);
        assert!(merge_challenge_and_capabilities(Some("not json"), &caps).is_err());
    }

    #[test]
    fn forwarded_claims_deep_merge() {
        let m = merge_forwarded(
            Some(r#"{"a":{"x":1,"y":1}}"#.into()),
            Some(r#"{"a":{"y":2},"b":3}"#),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&m).unwrap(),
            json!({"a":{"x":1,"y":2},"b":3})
        );
        assert_eq!(
            merge_forwarded(None, Some(r#"{"b":3}"#))
                .unwrap()
                .as_deref(),
            Some(r#"{"b":3}"#)
        );
        let err = merge_forwarded(None, Some("[secret]"))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("secret"));
    }
}
