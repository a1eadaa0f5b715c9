//! [`KeyringError`]: what went wrong with a keyring, carried inside
//! [`CacheError::Store`](msal_core::CacheError::Store).

use std::fmt;

use crate::KeyringBackend;

/// A keyring store failure. It reaches callers as
/// [`CacheError::Store`](msal_core::CacheError::Store), whose source downcasts to this type.
///
/// Messages never contain cache contents or keys.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// None of the backends tried can keep the cache encrypted, and
    /// [`fallback_to_plaintext`](crate::KeyringCacheStore::fallback_to_plaintext) is off.
    #[error(
        "no encrypted storage is reachable for the token cache ({}). {}",
        Tried(tried),
        what_to_do()
    )]
    NoSecureStorage {
        /// Each backend tried, with why it could not be used.
        tried: Vec<(KeyringBackend, String)>,
    },
    /// A backend that was working failed (the keyring daemon went away, the Keychain refused).
    #[error("the {backend} failed: {message}")]
    Backend {
        /// The backend.
        backend: KeyringBackend,
        /// What it said.
        message: String,
    },
    /// The file at the cache path is not a sealed cache (a plaintext cache, say); it is left
    /// as it is.
    #[error(
        "{path} is not an encrypted token cache; it was left as it is. Move it away (or delete \
         it) to start an encrypted cache there, or open it with FileCacheStore if it is a \
         plaintext cache"
    )]
    NotSealed {
        /// The file.
        path: String,
    },
}

struct Tried<'a>(&'a [(KeyringBackend, String)]);

impl fmt::Display for Tried<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f
                .write_str("no backend to try: none was named, or none exists on this platform");
        }
        for (i, (backend, why)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{backend}: {why}")?;
        }
        Ok(())
    }
}

fn what_to_do() -> &'static str {
    if cfg!(target_os = "linux") {
        "Run a Secret Service on the session bus and unlock it (gnome-keyring or KeePassXC; \
         in a headless session `dbus-run-session` with `gnome-keyring-daemon --unlock`), or \
         allow the kernel keyring (keyctl(2); container runtimes may block it), or opt into an \
         unencrypted file with `fallback_to_plaintext(true)`"
    } else if cfg!(target_os = "macos") {
        "Unlock the login Keychain, or opt into an unencrypted file with \
         `fallback_to_plaintext(true)`"
    } else {
        "Use FileCacheStore wrapped in your own encryption, or opt into an unencrypted file \
         with `fallback_to_plaintext(true)`"
    }
}

impl KeyringError {
    pub(crate) fn backend(backend: KeyringBackend, message: impl fmt::Display) -> Self {
        Self::Backend {
            backend,
            message: message.to_string(),
        }
    }
}

impl From<KeyringError> for msal_core::CacheError {
    fn from(e: KeyringError) -> Self {
        Self::Store(Box::new(e))
    }
}
