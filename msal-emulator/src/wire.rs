//! The request and reply shapes the route handlers work with, and Entra-style error bodies.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// Which listener a request arrived on; routes exist only on their own listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listener {
    /// The Entra https listener.
    Https,
    /// The plain-http managed-identity listener.
    Http,
    /// The Service Fabric https listener.
    ServiceFabric,
}

/// A parsed request.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub(crate) method: String,
    pub(crate) host: Option<String>,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) form: Vec<(String, String)>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) listener: Listener,
}

impl Req {
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        first(&self.query, name)
    }

    pub(crate) fn form(&self, name: &str) -> Option<&str> {
        first(&self.form, name)
    }

    /// Form first, then query (authorize accepts both GET and POST).
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.form(name).or_else(|| self.query(name))
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `https://{Host}` as the client addressed the emulator, for URLs in answers.
    pub(crate) fn origin(&self, fallback: &str) -> String {
        match &self.host {
            Some(h) if !h.is_empty() => format!("https://{h}"),
            _ => fallback.to_owned(),
        }
    }
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// An answer before faults are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(status: u16, value: &Value) -> Self {
        Self {
            status,
            headers: vec![
                (
                    "Content-Type".into(),
                    "application/json; charset=utf-8".into(),
                ),
                ("Cache-Control".into(), "no-store, no-cache".into()),
                ("Pragma".into(), "no-cache".into()),
            ],
            body: value.to_string().into_bytes(),
        }
    }

    pub(crate) fn html(status: u16, html: String) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: html.into_bytes(),
        }
    }

    pub(crate) fn text(status: u16, text: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: text.into().into_bytes(),
        }
    }

    pub(crate) fn redirect(location: String) -> Self {
        Self {
            status: 302,
            headers: vec![
                ("Location".into(), location),
                ("Cache-Control".into(), "no-store, no-cache".into()),
            ],
            body: Vec::new(),
        }
    }

    pub(crate) fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// An OAuth error as Entra ID v2.0 answers it.
#[derive(Debug, Clone)]
pub(crate) struct AadError {
    pub(crate) status: u16,
    pub(crate) error: &'static str,
    pub(crate) code: u32,
    pub(crate) message: String,
    pub(crate) suberror: Option<&'static str>,
    pub(crate) claims: Option<String>,
}

impl AadError {
    pub(crate) fn new(
        status: u16,
        error: &'static str,
        code: u32,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error,
            code,
            message: message.into(),
            suberror: None,
            claims: None,
        }
    }

    /// 400 `invalid_request`.
    pub(crate) fn invalid_request(code: u32, message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", code, message)
    }

    /// 400 `invalid_grant`.
    pub(crate) fn invalid_grant(code: u32, message: impl Into<String>) -> Self {
        Self::new(400, "invalid_grant", code, message)
    }

    /// 401 `invalid_client`.
    pub(crate) fn invalid_client(code: u32, message: impl Into<String>) -> Self {
        Self::new(401, "invalid_client", code, message)
    }

    /// A missing required parameter (AADSTS900144).
    pub(crate) fn missing(param: &str) -> Self {
        Self::invalid_request(
            900144,
            format!("The request body must contain the following parameter: '{param}'."),
        )
    }

    pub(crate) fn with_suberror(mut self, suberror: &'static str) -> Self {
        self.suberror = Some(suberror);
        self
    }

    pub(crate) fn with_claims(mut self, claims: String) -> Self {
        self.claims = Some(claims);
        self
    }

    /// The JSON body, correlated with the request's `client-request-id` when it sent one.
    pub(crate) fn to_json(&self, req: Option<&Req>) -> Value {
        let trace_id = uuid::Uuid::new_v4().to_string();
        let correlation_id = req
            .and_then(|r| r.header("client-request-id"))
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let timestamp = format_timestamp(now_secs());
        let description = format!(
            "AADSTS{}: {} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}",
            self.code, self.message
        );
        let mut body = json!({
            "error": self.error,
            "error_description": description,
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        });
        if let Some(s) = self.suberror {
            body["suberror"] = json!(s);
        }
        if let Some(c) = &self.claims {
            body["claims"] = json!(c);
        }
        body
    }

    pub(crate) fn reply(&self, req: &Req) -> Reply {
        Reply::json(self.status, &self.to_json(Some(req)))
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `YYYY-MM-DD HH:MM:SSZ`, the format of Entra's `timestamp`.
pub(crate) fn format_timestamp(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Escapes text for an HTML attribute or element.
pub(crate) fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_matches_fixture_clock() {
        // msal-test-support/fixtures/README.md: 1795670000 is 2026-11-26, after 05:05 UTC.
        assert_eq!(format_timestamp(1_795_670_000), "2026-11-26 05:13:20Z");
        assert_eq!(format_timestamp(0), "1970-01-01 00:00:00Z");
    }

    #[test]
    fn aad_error_shape() {
        let body = AadError::invalid_grant(50126, "Bad password.").to_json(None);
        assert_eq!(body["error"], "invalid_grant");
        assert_eq!(body["error_codes"][0], 50126);
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with("AADSTS50126: Bad password.")
        );
        for key in ["timestamp", "trace_id", "correlation_id"] {
            assert!(body[key].is_string(), "{key}");
        }
    }
}
