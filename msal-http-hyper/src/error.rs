//! hyper errors as [`TransportError`]s.

use std::{error::Error as StdError, fmt, io};

use msal_core::http::{TransportError, TransportErrorKind};

/// Classifies a hyper or TLS error. Neither carries the URL or the body.
pub(crate) fn transport_error<E>(error: E) -> TransportError
where
    E: StdError + Send + Sync + 'static,
{
    let kind = classify(&error);
    TransportError::new(kind, HyperFailure(Box::new(error)))
}

/// An error whose message includes its causes: hyper's own often says only "error trying to
/// connect" or "connection error", and the useful part is further down.
struct HyperFailure(Box<dyn StdError + Send + Sync>);

impl fmt::Display for HyperFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(error) = cause {
            write!(f, ": {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}

impl fmt::Debug for HyperFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl StdError for HyperFailure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.0)
    }
}

fn classify(error: &(dyn StdError + 'static)) -> TransportErrorKind {
    let chain = || std::iter::successors(Some(error), |&cause| cause.source());
    if chain().any(is_timeout) {
        TransportErrorKind::Timeout
    } else if contains_tls_failure(error) {
        TransportErrorKind::Tls
    } else if chain().any(|cause| {
        cause.is::<io::Error>()
            || cause
                .downcast_ref::<hyper::Error>()
                .is_some_and(|e| e.is_incomplete_message() || e.is_body_write_aborted())
    }) {
        TransportErrorKind::Io
    } else {
        TransportErrorKind::Other
    }
}

/// A socket timeout surfaces as an `io::Error` of kind `TimedOut`.
fn is_timeout(cause: &(dyn StdError + 'static)) -> bool {
    cause
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::TimedOut)
        || cause
            .downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_timeout)
}

#[cfg(feature = "rustls")]
fn contains_tls_failure(error: &(dyn StdError + 'static)) -> bool {
    msal_http_rustls::is_tls_failure(error)
}

#[cfg(not(feature = "rustls"))]
fn contains_tls_failure(_error: &(dyn StdError + 'static)) -> bool {
    false
}
