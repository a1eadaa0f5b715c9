//! # msal-http-reqwest
//!
//! The [reqwest] transport for msal-rs: [`ReqwestClient`] implements
//! [`msal_core::http::HttpClient`], and is the client `msal` uses by default.
//!
//! It follows every rule of the transport seam:
//! - redirects are never followed (a 3xx is returned as a response);
//! - [`RequestTimeout`](msal_core::http::RequestTimeout) bounds the whole exchange, body included;
//! - [`ResponseBodyLimit`](msal_core::http::ResponseBodyLimit) caps the body: a too-large
//!   `Content-Length` is refused before reading, and a chunked body is cut off at the limit;
//! - [`PinnedServerCertificate`](msal_core::http::PinnedServerCertificate) sends the request
//!   through a separate client that trusts only that leaf and bypasses proxies (Service Fabric);
//! - errors are [`TransportError`](msal_core::http::TransportError)s of the right kind, and never
//!   carry the URL (its query can hold an authorization code) or the body.
//!
//! TLS is rustls on the ring provider, configured by `msal-http-rustls` (shared with
//! `msal-http-hyper`). Features:
//! - `rustls` (default): rustls with Mozilla's and the platform's roots.
//! - `native-tls`: the operating system's TLS instead (when `rustls` is off); certificate pinning
//!   then fails with [`TransportErrorKind::Unsupported`](msal_core::http::TransportErrorKind).
//!
//! This crate, `msal-http-hyper` and `msal-http-rustls` are the only crates of msal-rs allowed to
//! depend on reqwest, hyper or a TLS stack: the protocol crates see only `dyn HttpClient`, so a
//! breaking reqwest release never forces one on them.
//!
//! ```no_run
//! use msal_http_reqwest::ReqwestClient;
//!
//! # fn demo(ca_pem: &[u8]) -> Result<(), msal_core::Error> {
//! // Trust a local emulator's CA and never use a proxy.
//! let client = ReqwestClient::builder()
//!     .add_root_certificate_pem(ca_pem)?
//!     .no_proxy()
//!     .build()?;
//! # let _ = client;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod body;
mod builder;
mod client;
mod error;
mod tls;

pub use builder::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, ReqwestClientBuilder};
pub use client::ReqwestClient;
/// The reqwest version this crate is built on, for [`ReqwestClient::from_client`] and
/// [`ReqwestClientBuilder::proxy`].
pub use reqwest;
