//! reqwest errors as [`TransportError`]s.

use std::{error::Error as StdError, fmt, io};

use msal_core::http::{TransportError, TransportErrorKind};

/// Classifies `error` and drops its URL: a query string can carry an authorization code.
pub(crate) fn transport_error(error: reqwest::Error) -> TransportError {
    let kind = classify(&error);
    TransportError::new(kind, ReqwestFailure(error.without_url()))
}

/// A reqwest error whose message includes its causes: reqwest's own says only "error sending
/// request", and the useful part ("invalid peer certificate: UnknownIssuer") is three levels
/// down. The causes hold no URL (removed above) and never the request body.
struct ReqwestFailure(reqwest::Error);

impl fmt::Display for ReqwestFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        for cause in chain(&self.0) {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ReqwestFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl StdError for ReqwestFailure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.0)
    }
}

fn classify(error: &reqwest::Error) -> TransportErrorKind {
    // Timeout first: a TLS handshake cut short by the deadline is a timeout, not a TLS failure.
    if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if contains_tls_failure(error) {
        TransportErrorKind::Tls
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_body() || error.is_decode() || chain(error).any(|c| c.is::<io::Error>()) {
        TransportErrorKind::Io
    } else {
        TransportErrorKind::Other
    }
}

#[cfg(feature = "rustls")]
fn contains_tls_failure(error: &reqwest::Error) -> bool {
    msal_http_rustls::is_tls_failure(error)
}

#[cfg(not(feature = "rustls"))]
fn contains_tls_failure(_error: &reqwest::Error) -> bool {
    // native-tls errors are opaque here; they are reported as connection failures.
    false
}

fn chain(error: &reqwest::Error) -> impl Iterator<Item = &(dyn StdError + 'static)> {
    std::iter::successors(error.source(), |&cause| cause.source())
}
