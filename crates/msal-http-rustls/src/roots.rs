//! The built-in trust anchors: webpki-roots plus the platform store, loaded once per process.

use std::sync::OnceLock;

use rustls::RootCertStore;

/// Mozilla's roots plus the platform's. Loading the platform store reads files (or calls the OS),
/// so it happens once per process rather than once per client.
pub(crate) fn built_in_roots() -> &'static RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let native = rustls_native_certs::load_native_certs();
        // A broken platform store (missing directory, unreadable file) is common in containers;
        // the public roots above still work, so log and go on rather than fail every client.
        for error in &native.errors {
            tracing::warn!(target: "msal::http", %error, "could not load platform root certificates");
        }
        let (added, ignored) = roots.add_parsable_certificates(native.certs);
        tracing::debug!(target: "msal::http", added, ignored, "loaded platform root certificates");
        roots
    })
}
