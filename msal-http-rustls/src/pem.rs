//! PEM parsing of root certificates.

use msal_core::Error;
use rustls_pki_types::{CertificateDer, pem::PemObject as _};

/// Parses every `CERTIFICATE` block of a PEM bundle, ignoring other blocks (keys, CRLs).
///
/// Fails with [`Error::Crypto`] when the PEM is malformed or holds no certificate: a bundle that
/// silently adds nothing would surface later as a confusing handshake failure.
///
/// ```
/// let err = msal_http_rustls::parse_pem_certificates(b"not pem").unwrap_err();
/// assert!(matches!(err, msal_core::Error::Crypto(_)));
/// ```
pub fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Crypto(format!("malformed PEM root certificate: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Crypto(
            "the PEM data holds no CERTIFICATE block".to_owned(),
        ));
    }
    Ok(certs)
}
