#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

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
