//! Custom server-certificate verifiers: a pinned leaf (Service Fabric) and accept-anything
//! (tests).
//!
//! Both still verify the handshake signature with the provider's algorithms: skipping it would
//! let anyone replay the pinned certificate without holding its private key.

use std::{fmt, sync::Arc};

use msal_core::http::PinnedServerCertificate;
use rustls::{
    CertificateError, DigitallySignedStruct, Error, OtherError, SignatureScheme,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature},
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use sha1::{Digest, Sha1};

/// The handshake-signature half of a `ServerCertVerifier`, identical for both verifiers: the
/// signature is always checked with the provider's algorithms, whatever the certificate policy.
macro_rules! handshake_signature_checks {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    };
}

/// The SHA-1 of a certificate's DER encoding: the "thumbprint" Windows and Service Fabric show.
pub fn sha1_thumbprint(der: &[u8]) -> [u8; 20] {
    Sha1::digest(der).into()
}

/// Trusts exactly the leaf whose SHA-1 thumbprint matches the pin; the chain, names and dates
/// are ignored because the pinned certificate is self-signed and named for no host.
pub struct PinnedLeafVerifier {
    pin: PinnedServerCertificate,
    provider: Arc<CryptoProvider>,
}

impl PinnedLeafVerifier {
    /// A verifier for `pin` that checks handshake signatures with `provider`'s algorithms.
    pub fn new(pin: PinnedServerCertificate, provider: Arc<CryptoProvider>) -> Self {
        Self { pin, provider }
    }
}

impl fmt::Debug for PinnedLeafVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinnedLeafVerifier")
            .field("pin", &self.pin)
            .finish_non_exhaustive()
    }
}

/// Why a pinned handshake was refused.
#[derive(Debug)]
struct PinMismatch;

impl fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the server certificate's SHA-1 thumbprint does not match the pinned one")
    }
}

impl std::error::Error for PinMismatch {}

impl ServerCertVerifier for PinnedLeafVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        // The thumbprint is public, so a plain comparison leaks nothing worth a constant-time one.
        if sha1_thumbprint(end_entity.as_ref()) == self.pin.sha1 {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(PinMismatch)),
            )))
        }
    }

    handshake_signature_checks!();
}

/// Accepts any server certificate (backs `danger_accept_invalid_certs`). For tests only.
pub struct AcceptAnyServerCertificate {
    provider: Arc<CryptoProvider>,
}

impl AcceptAnyServerCertificate {
    /// A verifier that checks only handshake signatures, with `provider`'s algorithms.
    pub fn new(provider: Arc<CryptoProvider>) -> Self {
        Self { provider }
    }
}

impl fmt::Debug for AcceptAnyServerCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcceptAnyServerCertificate")
            .finish_non_exhaustive()
    }
}

impl ServerCertVerifier for AcceptAnyServerCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    handshake_signature_checks!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_is_sha1_of_der() {
        // SHA-1("abc"), FIPS 180 test vector.
        let expected = [
            0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78, 0x50,
            0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d,
        ];
        assert_eq!(sha1_thumbprint(b"abc"), expected);
    }

    #[test]
    fn pinned_verifier_refuses_another_leaf() {
        let pin = PinnedServerCertificate {
            sha1: sha1_thumbprint(b"leaf"),
        };
        let verifier = PinnedLeafVerifier::new(pin, crate::provider());
        let name = ServerName::try_from("localhost").unwrap();
        let now = UnixTime::now();
        assert!(
            verifier
                .verify_server_cert(
                    &CertificateDer::from(b"leaf".to_vec()),
                    &[],
                    &name,
                    &[],
                    now
                )
                .is_ok()
        );
        assert!(
            verifier
                .verify_server_cert(
                    &CertificateDer::from(b"other".to_vec()),
                    &[],
                    &name,
                    &[],
                    now
                )
                .is_err()
        );
        assert!(format!("{verifier:?}").contains("PinnedServerCertificate"));
    }
}
