//! # msal-pop
//!
//! Proof-of-Possession (PoP) for msal-rs: PoP keys and Signed HTTP Requests (SHR).
//!
//! A bearer token works for whoever holds it. A PoP token is bound to a key: the token request
//! sends the public key's id (`token_type=pop`, `req_cnf`), ESTS puts that id in the access
//! token's `cnf` claim, and every call to the resource wraps the token in a fresh JWS signed with
//! the private key and bound to one HTTP method, host, path and server nonce. A stolen SHR is
//! useless for any other request, and a stolen access token is useless without the key.
//!
//! ## Why this crate signs SHRs itself
//!
//! MSAL Python gets PoP only through a broker (WAM, the macOS broker): it forwards the method,
//! URL and nonce and returns what the broker signed, and it raises without one. msal-rs has no
//! broker, so it does what MSAL.NET and MSAL.js do: keep the key in the process and build and
//! sign the SHR in-crate, in their wire format (header `{alg, kid, typ:"pop"}`; payload `at`,
//! `ts`, `nonce`, `m`, `u`, `p`, `cnf.jwk`). Keys held elsewhere (an HSM, a platform key store)
//! plug in through [`PopSigner`].
//!
//! ## Why ES256 is the default
//!
//! An ES256 (P-256) key is generated in microseconds, its public JWK is about 130 bytes and
//! its signature 64, so each SHR stays small. RS256 (RSA-2048, what MSAL.NET uses) is available
//! for resources that require it, but generating one is slow and its JWK and signature add
//! about 700 bytes to every request.
//!
//! ## Usage
//!
//! The `msal` facade does all of this when a request has `.auth_scheme(scheme)`; directly:
//!
//! ```
//! use std::time::SystemTime;
//!
//! use msal_core::AccessToken;
//! use msal_pop::{PopAuthScheme, PopKey, sign_http_request, token_request_fields};
//!
//! // Once per application: the key tokens will be bound to.
//! let key = PopKey::generate_es256()?;
//!
//! // Added to the token request, so ESTS binds the access token to the key.
//! let [(tt, pop), (cnf, req_cnf)] = token_request_fields(&key);
//! assert_eq!((tt, pop.as_str(), cnf), ("token_type", "pop", "req_cnf"));
//! # let _ = req_cnf;
//!
//! // For each call to the resource: a fresh SHR over the token ESTS returned.
//! let challenge = http::HeaderValue::from_static(r#"PoP nonce="AAABAAEAiL9Kn2Z27Uu""#);
//! let scheme = PopAuthScheme::from_www_authenticate(
//!     PopAuthScheme::HTTP_GET,
//!     "https://graph.microsoft.com/v1.0/me",
//!     &challenge,
//! )?;
//! let bound_token = AccessToken::new("eyJ0eXAiOiJKV1Qi...");
//! let shr = sign_http_request(&key, &bound_token, &scheme, SystemTime::now())?;
//! let authorization = format!("PoP {}", shr.secret());
//! # let _ = authorization;
//! # Ok::<(), msal_core::Error>(())
//! ```
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
