//! Errors: one enum for callers, precise variants, no secret in any message.
//!
//! MSAL Python returns error dictionaries for OAuth errors and raises for everything else; here
//! every failure is an [`Error`]. OAuth error bodies become [`ServiceError`], and the ones that mean
//! "a user must interact" become [`Error::InteractionRequired`] so callers can branch on one
//! variant instead of string-matching `error` codes.

use std::{fmt, time::Duration};

use crate::http::TransportError;

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in msal-rs.
///
/// `Clone` so that one failed request can be reported to every caller that waited on it
/// (single-flight); cloning keeps the message of an underlying I/O or transport error but not
/// its concrete type.
#[non_exhaustive]
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The identity provider (or managed-identity endpoint) answered with an OAuth error body,
    /// or with a bodyless HTTP status of 400 or more.
    #[error("{0}")]
    Service(Box<ServiceError>),

    /// A user must sign in again or consent: nothing usable is cached, or the service said so
    /// (`invalid_grant`, `interaction_required`, `login_required`, `consent_required`).
    #[error("interaction required ({reason}){}", source.as_ref().map(|s| format!(": {s}")).unwrap_or_default())]
    InteractionRequired {
        /// Why.
        reason: InteractionReason,
        /// The service's `suberror`, except for the ones MSAL hides (`bad_token`, ...).
        classification: Option<String>,
        /// The error the service returned, if it returned one.
        #[source]
        source: Option<Box<ServiceError>>,
    },

    /// The identical request failed recently with a Retry-After (or 429/5xx) and was not sent
    /// again; the last answer is replayed.
    #[error("request throttled for another {}s after: {last}", retry_after.as_secs())]
    Throttled {
        /// How much longer the throttle lasts.
        retry_after: Duration,
        /// The answer that started the throttle.
        last: Box<ServiceError>,
    },

    /// The device code expired before the user finished signing in.
    #[error("the device code expired before sign-in completed")]
    DeviceCodeExpired(Option<Box<ServiceError>>),

    /// The user declined the sign-in (device code `authorization_declined`, or `access_denied`).
    #[error("the user declined the authorization: {0}")]
    AuthorizationDeclined(Box<ServiceError>),

    /// The authorization response's `state` is not the one this flow sent.
    #[error("the authorization response's state does not match the request's")]
    StateMismatch,

    /// An ID-token check of the auth-code flow failed.
    #[error(transparent)]
    IdToken(#[from] IdTokenError),

    /// The interactive or device-code flow's own deadline passed.
    #[error("the flow timed out waiting for the user")]
    Timeout,

    /// The caller cancelled the flow.
    #[error("the flow was cancelled")]
    Cancelled,

    /// No browser could be opened for interactive sign-in. `acquire_token_interactive` no
    /// longer fails with it: it shows the sign-in URL and keeps waiting, as MSAL Python does.
    #[error("could not open a browser: {0}")]
    Browser(String),

    /// The request did not get an HTTP answer (after the one retry).
    #[error("transport: {0}")]
    Transport(#[from] TransportError),

    /// The answer was not what the protocol allows: not JSON, an HTML page, a field missing.
    /// The body is not echoed, since it may hold tokens.
    #[error("invalid response (HTTP {status}): {reason}")]
    InvalidResponse {
        /// HTTP status of the answer.
        status: http::StatusCode,
        /// What was wrong with it.
        reason: String,
    },

    /// An argument of a call is invalid (Python's `ValueError` for call inputs).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The application is misconfigured: builder option, credential, authority, region, issuer.
    #[error("configuration: {0}")]
    Configuration(String),

    /// The operation is not supported (for example WS-Trust federated username/password).
    #[error("unsupported: {0}")]
    Unsupported(String),

    /// A key could not be parsed or a signature not made. Never contains key material.
    #[error("crypto: {0}")]
    Crypto(String),

    /// A client certificate file could not be used: wrong passphrase, no key in it, a key
    /// without its certificate. Never contains key material or the passphrase.
    #[error("client certificate: {0}")]
    Certificate(#[from] CertificateError),

    /// The token cache failed: (de)serialization, store I/O, lock timeout.
    #[error("token cache: {0}")]
    Cache(#[from] CacheError),

    /// A managed-identity specific failure.
    #[error("managed identity: {0}")]
    ManagedIdentity(#[from] ManagedIdentityError),
}

impl Error {
    /// The [`ServiceError`] inside `Service`, `InteractionRequired`, `Throttled`,
    /// `DeviceCodeExpired` and `AuthorizationDeclined`.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) | Error::AuthorizationDeclined(e) => Some(e),
            Error::InteractionRequired { source, .. } => source.as_deref(),
            Error::Throttled { last, .. } => Some(last),
            Error::DeviceCodeExpired(e) => e.as_deref(),
            _ => None,
        }
    }

    /// Whether a user must interact (sign in, consent, satisfy a policy).
    pub fn is_interaction_required(&self) -> bool {
        matches!(self, Error::InteractionRequired { .. })
    }

    /// Whether trying the same call later may succeed: throttling, 429, 5xx, transient transport
    /// failures.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Throttled { .. } => true,
            Error::Transport(t) => t.is_retryable(),
            Error::Service(e) => e
                .status
                .is_some_and(|s| s.as_u16() == 429 || s.is_server_error()),
            _ => false,
        }
    }

    /// How long the service asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Throttled { retry_after, .. } => Some(*retry_after),
            _ => self.service_error().and_then(|e| e.retry_after),
        }
    }

    /// The claims challenge (Conditional Access) to pass to the next interactive request.
    pub fn claims_challenge(&self) -> Option<&str> {
        self.service_error().and_then(|e| e.claims.as_deref())
    }

    /// The correlation id the service reported, for support requests.
    pub fn correlation_id(&self) -> Option<&str> {
        self.service_error()
            .and_then(|e| e.correlation_id.as_deref())
    }

    /// Wraps a service error.
    pub fn service(e: ServiceError) -> Self {
        Error::Service(Box::new(e))
    }
}

/// Why interaction is required.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InteractionReason {
    /// Nothing usable was in the cache (Python's `acquire_token_silent` returning `None`).
    NoTokenFound,
    /// The service refused the silent request and asks for interaction.
    ServiceRequired,
}

impl fmt::Display for InteractionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoTokenFound => "no token found in the cache",
            Self::ServiceRequired => "the service requires it",
        })
    }
}

/// An OAuth 2.0 error answer from Microsoft Entra ID, or a bodyless HTTP error.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceError {
    /// HTTP status of the answer, when there was one.
    pub status: Option<http::StatusCode>,
    /// The OAuth `error` code, e.g. `invalid_grant`.
    pub error: String,
    /// Human-readable description from the service.
    pub error_description: Option<String>,
    /// Entra's numeric error codes (AADSTS…).
    pub error_codes: Vec<i64>,
    /// Entra's `suberror`, e.g. `consent_required`.
    pub suberror: Option<String>,
    /// A link to documentation of the error.
    pub error_uri: Option<String>,
    /// When the service saw the error.
    pub timestamp: Option<String>,
    /// The service's trace id.
    pub trace_id: Option<String>,
    /// The correlation id the service reported.
    pub correlation_id: Option<String>,
    /// A Conditional Access claims challenge (JSON) to send with the next request.
    pub claims: Option<String>,
    /// From the `Retry-After` header.
    pub retry_after: Option<Duration>,
}

impl ServiceError {
    /// A service error with only the `error` code.
    pub fn new(error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            ..Self::default()
        }
    }

    /// Parses an Entra error body. `None` when the body is not a JSON object with a string `error`.
    ///
    /// Only the documented fields are kept; anything else (which may include tokens in a hostile
    /// answer) is dropped.
    pub fn from_json(status: Option<http::StatusCode>, body: &serde_json::Value) -> Option<Self> {
        let obj = body.as_object()?;
        let error = obj.get("error")?.as_str()?.to_owned();
        let text = |k: &str| {
            obj.get(k).and_then(|v| match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let error_codes = obj
            .get("error_codes")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|c| c.as_i64()).collect())
            .unwrap_or_default();
        Some(Self {
            status,
            error,
            error_description: text("error_description"),
            error_codes,
            suberror: text("suberror"),
            error_uri: text("error_uri"),
            timestamp: text("timestamp"),
            trace_id: text("trace_id"),
            correlation_id: text("correlation_id"),
            claims: text("claims"),
            retry_after: None,
        })
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.error)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {})", status.as_u16())?;
        }
        if let Some(d) = &self.error_description {
            // Entra descriptions are multi-line with trace ids; the first line says what happened.
            let first = d.lines().next().unwrap_or_default();
            write!(f, ": {first}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

/// An ID token failed a check, or could not be decoded.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    /// Not a JWT, or its payload is not a JSON object.
    #[error("malformed ID token: {0}")]
    Malformed(String),
    /// The `nonce` claim is not the one the flow sent.
    #[error("the ID token's nonce does not match the request's")]
    NonceMismatch,
    /// `max_age` was requested but the token has no `auth_time`.
    #[error("max_age was requested but the ID token has no auth_time")]
    AuthTimeMissing,
    /// The sign-in (`auth_time`) is older than `max_age` allows.
    #[error("the sign-in is older than max_age allows")]
    MaxAgeExceeded,
}

/// Why a client certificate file (`Certificate::from_pkcs12`) could not be used.
///
/// The variants a user can fix by themselves are distinct, so an app can say "wrong
/// passphrase" rather than "invalid file". No message holds the passphrase or key material.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// The passphrase does not open the file: its integrity check (MAC) failed, or, in a file
    /// without one, its encrypted contents did not decrypt.
    #[error("wrong passphrase for the PKCS#12 file (or the file is damaged)")]
    WrongPassphrase,
    /// The file opened but holds no private key (exported with `-nokeys`, or a certificate
    /// store export without the key).
    #[error("the PKCS#12 file holds no private key; export it with its key")]
    NoPrivateKey,
    /// The file holds a private key but no certificate for it.
    #[error("the PKCS#12 file holds a private key but no certificate")]
    NoCertificate,
    /// No certificate in the file carries the private key's public key.
    #[error(
        "no certificate in the PKCS#12 file belongs to its private key (their public keys differ)"
    )]
    KeyMismatch,
    /// The key is not an RSA key (Entra client assertions are RSA-signed).
    #[error("unsupported private key: {0}")]
    UnsupportedKey(String),
    /// Not a PKCS#12 file, or one using a feature this reader does not support.
    #[error("invalid PKCS#12 file: {0}")]
    Malformed(String),
}

/// A token-cache failure.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The serialized cache is not valid (not JSON, not an object, a section not an object).
    #[error("invalid cache data: {0}")]
    Deserialize(String),
    /// The cache could not be serialized.
    #[error("could not serialize the cache: {0}")]
    Serialize(String),
    /// Reading or writing the persisted cache failed.
    #[error("cache store I/O on {path}: {source}")]
    Io {
        /// The file or resource involved.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Another process held the cache lock for longer than the lock timeout.
    #[error("timed out after {waited:?} waiting for the cache lock {path}")]
    LockTimeout {
        /// The lock file.
        path: String,
        /// How long we waited.
        waited: Duration,
    },
    /// A custom store failed.
    #[error("cache store: {0}")]
    Store(#[source] crate::http::BoxError),
}

impl Clone for CacheError {
    fn clone(&self) -> Self {
        match self {
            Self::Deserialize(s) => Self::Deserialize(s.clone()),
            Self::Serialize(s) => Self::Serialize(s.clone()),
            Self::Io { path, source } => Self::Io {
                path: path.clone(),
                source: std::io::Error::new(source.kind(), source.to_string()),
            },
            Self::LockTimeout { path, waited } => Self::LockTimeout {
                path: path.clone(),
                waited: *waited,
            },
            Self::Store(e) => Self::Store(crate::http::ClonedError::boxed(e.as_ref())),
        }
    }
}

/// A managed-identity specific failure.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManagedIdentityError {
    /// Azure Arc is not supported on this platform.
    #[error("Azure Arc managed identity is not supported on this platform")]
    ArcPlatformNotSupported,
    /// The Azure Arc challenge named a key file that may not be read.
    #[error("refusing the Azure Arc key file: {0}")]
    ArcKeyFile(String),
    /// The Azure Arc challenge was missing or malformed.
    #[error("invalid Azure Arc challenge: {0}")]
    ArcChallenge(String),
    /// The detected source cannot use the requested user-assigned id kind.
    #[error("the {source_name} managed identity source does not accept a user-assigned {id_kind}")]
    SourceRejectsUserAssignedId {
        /// Which source.
        source_name: String,
        /// Which id kind.
        id_kind: String,
    },
    /// The Service Fabric server certificate thumbprint is missing or invalid.
    #[error("invalid Service Fabric server thumbprint")]
    ServerCertificateMismatch,
    /// Any other configuration problem (invalid environment variables, ...).
    #[error("{0}")]
    Configuration(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_entra_error_body() {
        let body = json!({
            "error": "invalid_grant",
            "error_description": "AADSTS70000: The grant is expired.\r\nTrace ID: x",
            "error_codes": [70000],
            "timestamp": "2026-11-26 05:00:00Z",
            "trace_id": "t", "correlation_id": "c", "suberror": "bad_token",
            "claims": "{\"access_token\":{}}", "refresh_token": "must-not-be-kept"
        });
        let e = ServiceError::from_json(Some(http::StatusCode::BAD_REQUEST), &body).unwrap();
        assert_eq!(e.error, "invalid_grant");
        assert_eq!(e.error_codes, vec![70000]);
        assert_eq!(e.suberror.as_deref(), Some("bad_token"));
        assert_eq!(
            e.to_string(),
            "invalid_grant (HTTP 400): AADSTS70000: The grant is expired."
        );
        assert!(ServiceError::from_json(None, &json!({"error": 5})).is_none());
        assert!(ServiceError::from_json(None, &json!([1])).is_none());
    }

    #[test]
    fn accessors_reach_the_service_error() {
        let mut se = ServiceError::new("temporarily_unavailable");
        se.status = Some(http::StatusCode::TOO_MANY_REQUESTS);
        se.retry_after = Some(Duration::from_secs(7));
        se.claims = Some("{}".into());
        let e = Error::service(se.clone());
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(e.claims_challenge(), Some("{}"));
        let t = Error::Throttled {
            retry_after: Duration::from_secs(3),
            last: Box::new(se),
        };
        assert_eq!(t.retry_after(), Some(Duration::from_secs(3)));
        assert!(t.service_error().is_some());
        assert!(!Error::Cancelled.is_retryable());
    }
}
