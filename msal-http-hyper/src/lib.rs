//! # msal-http-hyper
//!
//! The [hyper] 1 transport for msal-rs: [`HyperClient`] implements
//! [`msal_core::http::HttpClient`] on hyper's HTTP/1.1 client connections, tokio-rustls and a
//! small connection pool of its own (no hyper-util client, no `h2`). Pick it over
//! `msal-http-reqwest` for the smallest dependency tree when no proxy is needed; it has **no
//! proxy support** in 1.0.
//!
//! It follows every rule of the transport seam:
//! - redirects are never followed (hyper has no redirect logic; a 3xx is returned as is);
//! - [`RequestTimeout`](msal_core::http::RequestTimeout) bounds the whole exchange, body included
//!   (one `tokio::time::timeout`);
//! - [`ResponseBodyLimit`](msal_core::http::ResponseBodyLimit) caps the body: a too-large
//!   `Content-Length` is refused before reading, and a chunked body is cut off at the limit;
//! - [`PinnedServerCertificate`](msal_core::http::PinnedServerCertificate) sends the request
//!   through a separate client that trusts only that leaf (Service Fabric);
//! - plain `http` works (managed identity talks it to loopback and link-local endpoints);
//! - errors are [`TransportError`](msal_core::http::TransportError)s of the right kind and never
//!   carry the URL or the body.
//!
//! TLS is rustls on the ring provider, configured by `msal-http-rustls` (shared with
//! `msal-http-reqwest`); feature `rustls` (default). Without it only plain HTTP works and `https`
//! requests fail with [`TransportErrorKind::Unsupported`](msal_core::http::TransportErrorKind).
//!
//! This crate, `msal-http-reqwest` and `msal-http-rustls` are the only crates of msal-rs allowed
//! to depend on reqwest, hyper or a TLS stack: the protocol crates see only `dyn HttpClient`.
//!
//! ```no_run
//! use msal_http_hyper::HyperClient;
//!
//! # fn demo(ca_pem: &[u8]) -> Result<(), msal_core::Error> {
//! // Trust a local emulator's CA and route its made-up host name to loopback.
//! let client = HyperClient::builder()
//!     .add_root_certificate_pem(ca_pem)?
//!     .resolve("login.emulator.test", std::net::SocketAddr::from(([127, 0, 0, 1], 8443)))
//!     .build()?;
//! # let _ = client;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod body;
mod builder;
mod client;
mod connect;
mod error;
mod origin;
mod pool;

pub use builder::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, HyperClientBuilder};
pub use client::HyperClient;
