//! Turning each source's answer into a [`TokenResponse`] or a typed error (the `_obtain_token_on_*` functions of MSAL Python's
//! `msal/managed_identity.py`).
//!
//! Sources disagree on the success shape (`expires_in` for IMDS, Arc and Cloud Shell;
//! `expires_on` for App Service, Azure ML and Service Fabric; numbers or numeric strings) and
//! on the error shape (OAuth `error`, `{"error": {"code", "message"}}`, `{"statusCode",
//! "message"}`). Both are normalised here. No error message quotes the body beyond the
//! service's own error fields, so a token inside a broken answer never reaches a log.

use std::time::{Duration, SystemTime};

use msal_core::{
    Error, ServiceError, TokenResponse,
    clock::{from_unix_secs, unix_secs},
    http::HttpResponse,
    token_endpoint::response::{json_object, retry_after},
};
use serde_json::{Map, Value};

use crate::{
    identity::{ManagedIdentity, UserAssignedId},
    source::ManagedIdentitySource,
};

/// Tokens living at least this long get a proactive refresh at half their lifetime (MSAL Python's `ManagedIdentityClient.acquire_token_for_client`).
const REFRESH_IN_THRESHOLD_SECS: u64 = 2 * 3600;
/// The longest error description kept from a service answer.
const MAX_DESCRIPTION_CHARS: usize = 512;

/// A successful answer, normalised.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// With `expires_in` relative to `now`, `refresh_in` set when due, no user-flow fields.
    pub(crate) response: TokenResponse,
    /// The absolute expiry: `expires_on` as the source sent it (even in the past), or
    /// `now + expires_in`.
    pub(crate) expires_on: SystemTime,
    /// The response's `resource`, else the requested one.
    pub(crate) resource: String,
}

fn invalid(status: http::StatusCode, reason: impl Into<String>) -> Error {
    Error::InvalidResponse {
        status,
        reason: reason.into(),
    }
}

fn capped(s: &str) -> String {
    s.chars().take(MAX_DESCRIPTION_CHARS).collect()
}

/// Parses a success answer, or maps an error answer.
pub(crate) fn parse(
    source: ManagedIdentitySource,
    identity: &ManagedIdentity,
    requested_resource: &str,
    resp: &HttpResponse,
    now: SystemTime,
) -> Result<Parsed, Error> {
    let status = resp.status();
    if !status.is_success() {
        return Err(service_error(source, resp, now));
    }
    let map = json_object(resp)?;
    if map.contains_key("error") {
        return Err(service_error(source, resp, now));
    }
    if source == ManagedIdentitySource::ServiceFabric
        && !map.get("token_type").is_some_and(Value::is_string)
    {
        return Err(invalid(
            status,
            "the Service Fabric answer has no token_type",
        ));
    }
    if source == ManagedIdentitySource::AzureArc {
        check_arc_echo(identity, &map, status)?;
    }
    let mut response = TokenResponse::from_json(status, map)?;
    let now_secs = unix_secs(now);
    // Which field is authoritative depends on the source; fall back to the other one.
    let absolute_first = matches!(
        source,
        ManagedIdentitySource::AppService
            | ManagedIdentitySource::MachineLearning
            | ManagedIdentitySource::ServiceFabric
    );
    let from_on = response
        .expires_on
        .map(|on| (on.saturating_sub(now_secs), from_unix_secs(on)));
    let from_in = response
        .expires_in
        .map(|secs| (secs, now + Duration::from_secs(secs)));
    let (expires_in, expires_on) = if absolute_first {
        from_on.or(from_in)
    } else {
        from_in.or(from_on)
    }
    .ok_or_else(|| invalid(status, "the answer has neither expires_in nor expires_on"))?;
    response.expires_in = Some(expires_in);
    if response.refresh_in.is_none() && expires_in >= REFRESH_IN_THRESHOLD_SECS {
        response.refresh_in = Some(expires_in / 2);
    }
    // Managed identity issues app tokens only; never let a stray user-flow field into the cache.
    response.refresh_token = None;
    response.id_token = None;
    response.client_info = None;
    response.scope = None;
    let resource = response
        .extra
        .get("resource")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
        .unwrap_or(requested_resource)
        .to_owned();
    Ok(Parsed {
        response,
        expires_on,
        resource,
    })
}

/// MSAL Python 1.39 fails closed when Azure Arc answers for a different user-assigned identity
/// than the one asked for: the answer must echo the selector (case-insensitively).
fn check_arc_echo(
    identity: &ManagedIdentity,
    map: &Map<String, Value>,
    status: http::StatusCode,
) -> Result<(), Error> {
    let ManagedIdentity::UserAssigned(id) = identity else {
        return Ok(());
    };
    let names: &[&str] = match id {
        UserAssignedId::ClientId(_) => &["client_id"],
        UserAssignedId::ObjectId(_) => &["object_id"],
        UserAssignedId::ResourceId(_) => &["msi_res_id", "mi_res_id"],
    };
    let echoed = names
        .iter()
        .filter_map(|n| map.get(*n).and_then(Value::as_str))
        .any(|v| v.eq_ignore_ascii_case(id.value()));
    if echoed {
        Ok(())
    } else {
        Err(invalid(
            status,
            format!(
                "the Azure Arc answer is not for the requested user-assigned {}",
                id.kind()
            ),
        ))
    }
}

/// Maps an error answer (any status) to [`Error::Service`], keeping the source's own words.
pub(crate) fn service_error(
    source: ManagedIdentitySource,
    resp: &HttpResponse,
    now: SystemTime,
) -> Error {
    let status = resp.status();
    let body = serde_json::from_slice::<Value>(resp.body()).ok();
    let obj = body.as_ref().and_then(Value::as_object);
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(capped);
    let mut se = obj
        .and_then(|o| {
            match o.get("error") {
                // OAuth shape (IMDS, Arc, Azure ML).
                Some(Value::String(_)) => {
                    ServiceError::from_json(Some(status), &Value::Object(o.clone()))
                }
                // `{"error": {"code", "message"}}` (Service Fabric, Cloud Shell).
                Some(Value::Object(inner)) => {
                    let code = inner.get("code").and_then(Value::as_str).unwrap_or("");
                    let error = if source == ManagedIdentitySource::ServiceFabric {
                        match code {
                            "SecretHeaderNotFound" => "unauthorized_client",
                            "ManagedIdentityNotFound" => "invalid_client",
                            "ArgumentNullOrEmpty" => "invalid_scope",
                            _ => "invalid_request",
                        }
                        .to_owned()
                    } else if code.is_empty() {
                        "invalid_request".to_owned()
                    } else {
                        capped(code)
                    };
                    let mut se = ServiceError::new(error);
                    se.error_description = text(inner.get("message"));
                    se.correlation_id = text(inner.get("correlationId"));
                    Some(se)
                }
                _ => None,
            }
            .or_else(|| {
                // App Service: `{"statusCode", "message"}` becomes invalid_scope, as in Python.
                let message = text(o.get("message"))?;
                let mut se = ServiceError::new("invalid_scope");
                se.error_description = Some(format!("{}, {message}", status.as_u16()));
                se.correlation_id = text(o.get("correlationId"));
                Some(se)
            })
        })
        .unwrap_or_else(|| {
            let error = if status.is_server_error() {
                "service_not_available"
            } else if status.as_u16() == 429 {
                "too_many_requests"
            } else {
                "invalid_request"
            };
            let mut se = ServiceError::new(error);
            se.error_description = Some(format!(
                "the {} endpoint answered HTTP {} without an error body",
                source.name(),
                status.as_u16()
            ));
            se
        });
    se.status = Some(status);
    se.retry_after = retry_after(resp, now);
    Error::service(se)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "a test fails loudly")]
    use super::*;
    use crate::UserAssignedManagedIdentity;
    use ManagedIdentitySource as S;
    use serde_json::json;

    const NOW: u64 = 1_795_670_000;

    fn resp(status: u16, body: &str) -> HttpResponse {
        http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    fn ok(source: S, body: Value) -> Result<Parsed, Error> {
        parse(
            source,
            &ManagedIdentity::SystemAssigned,
            "https://r/",
            &resp(200, &body.to_string()),
            from_unix_secs(NOW),
        )
    }

    #[test]
    fn expiry_forms() {
        let p = ok(
            S::Imds,
            json!({"access_token": "a", "expires_in": "86399", "resource": "https://x/"}),
        )
        .unwrap();
        assert_eq!(p.response.expires_in, Some(86399));
        assert_eq!(p.response.refresh_in, Some(43199));
        assert_eq!(p.resource, "https://x/");
        let p = ok(
            S::AppService,
            json!({"access_token": "a", "expires_on": (NOW + 3600).to_string()}),
        )
        .unwrap();
        assert_eq!(p.response.expires_in, Some(3600));
        assert_eq!(p.response.refresh_in, None);
        assert_eq!(p.resource, "https://r/");
        assert_eq!(p.expires_on, from_unix_secs(NOW + 3600));
        let p = ok(
            S::ServiceFabric,
            json!({"access_token": "a", "expires_on": NOW + 7200, "token_type": "Bearer"}),
        )
        .unwrap();
        assert_eq!(p.response.refresh_in, Some(3600));
        // In the past: zero lifetime, never served from the cache; the real expiry is kept.
        let p = ok(
            S::MachineLearning,
            json!({"access_token": "a", "expires_on": NOW - 10}),
        )
        .unwrap();
        assert_eq!(p.response.expires_in, Some(0));
        assert_eq!(p.expires_on, from_unix_secs(NOW - 10));
        // A refresh_in from the service wins.
        let p = ok(
            S::Imds,
            json!({"access_token": "a", "expires_in": 90000, "refresh_in": 60}),
        )
        .unwrap();
        assert_eq!(p.response.refresh_in, Some(60));
    }

    #[test]
    fn malformed_successes_are_typed() {
        for (source, body) in [
            (S::Imds, json!({"expires_in": 60})),
            (S::Imds, json!({"access_token": "secret-at"})),
            (
                S::AppService,
                json!({"access_token": "secret-at", "expires_on": "09/14/2017 00:00:00 PM +00:00"}),
            ),
            (
                S::ServiceFabric,
                json!({"access_token": "secret-at", "expires_on": 1}),
            ),
        ] {
            let e = ok(source, body).unwrap_err();
            assert!(matches!(e, Error::InvalidResponse { .. }), "{e}");
            assert!(!e.to_string().contains("secret-at"));
        }
        let html = http::Response::builder()
            .status(200)
            .header("content-type", "text/html")
            .body(b"<html>access_token=secret-at</html>".to_vec())
            .unwrap();
        let e = parse(
            S::Imds,
            &ManagedIdentity::SystemAssigned,
            "r",
            &html,
            from_unix_secs(NOW),
        )
        .unwrap_err();
        assert!(matches!(e, Error::InvalidResponse { .. }));
        assert!(!e.to_string().contains("secret-at"));
        let e = parse(
            S::Imds,
            &ManagedIdentity::SystemAssigned,
            "r",
            &resp(200, "{\"access_"),
            from_unix_secs(NOW),
        )
        .unwrap_err();
        assert!(matches!(e, Error::InvalidResponse { .. }));
    }

    #[test]
    fn error_shapes() {
        let now = from_unix_secs(NOW);
        let e = service_error(
            S::Imds,
            &resp(
                400,
                r#"{"error":"invalid_request","error_description":"Identity not found"}"#,
            ),
            now,
        );
        let se = e.service_error().unwrap();
        assert_eq!(
            (se.error.as_str(), se.status.map(|s| s.as_u16())),
            ("invalid_request", Some(400))
        );
        let e = service_error(
            S::ServiceFabric,
            &resp(
                401,
                r#"{"error":{"code":"SecretHeaderNotFound","message":"m"}}"#,
            ),
            now,
        );
        assert_eq!(e.service_error().unwrap().error, "unauthorized_client");
        let e = service_error(
            S::CloudShell,
            &resp(400, r#"{"error":{"code":"BadRequest","message":"m"}}"#),
            now,
        );
        assert_eq!(e.service_error().unwrap().error, "BadRequest");
        let e = service_error(
            S::AppService,
            &resp(400, r#"{"statusCode":400,"message":"bad resource"}"#),
            now,
        );
        let se = e.service_error().unwrap();
        assert_eq!(se.error, "invalid_scope");
        assert_eq!(se.error_description.as_deref(), Some("400, bad resource"));
        let mut r = resp(503, "<html>oops</html>");
        r.headers_mut()
            .insert("retry-after", http::HeaderValue::from_static("7"));
        let e = service_error(S::Imds, &r, now);
        assert_eq!(e.service_error().unwrap().error, "service_not_available");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        // A 200 with an error body is an error too.
        let e = ok(S::Imds, json!({"error": "invalid_resource"})).unwrap_err();
        assert!(matches!(e, Error::Service(_)));
    }

    #[test]
    fn arc_must_echo_the_user_assigned_id() {
        let mi: ManagedIdentity = UserAssignedManagedIdentity::client_id("ABC").into();
        let body = |extra: Value| {
            let mut b = json!({"access_token": "a", "expires_in": "3600"});
            b.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            resp(200, &b.to_string())
        };
        let now = from_unix_secs(NOW);
        assert!(
            parse(
                S::AzureArc,
                &mi,
                "r",
                &body(json!({"client_id": "abc"})),
                now
            )
            .is_ok()
        );
        assert!(
            parse(
                S::AzureArc,
                &mi,
                "r",
                &body(json!({"client_id": "other"})),
                now
            )
            .is_err()
        );
        assert!(parse(S::AzureArc, &mi, "r", &body(json!({})), now).is_err());
        let res: ManagedIdentity = UserAssignedManagedIdentity::resource_id("/R").into();
        assert!(
            parse(
                S::AzureArc,
                &res,
                "r",
                &body(json!({"mi_res_id": "/r"})),
                now
            )
            .is_ok()
        );
        // Other sources are not checked (Python checks Arc only).
        assert!(parse(S::Imds, &mi, "r", &body(json!({})), now).is_ok());
    }
}

#[cfg(test)]
mod props;
