//! [`TlsOptions`]: what a backend builder collects, turned into a [`ClientConfig`].

use std::sync::Arc;

use msal_core::Error;
use rustls::{
    ClientConfig, ConfigBuilder, RootCertStore, WantsVerifier, client::WebPkiServerVerifier,
    crypto::CryptoProvider,
};
use rustls_pki_types::CertificateDer;

use crate::{
    pem::parse_pem_certificates, roots::built_in_roots, verifiers::AcceptAnyServerCertificate,
};

/// The TLS options of a backend builder.
///
/// Defaults: built-in roots on, no extra roots, certificates verified.
///
/// ```
/// use msal_http_rustls::TlsOptions;
///
/// let options = TlsOptions::new().tls_built_in_root_certs(false);
/// // With no roots at all there is nothing to trust: a configuration error, not a client that
/// // fails every handshake.
/// assert!(options.client_config().is_err());
/// ```
#[derive(Clone)]
pub struct TlsOptions {
    extra_roots: Vec<CertificateDer<'static>>,
    built_in_roots: bool,
    accept_invalid_certs: bool,
}

impl Default for TlsOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsOptions")
            .field("extra_roots", &self.extra_roots.len())
            .field("built_in_roots", &self.built_in_roots)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .finish()
    }
}

impl TlsOptions {
    /// Built-in roots, no extra roots, certificates verified.
    pub fn new() -> Self {
        Self {
            extra_roots: Vec::new(),
            built_in_roots: true,
            accept_invalid_certs: false,
        }
    }

    /// Also trusts every certificate of a PEM bundle. Fails with [`Error::Crypto`] on malformed
    /// PEM or a bundle without certificates.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        self.extra_roots.extend(parse_pem_certificates(pem)?);
        Ok(self)
    }

    /// Also trusts these DER certificates.
    pub fn add_root_certificates_der(
        mut self,
        certs: impl IntoIterator<Item = CertificateDer<'static>>,
    ) -> Self {
        self.extra_roots.extend(certs);
        self
    }

    /// Whether to trust the webpki and platform roots (default `true`). Turn off to trust only
    /// the roots added with [`add_root_certificate_pem`](Self::add_root_certificate_pem).
    pub fn tls_built_in_root_certs(mut self, enabled: bool) -> Self {
        self.built_in_roots = enabled;
        self
    }

    /// Accepts any server certificate, expired, self-signed or for another host (the handshake
    /// signature is still checked). **Only for tests**: it turns TLS into encryption without
    /// authentication, so anyone on the path can read the token request.
    pub fn danger_accept_invalid_certs(mut self, enabled: bool) -> Self {
        self.accept_invalid_certs = enabled;
        self
    }

    /// Whether [`danger_accept_invalid_certs`](Self::danger_accept_invalid_certs) is on.
    pub fn accepts_invalid_certs(&self) -> bool {
        self.accept_invalid_certs
    }

    /// Builds the rustls configuration (ring provider, safe default protocol versions, no client
    /// certificate, no ALPN: each backend sets the protocols its HTTP stack speaks).
    ///
    /// Fails with [`Error::Configuration`] when no root is left to trust.
    pub fn client_config(&self) -> Result<ClientConfig, Error> {
        let provider = crate::provider();
        if self.accept_invalid_certs {
            let verifier = Arc::new(AcceptAnyServerCertificate::new(provider.clone()));
            return Ok(config_builder(provider)?
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth());
        }
        let mut roots = if self.built_in_roots {
            built_in_roots().clone()
        } else {
            RootCertStore::empty()
        };
        for cert in &self.extra_roots {
            roots
                .add(cert.clone())
                .map_err(|e| Error::Crypto(format!("unusable root certificate: {e}")))?;
        }
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| {
                    Error::Configuration(format!(
                        "no TLS root certificate to trust (built-in roots off and none added?): {e}"
                    ))
                })?;
        Ok(config_builder(provider)?
            .with_webpki_verifier(verifier)
            .with_no_client_auth())
    }
}

/// The first builder step shared by every configuration.
pub(crate) fn config_builder(
    provider: Arc<CryptoProvider>,
) -> Result<ConfigBuilder<ClientConfig, WantsVerifier>, Error> {
    ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Configuration(format!("TLS provider unusable: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOT_A_CERT_PEM: &[u8] = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

    #[test]
    fn default_config_trusts_built_in_roots() {
        let config = TlsOptions::new().client_config().unwrap();
        assert!(
            config.alpn_protocols.is_empty(),
            "ALPN is the backend's choice"
        );
    }

    #[test]
    fn only_unparsable_roots_are_a_crypto_error() {
        // Valid PEM framing around bytes that are not a certificate.
        let options = TlsOptions::new()
            .tls_built_in_root_certs(false)
            .add_root_certificate_pem(NOT_A_CERT_PEM)
            .unwrap();
        assert!(matches!(options.client_config(), Err(Error::Crypto(_))));
    }

    #[test]
    fn accepting_invalid_certs_needs_no_roots() {
        let options = TlsOptions::new()
            .tls_built_in_root_certs(false)
            .danger_accept_invalid_certs(true);
        assert!(options.accepts_invalid_certs());
        assert!(options.client_config().is_ok());
        assert!(format!("{options:?}").contains("accept_invalid_certs: true"));
    }
}
