#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use base64::Engine as _;

mod challenge;
mod key;
mod method;
mod scheme;
mod shr;

pub use key::{PopKey, PopSigner};
pub use method::HttpMethod;
/// The error type a [`PopSigner`] returns (`msal_core::http::BoxError`).
pub use msal_core::http::BoxError;
pub use scheme::PopAuthScheme;
pub use shr::sign_http_request;

/// The two token-request form fields that ask ESTS for a token bound to `key`:
/// `token_type=pop` and `req_cnf=`[`key.req_cnf()`](PopKey::req_cnf).
///
/// ```
/// use msal_pop::{PopKey, token_request_fields};
///
/// let key = PopKey::generate_es256()?;
/// let fields = token_request_fields(&key);
/// assert_eq!(fields[0], ("token_type", "pop".to_owned()));
/// assert_eq!(fields[1], ("req_cnf", key.req_cnf()));
/// # Ok::<(), msal_core::Error>(())
/// ```
pub fn token_request_fields(key: &PopKey) -> [(&'static str, String); 2] {
    [("token_type", "pop".to_owned()), ("req_cnf", key.req_cnf())]
}

/// base64url without padding, the encoding of every JOSE field.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
