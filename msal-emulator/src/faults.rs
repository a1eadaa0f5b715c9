//! Injected failures: each [`FaultRule`] answers the next `count` requests to its endpoint with
//! a [`Fault`], then the endpoint serves normally again.

use std::sync::Mutex;
use std::time::Duration;

/// Which endpoint a [`FaultRule`] applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// `POST /{tenant}/oauth2/v2.0/token`.
    Token,
    /// `GET|POST /{tenant}/oauth2/v2.0/authorize`.
    Authorize,
    /// `POST /{tenant}/oauth2/v2.0/devicecode`.
    DeviceCode,
    /// `GET|POST /{tenant}/oauth2/v2.0/logout` (the end-session endpoint).
    Logout,
    /// Any `.well-known/openid-configuration`.
    OpenIdConfiguration,
    /// `GET /common/discovery/instance`.
    InstanceDiscovery,
    /// `GET /{tenant}/discovery/v2.0/keys`.
    Jwks,
    /// `GET /common/userrealm/{upn}`.
    UserRealm,
    /// IMDS token endpoint.
    Imds,
    /// IMDS region (`/metadata/instance/compute...`).
    ImdsRegion,
    /// App Service `/msi/token`.
    AppService,
    /// Azure Machine Learning `/msi/ml`.
    MachineLearning,
    /// Cloud Shell `POST /oauth2/token`.
    CloudShell,
    /// Azure Arc `/arc/metadata/identity/oauth2/token`.
    AzureArc,
    /// Service Fabric `/msi/sf`.
    ServiceFabric,
    /// The Key Vault stand-in: `GET /secrets/{name}[/{version}]`.
    KeyVaultSecret,
    /// Any request whose path ends with this text.
    Path(String),
}

impl Endpoint {
    /// Whether a request to `path` (classified as `actual`) matches this rule's endpoint.
    pub(crate) fn matches(&self, actual: Option<&Endpoint>, path: &str) -> bool {
        match self {
            Endpoint::Path(suffix) => path.ends_with(suffix.as_str()),
            other => actual == Some(other),
        }
    }
}

/// What a firing rule does to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status, an optional `Retry-After` value, and a body (default: an
    /// Entra-style JSON error, `temporarily_unavailable` for 429/5xx).
    Status {
        /// HTTP status.
        status: u16,
        /// `Retry-After` header value (seconds or an HTTP date).
        retry_after: Option<String>,
        /// Body; `None` picks an Entra-style JSON error.
        body: Option<String>,
    },
    /// Wait this long, then answer normally (for client timeouts).
    Delay(Duration),
    /// Close the connection without an answer.
    ConnectionReset,
    /// Send the headers of the normal answer (its full `Content-Length`) and half of its body,
    /// then drop the connection.
    TruncatedBody,
    /// 200 with `Content-Type: application/json` and a body cut in half (valid HTTP, bad JSON).
    MalformedJson,
    /// 500 with an HTML page, as a misbehaving proxy answers.
    HtmlErrorPage,
    /// 200 JSON of this many bytes (for response-size limits).
    OversizeBody(usize),
    /// The normal answer labelled `Content-Type: text/html`.
    WrongContentType,
}

/// A fault that fires `count` times for requests to `endpoint`.
///
/// ```
/// use msal_emulator::{Endpoint, Fault, FaultRule};
/// let rule = FaultRule::new(Endpoint::Token, 1, Fault::Status {
///     status: 429, retry_after: Some("2".into()), body: None,
/// });
/// assert_eq!(rule.count, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// The endpoint it applies to.
    pub endpoint: Endpoint,
    /// How many requests it fires for.
    pub count: usize,
    /// What it does.
    pub fault: Fault,
}

impl FaultRule {
    /// A rule firing `count` times.
    pub fn new(endpoint: Endpoint, count: usize, fault: Fault) -> Self {
        Self {
            endpoint,
            count,
            fault,
        }
    }

    /// Shorthand: `count` answers with `status` and no `Retry-After`.
    pub fn status(endpoint: Endpoint, count: usize, status: u16) -> Self {
        Self::new(
            endpoint,
            count,
            Fault::Status {
                status,
                retry_after: None,
                body: None,
            },
        )
    }
}

/// The active rules, consumed in the order they were added.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    rules: Mutex<Vec<FaultRule>>,
}

impl FaultBook {
    pub(crate) fn add(&self, rule: FaultRule) {
        if rule.count > 0 {
            lock(&self.rules).push(rule);
        }
    }

    /// Takes one firing of the first matching rule, if any.
    pub(crate) fn take(&self, endpoint: Option<&Endpoint>, path: &str) -> Option<Fault> {
        let mut rules = lock(&self.rules);
        let index = rules
            .iter()
            .position(|r| r.endpoint.matches(endpoint, path))?;
        let rule = rules.get_mut(index)?;
        rule.count -= 1;
        let fault = rule.fault.clone();
        if rule.count == 0 {
            rules.remove(index);
        }
        Some(fault)
    }

    pub(crate) fn clear(&self) {
        lock(&self.rules).clear();
    }
}

/// Locks a mutex, recovering from poisoning: a panicking test thread must not wedge the
/// emulator for the others.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_fires_count_times_then_stops() {
        let book = FaultBook::default();
        book.add(FaultRule::status(Endpoint::Token, 2, 503));
        let t = Some(&Endpoint::Token);
        assert!(book.take(t, "/x/oauth2/v2.0/token").is_some());
        assert!(book.take(Some(&Endpoint::Imds), "/metadata").is_none());
        assert!(book.take(t, "/x/oauth2/v2.0/token").is_some());
        assert!(book.take(t, "/x/oauth2/v2.0/token").is_none());
    }

    #[test]
    fn path_rules_match_suffix() {
        let book = FaultBook::default();
        book.add(FaultRule::new(
            Endpoint::Path("/keys".into()),
            1,
            Fault::ConnectionReset,
        ));
        assert_eq!(
            book.take(None, "/t/discovery/v2.0/keys"),
            Some(Fault::ConnectionReset)
        );
        assert_eq!(book.take(None, "/t/discovery/v2.0/keys"), None);
    }
}
