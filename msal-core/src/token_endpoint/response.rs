//! Turning HTTP answers from identity endpoints into JSON or typed errors.
//!
//! Nothing from the body is echoed into an error message except the OAuth error fields, which
//! are the service's own words; a hostile or broken server cannot make us log a token it put
//! into an HTML page.

use std::time::SystemTime;

use serde_json::{Map, Value};

use super::throttle::parse_retry_after;
use crate::{Error, InteractionReason, ServiceError, http::HttpResponse};

/// OAuth errors that mean the user must interact (the mapping of MSAL Python's `_CLIENT_ERRORS` handling and MSAL.NET's
/// `MsalUiRequiredException`).
const INTERACTION_ERRORS: &[&str] = &[
    "invalid_grant",
    "interaction_required",
    "login_required",
    "consent_required",
];

/// Suberrors MSAL hides from `classification` (MSAL Python's `acquire_token_silent_with_error` in `msal/application.py`).
const HIDDEN_SUBERRORS: &[&str] = &[
    "bad_token",
    "token_expired",
    "protection_policy_required",
    "client_mismatch",
    "device_authentication_failed",
];

/// A non-negative integer field sent as a number or a numeric string.
pub fn lenient_u64_field(map: &Map<String, Value>, key: &str) -> Option<u64> {
    map.get(key).and_then(crate::token_response::lenient_u64)
}

/// The `Retry-After` of a response, if any.
pub fn retry_after(resp: &HttpResponse, now: SystemTime) -> Option<std::time::Duration> {
    resp.headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now))
}

fn is_json_content_type(resp: &HttpResponse) -> Option<bool> {
    let ct = resp
        .headers()
        .get(http::header::CONTENT_TYPE)?
        .to_str()
        .ok()?;
    let essence = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    Some(essence == "application/json" || essence.ends_with("+json") || essence == "text/json")
}

/// Parses the body as a JSON object, checking the content type when the server sent one.
pub fn json_object(resp: &HttpResponse) -> Result<Map<String, Value>, Error> {
    let status = resp.status();
    if is_json_content_type(resp) == Some(false) {
        let ct = resp
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("?");
        // Content types are short tokens; cap anyway so a hostile header cannot flood logs.
        let ct: String = ct.chars().take(64).collect();
        return Err(Error::InvalidResponse {
            status,
            reason: format!("expected a JSON body, got content type {ct:?}"),
        });
    }
    match serde_json::from_slice::<Value>(resp.body()) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Error::InvalidResponse {
            status,
            reason: "the body is JSON but not an object".into(),
        }),
        Err(e) => Err(Error::InvalidResponse {
            status,
            reason: format!(
                "the body is not valid JSON ({} at line {} column {})",
                e.classify_str(),
                e.line(),
                e.column()
            ),
        }),
    }
}

trait ClassifyStr {
    fn classify_str(&self) -> &'static str;
}

impl ClassifyStr for serde_json::Error {
    fn classify_str(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "truncated",
        }
    }
}

/// Maps an OAuth error body to the matching [`Error`] variant.
pub fn oauth_error(se: ServiceError) -> Error {
    if se.error == "access_denied" {
        return Error::AuthorizationDeclined(Box::new(se));
    }
    if INTERACTION_ERRORS.contains(&se.error.as_str()) {
        let classification = se
            .suberror
            .clone()
            .filter(|s| !HIDDEN_SUBERRORS.contains(&s.as_str()));
        return Error::InteractionRequired {
            reason: InteractionReason::ServiceRequired,
            classification,
            source: Some(Box::new(se)),
        };
    }
    Error::service(se)
}

/// Interprets an identity-endpoint answer: `Ok(object)` for a success body, `Err` otherwise.
///
/// - 5xx: [`Error::Service`] (`service_not_available` when the body is not an OAuth error);
/// - a JSON object with `error`: the mapped OAuth error ([`oauth_error`]);
/// - 429 without an OAuth body: [`Error::Service`] `too_many_requests`;
/// - other non-JSON answers, or 4xx JSON without `error`: [`Error::InvalidResponse`].
pub fn interpret(resp: &HttpResponse, now: SystemTime) -> Result<Map<String, Value>, Error> {
    let status = resp.status();
    let retry = retry_after(resp, now);
    let parsed = json_object(resp);
    let service_error = parsed
        .as_ref()
        .ok()
        .and_then(|m| ServiceError::from_json(Some(status), &Value::Object(m.clone())));
    if let Some(mut se) = service_error {
        se.retry_after = retry;
        return Err(oauth_error(se));
    }
    if status.is_server_error() || status.as_u16() == 429 {
        let mut se = ServiceError::new(if status.is_server_error() {
            "service_not_available"
        } else {
            "too_many_requests"
        });
        se.status = Some(status);
        se.retry_after = retry;
        return Err(Error::service(se));
    }
    let map = parsed?;
    if !status.is_success() {
        return Err(Error::InvalidResponse {
            status,
            reason: "an error status without an OAuth error body".into(),
        });
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, ct: Option<&str>, body: &str) -> HttpResponse {
        let mut b = http::Response::builder().status(status);
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        b.body(body.as_bytes().to_vec()).unwrap()
    }

    const NOW: SystemTime = SystemTime::UNIX_EPOCH;

    #[test]
    fn success_and_error_bodies() {
        let ok = interpret(
            &resp(
                200,
                Some("application/json; charset=utf-8"),
                r#"{"access_token":"a"}"#,
            ),
            NOW,
        )
        .unwrap();
        assert_eq!(ok["access_token"], "a");
        let e = interpret(
            &resp(
                400,
                Some("application/json"),
                r#"{"error":"invalid_grant","suberror":"bad_token"}"#,
            ),
            NOW,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            Error::InteractionRequired {
                classification: None,
                ..
            }
        ));
        let e = interpret(
            &resp(
                400,
                None,
                r#"{"error":"invalid_grant","suberror":"basic_action"}"#,
            ),
            NOW,
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::InteractionRequired { classification: Some(ref c), .. } if c == "basic_action")
        );
        let e = interpret(&resp(400, None, r#"{"error":"invalid_client"}"#), NOW).unwrap_err();
        assert!(matches!(e, Error::Service(ref s) if s.error == "invalid_client"));
    }

    #[test]
    fn broken_answers_are_typed() {
        let e = interpret(
            &resp(200, Some("text/html"), "<html>token=secret</html>"),
            NOW,
        )
        .unwrap_err();
        assert!(matches!(e, Error::InvalidResponse { .. }));
        assert!(!e.to_string().contains("secret"));
        let e = interpret(
            &resp(200, Some("application/json"), r#"{"access_token":"#),
            NOW,
        )
        .unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        let e = interpret(&resp(503, Some("text/html"), "<html/>"), NOW).unwrap_err();
        assert!(matches!(e, Error::Service(ref s) if s.error == "service_not_available"));
        let mut r = resp(429, None, "");
        r.headers_mut()
            .insert("retry-after", http::HeaderValue::from_static("7"));
        let e = interpret(&r, NOW).unwrap_err();
        assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(7)));
        assert!(matches!(
            interpret(&resp(200, None, "[1]"), NOW),
            Err(Error::InvalidResponse { .. })
        ));
        assert!(matches!(
            interpret(&resp(403, None, "{}"), NOW),
            Err(Error::InvalidResponse { .. })
        ));
    }
}
