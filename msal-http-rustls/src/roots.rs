//! The built-in trust anchors: webpki-roots (feature `webpki-roots`) plus the platform store
//! (feature `native-roots`), loaded once per process. With neither feature there are no
//! built-in roots, and only roots added from PEM are trusted.

use std::sync::OnceLock;

use rustls::RootCertStore;

/// The roots of the enabled features. Loading the platform store reads files (or calls the OS),
/// so it happens once per process rather than once per client.
pub(crate) fn built_in_roots() -> &'static RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        #[allow(unused_mut, reason = "with no root feature nothing is added")]
        let mut roots = RootCertStore::empty();
        #[cfg(feature = "webpki-roots")]
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        #[cfg(feature = "native-roots")]
        {
            let native = rustls_native_certs::load_native_certs();
            // A broken platform store (missing directory, unreadable file) is common in
            // containers; other roots may still work, so log and go on rather than fail every
            // client.
            for error in &native.errors {
                tracing::warn!(target: "msal::http", %error, "could not load platform root certificates");
            }
            let (added, ignored) = roots.add_parsable_certificates(native.certs);
            tracing::debug!(target: "msal::http", added, ignored, "loaded platform root certificates");
        }
        roots
    })
}
