//! # msal-http-rustls
//!
//! rustls client configuration shared by the msal-rs HTTP backends: roots, extra CAs, certificate pinning.
#![forbid(unsafe_code)]
