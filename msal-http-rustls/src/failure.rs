//! Recognising a TLS failure inside a backend's error chain.

use std::{error::Error as StdError, io};

/// Whether a [`rustls::Error`] is anywhere below `error`.
///
/// Both backends report a failed handshake as a connection error, with the rustls error inside
/// nested `io::Error`s. `io::Error::source()` skips the error it wraps, so each `io::Error` is
/// opened with `get_ref` as well.
///
/// ```
/// let tls = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls::Error::DecryptError);
/// let outer = std::io::Error::other(tls);
/// assert!(msal_http_rustls::is_tls_failure(&outer));
/// assert!(!msal_http_rustls::is_tls_failure(&std::io::Error::other("refused")));
/// ```
pub fn is_tls_failure(error: &(dyn StdError + 'static)) -> bool {
    std::iter::successors(Some(error), |&cause| cause.source()).any(|cause| {
        cause.is::<rustls::Error>()
            || cause
                .downcast_ref::<io::Error>()
                .and_then(io::Error::get_ref)
                .is_some_and(|inner| is_tls_failure(inner))
    })
}
