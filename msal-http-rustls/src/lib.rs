//! # msal-http-rustls
//!
//! The rustls client configuration shared by the msal-rs HTTP backends (`msal-http-reqwest` and
//! `msal-http-hyper`), so trust decisions are written, reviewed and tested once.
//!
//! It builds a [`rustls::ClientConfig`] on the **ring** provider (never aws-lc-rs, to keep builds
//! free of C toolchains and cmake) from [`TlsOptions`]:
//!
//! - the Mozilla roots of `webpki-roots` (feature `webpki-roots`) plus the platform's roots
//!   (`rustls-native-certs`, feature `native-roots`), both on by default; a platform store that
//!   fails to load is logged and skipped, because a broken system store should not stop a
//!   client that only needs the public roots;
//! - extra root CAs from PEM (a private CA, a local emulator);
//! - `danger_accept_invalid_certs`, for tests only;
//! - and, separately, [`pinned_client_config`]: trust exactly one leaf certificate identified by
//!   its SHA-1 thumbprint, which is how Service Fabric's managed-identity endpoint is
//!   authenticated.
//!
//! Together with the two backend crates, this is one of the only crates of the workspace allowed
//! to depend on a TLS stack; the protocol crates never do.
//!
//! ```
//! use msal_http_rustls::TlsOptions;
//!
//! let config = TlsOptions::new().client_config()?;
//! assert!(config.alpn_protocols.is_empty());
//! # Ok::<(), msal_core::Error>(())
//! ```
#![forbid(unsafe_code)]

mod failure;
mod options;
mod pem;
mod roots;
mod verifiers;

use std::sync::Arc;

use msal_core::http::PinnedServerCertificate;
use rustls::{ClientConfig, crypto::CryptoProvider};

pub use failure::is_tls_failure;
pub use options::TlsOptions;
pub use pem::parse_pem_certificates;
pub use verifiers::{AcceptAnyServerCertificate, PinnedLeafVerifier, sha1_thumbprint};

/// The crypto provider every backend uses: rustls' ring provider.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A configuration that trusts exactly the leaf certificate whose SHA-1 (of its DER) is `pin`,
/// whatever its issuer, chain, validity dates or names: Service Fabric presents a self-signed
/// certificate that matches none of them. The handshake signature is still verified, so the
/// server must hold the pinned certificate's private key.
///
/// ```
/// use msal_core::http::PinnedServerCertificate;
///
/// let config = msal_http_rustls::pinned_client_config(PinnedServerCertificate { sha1: [0; 20] })?;
/// # let _ = config;
/// # Ok::<(), msal_core::Error>(())
/// ```
pub fn pinned_client_config(
    pin: PinnedServerCertificate,
) -> Result<ClientConfig, msal_core::Error> {
    let provider = provider();
    let verifier = Arc::new(PinnedLeafVerifier::new(pin, provider.clone()));
    Ok(options::config_builder(provider)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}
