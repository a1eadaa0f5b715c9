//! The token-endpoint client every flow shares.
//!
//! A flow describes *what* to ask for as a [`TokenEndpointRequest`] (the grant's form fields);
//! [`TokenEndpointClient`] owns *how*: MSAL's headers and telemetry, the throttle check, one retry
//! on 5xx/timeout/connection failure, the body cap, and turning the answer into a
//! [`TokenResponse`] or a typed [`Error`]. Keeping that in one place is what lets every flow send
//! exactly the bytes MSAL Python sends.

pub mod claims;
mod form;
pub mod response;
pub mod scopes;
pub mod telemetry;
pub mod throttle;

use std::{fmt, sync::Arc, time::Duration};

use http::{HeaderValue, Method};
use tracing::Instrument as _;

pub use form::Form;
use telemetry::{ApiId, CacheInfo, TelemetryBuffer};
use throttle::{
    DEFAULT_RETRY_AFTER, HttpCache, MAX_RETRY_AFTER, ThrottleKey, ThrottledAnswer, UI_REQUIRED_HOLD,
};

use crate::{
    AsyncSleep, Clock, Error, ServiceError, TokenResponse,
    http::{HttpClient, HttpRequest, HttpResponse, RequestTimeout, ResponseBodyLimit},
};

/// The device-code grant, whose `authorization_pending` answers are never throttled or recorded.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// How long to wait before the single retry.
const RETRY_DELAY: Duration = Duration::from_secs(1);

pub use crate::http::DEFAULT_TIMEOUT;

/// `x-client-os` as MSAL Python spells it (`sys.platform`).
pub fn client_os() -> &'static str {
    match std::env::consts::OS {
        "windows" => "win32",
        "macos" => "darwin",
        other => other,
    }
}

/// One token request: a grant's form fields and what telemetry should say about it.
#[derive(Clone)]
#[non_exhaustive]
pub struct TokenEndpointRequest {
    /// The token endpoint URL.
    pub endpoint: String,
    /// Form fields, in order (client authentication already applied).
    pub form: Form,
    /// Extra query parameters (Python's `params=`).
    pub query: Vec<(String, String)>,
    /// The CCS routing hint (`X-AnchorMailbox`).
    pub anchor_mailbox: Option<String>,
    /// Which API is asking.
    pub api: ApiId,
    /// Why the cache could not answer.
    pub cache_info: CacheInfo,
    /// `client-request-id`.
    pub correlation_id: String,
}

impl fmt::Debug for TokenEndpointRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Field names only: values include secrets (client_secret, refresh_token, code...).
        f.debug_struct("TokenEndpointRequest")
            .field("endpoint", &self.endpoint)
            .field("form_keys", &self.form.keys().collect::<Vec<_>>())
            .field("api", &self.api)
            .field("cache_info", &self.cache_info)
            .field("correlation_id", &self.correlation_id)
            .finish()
    }
}

impl TokenEndpointRequest {
    /// A request to `endpoint` with `form` under `correlation_id` (chosen once per call by the
    /// flow, so the cache access, logs and the request share it), and no telemetry reason.
    pub fn new(
        endpoint: impl Into<String>,
        form: Form,
        api: ApiId,
        correlation_id: impl Into<String>,
    ) -> Self {
        Self {
            endpoint: endpoint.into(),
            form,
            query: Vec::new(),
            anchor_mailbox: None,
            api,
            cache_info: CacheInfo::NotApplicable,
            correlation_id: correlation_id.into(),
        }
    }
}

/// A fresh `client-request-id`: a random (version 4) UUID in its lowercase hyphenated form.
///
/// Drawn only for requests that go to the network (cache hits draw none), so one `getrandom`
/// call per id costs nothing that matters, and it keeps `rand` and `uuid` out of the minimal
/// build.
pub fn new_correlation_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness (a sandbox without `getrandom`): an id must still be unique per
        // request, not secret, so a hash of the time and a process-wide counter will do.
        bytes = fallback_unique_bytes();
    }
    format_uuid_v4(bytes)
}

fn fallback_unique_bytes() -> [u8; 16] {
    use sha2::{Digest as _, Sha256};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut hasher = Sha256::new();
    hasher.update(nanos.to_le_bytes());
    hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes
}

/// RFC 9562 version 4 / variant 10 layout, `8-4-4-4-12` lowercase hex.
fn format_uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// Sends token, device-code and discovery requests with MSAL's headers, retry and throttling.
/// Cheap to clone.
#[derive(Clone)]
pub struct TokenEndpointClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: Arc<dyn HttpClient>,
    clock: Arc<dyn Clock>,
    sleep: Arc<dyn AsyncSleep>,
    http_cache: HttpCache,
    telemetry: TelemetryBuffer,
    timeout: Duration,
    app_name: Option<String>,
    app_version: Option<String>,
}

impl fmt::Debug for TokenEndpointClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEndpointClient")
            .field("http", &self.inner.http)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

/// Options of a [`TokenEndpointClient`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenEndpointConfig {
    /// Throttling state (may be shared between apps).
    pub http_cache: HttpCache,
    /// The last-telemetry buffer of the app.
    pub telemetry: TelemetryBuffer,
    /// Deadline of each request.
    pub timeout: Duration,
    /// `x-app-name`.
    pub app_name: Option<String>,
    /// `x-app-ver`.
    pub app_version: Option<String>,
}

impl Default for TokenEndpointConfig {
    fn default() -> Self {
        Self {
            http_cache: HttpCache::new(),
            telemetry: TelemetryBuffer::new(),
            timeout: DEFAULT_TIMEOUT,
            app_name: None,
            app_version: None,
        }
    }
}

impl TokenEndpointClient {
    /// A client sending through `http`, reading time from `clock` and waiting with `sleep`.
    pub fn new(
        http: Arc<dyn HttpClient>,
        clock: Arc<dyn Clock>,
        sleep: Arc<dyn AsyncSleep>,
        config: TokenEndpointConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                http,
                clock,
                sleep,
                http_cache: config.http_cache,
                telemetry: config.telemetry,
                timeout: config.timeout,
                app_name: config.app_name,
                app_version: config.app_version,
            }),
        }
    }

    /// The HTTP client.
    pub fn http(&self) -> &Arc<dyn HttpClient> {
        &self.inner.http
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The sleeper.
    pub fn sleep(&self) -> &Arc<dyn AsyncSleep> {
        &self.inner.sleep
    }

    /// The last-telemetry buffer.
    pub fn telemetry(&self) -> &TelemetryBuffer {
        &self.inner.telemetry
    }

    /// The per-request deadline.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Redeems a grant at the token endpoint.
    pub async fn obtain_token(
        &self,
        request: TokenEndpointRequest,
    ) -> Result<TokenResponse, Error> {
        let span = tracing::debug_span!(
            target: "msal::token_endpoint",
            "token_request",
            msal.correlation_id = %request.correlation_id,
            msal.api = request.api.code(),
            grant_type = request.form.get("grant_type").unwrap_or_default(),
        );
        async move {
            let status_and_body = self.post_with_throttling(&request).await;
            let result = status_and_body.and_then(|map| TokenResponse::from_json(http::StatusCode::OK, map));
            match &result {
                Ok(_) => self.inner.telemetry.record_success(),
                Err(e) => {
                    let code = e.service_error().map(|s| s.error.as_str()).unwrap_or("msal_client_error");
                    if !matches!(code, "authorization_pending" | "slow_down") {
                        self.inner.telemetry.record_failure(request.api, &request.correlation_id, code);
                    }
                }
            }
            tracing::debug!(target: "msal::token_endpoint", ok = result.is_ok(), "token request finished");
            result
        }
        .instrument(span)
        .await
    }

    /// POSTs a form with MSAL's headers (and telemetry when `with_telemetry`) and returns the JSON
    /// success body; used by the device-code endpoint, which Python sends without telemetry.
    pub async fn post_form(
        &self,
        endpoint: &str,
        form: &Form,
        correlation_id: &str,
        with_telemetry: Option<(ApiId, CacheInfo)>,
    ) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
        self.post_form_with_query(endpoint, &[], form, correlation_id, with_telemetry)
            .await
    }

    /// [`post_form`](Self::post_form) with query parameters added to `endpoint` (a caller's
    /// `extra_query_param`s, MSAL Python's `params=`).
    pub async fn post_form_with_query(
        &self,
        endpoint: &str,
        query: &[(String, String)],
        form: &Form,
        correlation_id: &str,
        with_telemetry: Option<(ApiId, CacheInfo)>,
    ) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
        let resp = self
            .send_with_retry(|| {
                self.build_post(endpoint, query, form, correlation_id, None, with_telemetry)
            })
            .await?;
        response::interpret(&resp, self.inner.clock.now())
    }

    /// GETs a JSON document (discovery), with one retry; no MSAL headers, as Python sends them.
    pub async fn get_json(
        &self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
        let resp = self
            .send_with_retry(|| {
                let mut b = http::Request::builder().method(Method::GET).uri(url);
                if !headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("accept"))
                {
                    b = b.header("Accept", "*/*");
                }
                for (k, v) in headers {
                    b = b.header(*k, *v);
                }
                self.finish(b, Vec::new())
            })
            .await?;
        response::interpret(&resp, self.inner.clock.now())
    }

    async fn post_with_throttling(
        &self,
        request: &TokenEndpointRequest,
    ) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
        let now = self.inner.clock.now();
        let form = &request.form;
        let account_hint = ["refresh_token", "code", "username", "user_id"]
            .iter()
            .find_map(|k| form.get(k))
            .unwrap_or_default();
        let retry_key = ThrottleKey::from_parts([
            "POST",
            request.endpoint.as_str(),
            form.get("client_id").unwrap_or_default(),
            form.get("scope").unwrap_or_default(),
            account_hint,
        ]);
        let is_device_poll = form.get("grant_type") == Some(DEVICE_CODE_GRANT);
        let encoded = form.encode();
        let query = form::encode_pairs(&request.query);
        let ui_key = ThrottleKey::from_parts([
            "POST 400",
            request.endpoint.as_str(),
            query.as_str(),
            encoded.as_str(),
        ]);

        let cache = &self.inner.http_cache;
        if let Some((remaining, ThrottledAnswer::RetryAfter(last))) = cache.get(&retry_key, now) {
            tracing::info!(target: "msal::throttle", retry_after_secs = remaining.as_secs(), "request throttled by an earlier Retry-After");
            return Err(Error::Throttled {
                retry_after: remaining,
                last,
            });
        }
        if !is_device_poll
            && let Some((
                _,
                ThrottledAnswer::Replay {
                    status,
                    content_type,
                    body,
                },
            )) = cache.get(&ui_key, now)
        {
            tracing::info!(target: "msal::throttle", "replaying a recent 400 for the identical request");
            let mut b = http::Response::builder().status(status);
            if let Some(ct) = content_type {
                b = b.header(http::header::CONTENT_TYPE, ct);
            }
            let resp = b.body(body).map_err(|e| Error::InvalidResponse {
                status,
                reason: format!("cannot replay the throttled answer: {e}"),
            })?;
            return response::interpret(&resp, now);
        }

        let resp = self
            .send_with_retry(|| {
                self.build_post(
                    &request.endpoint,
                    &request.query,
                    form,
                    &request.correlation_id,
                    request.anchor_mailbox.as_deref(),
                    Some((request.api, request.cache_info)),
                )
            })
            .await?;
        let now = self.inner.clock.now();
        let result = response::interpret(&resp, now);
        let status = resp.status();
        let retry_after = response::retry_after(&resp, now);
        if status.as_u16() == 429 || status.is_server_error() || retry_after.is_some() {
            if let Err(e) = &result {
                let last = e.service_error().cloned().unwrap_or_else(|| {
                    let mut se = ServiceError::new("http_error");
                    se.status = Some(status);
                    se
                });
                let ttl = retry_after
                    .unwrap_or(DEFAULT_RETRY_AFTER)
                    .min(MAX_RETRY_AFTER);
                cache.insert(
                    retry_key,
                    ThrottledAnswer::RetryAfter(Box::new(last)),
                    now,
                    ttl,
                );
            }
        } else if status.as_u16() == 400 && !is_device_poll {
            let content_type = resp
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let answer = ThrottledAnswer::Replay {
                status,
                content_type,
                body: resp.into_body(),
            };
            cache.insert(ui_key, answer, now, UI_REQUIRED_HOLD);
        }
        result
    }

    fn build_post(
        &self,
        endpoint: &str,
        query: &[(String, String)],
        form: &Form,
        correlation_id: &str,
        anchor_mailbox: Option<&str>,
        telemetry: Option<(ApiId, CacheInfo)>,
    ) -> Result<HttpRequest, Error> {
        let uri = if query.is_empty() {
            endpoint.to_owned()
        } else {
            let sep = if endpoint.contains('?') { '&' } else { '?' };
            format!("{endpoint}{sep}{}", form::encode_pairs(query))
        };
        // Token requests ask for JSON; the device-code request goes out with the HTTP library's
        // `*/*`, exactly as MSAL Python sends it.
        let accept = if telemetry.is_some() {
            "application/json"
        } else {
            "*/*"
        };
        let mut b = http::Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header("Accept", accept)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("x-client-sku", crate::SKU)
            .header("x-client-ver", crate::VERSION)
            .header("x-client-os", client_os())
            .header("x-ms-lib-capability", "retry-after, h429");
        if let Some(name) = &self.inner.app_name {
            b = b.header("x-app-name", header_value(name)?);
        }
        if let Some(ver) = &self.inner.app_version {
            b = b.header("x-app-ver", header_value(ver)?);
        }
        b = b.header("client-request-id", header_value(correlation_id)?);
        if let Some((api, info)) = telemetry {
            b = b
                .header(
                    "x-client-current-telemetry",
                    telemetry::current_header(api, info),
                )
                .header(
                    "x-client-last-telemetry",
                    self.inner.telemetry.last_header(),
                );
        }
        if let Some(anchor) = anchor_mailbox {
            b = b.header("X-AnchorMailbox", header_value(anchor)?);
        }
        self.finish(b, form.encode().into_bytes())
    }

    fn finish(&self, b: http::request::Builder, body: Vec<u8>) -> Result<HttpRequest, Error> {
        let mut req = b
            .body(body)
            .map_err(|e| Error::Configuration(format!("cannot build the request: {e}")))?;
        req.extensions_mut()
            .insert(RequestTimeout(self.inner.timeout));
        req.extensions_mut().insert(ResponseBodyLimit::DEFAULT);
        Ok(req)
    }

    /// Sends, and sends once more after a second on 5xx, timeout or connection failure.
    async fn send_with_retry(
        &self,
        build: impl Fn() -> Result<HttpRequest, Error>,
    ) -> Result<HttpResponse, Error> {
        let first = self.inner.http.send(build()?).await;
        let retry = match &first {
            Ok(resp) => resp.status().is_server_error(),
            Err(e) => e.is_retryable(),
        };
        if !retry {
            return first.map_err(Error::from);
        }
        tracing::debug!(target: "msal::token_endpoint", "retrying once after a transient failure");
        self.inner.sleep.sleep(RETRY_DELAY).await;
        Ok(self.inner.http.send(build()?).await?)
    }
}

fn header_value(v: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(v)
        .map_err(|_| Error::InvalidArgument("a header value contains invalid characters".into()))
}

#[cfg(test)]
mod correlation_id_tests {
    use super::*;

    #[test]
    fn ids_are_hyphenated_lowercase_v4_uuids_and_differ() {
        let a = new_correlation_id();
        let b = new_correlation_id();
        assert_ne!(a, b);
        for id in [&a, &b] {
            assert_eq!(id.len(), 36);
            let groups: Vec<_> = id.split('-').map(str::len).collect();
            assert_eq!(groups, [8, 4, 4, 4, 12]);
            assert!(
                id.chars()
                    .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            );
            assert_eq!(&id[14..15], "4");
            assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        }
    }

    #[test]
    fn layout_matches_rfc_9562() {
        assert_eq!(
            format_uuid_v4([0xff; 16]),
            "ffffffff-ffff-4fff-bfff-ffffffffffff"
        );
        assert_eq!(
            format_uuid_v4([0; 16]),
            "00000000-0000-4000-8000-000000000000"
        );
        assert_ne!(fallback_unique_bytes(), fallback_unique_bytes());
    }
}
