//! The headless Linux backend: the cache file sealed (see [`sealed`](crate::sealed)) under a
//! key kept in the Linux kernel keyring, through keyctl(2): no D-Bus, no daemon, no GUI.
//!
//! The key lives in the user's *persistent* keyring (`keyctl get_persistent`, Linux 3.13+),
//! which outlives logins and expires a few days (`/proc/sys/kernel/keys/persistent_keyring_expiry`,
//! 3 days by default) after the last process used it; where persistent keyrings are compiled
//! out, in the user keyring, which lives as long as the user has processes. Either way a reboot
//! drops the key. A file whose key is gone can never be read again: the cache starts empty and
//! the user signs in again. The file is never readable without the key.
//!
//! The key is readable by the processes of the same user that look it up, the same boundary as
//! the cache file's mode 0600: what it adds is that the file alone (a backup, a copied home
//! directory, a stolen disk) reveals nothing.

use linux_keyutils::{KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};
use msal_cache::{CacheError, Decoded, FileCodec};

use crate::{
    KeyringBackend, KeyringError,
    sealed::{self, OpenError, SealingKey},
};

const BACKEND: KeyringBackend = KeyringBackend::KernelKeyring;

/// Seals and opens the cache file with the key named `description` in the kernel keyring.
#[derive(Debug)]
pub(crate) struct KernelKeyringCodec {
    description: String,
    path: String,
}

impl KernelKeyringCodec {
    pub(crate) fn new(description: String, path: String) -> Self {
        Self { description, path }
    }

    /// Whether the kernel keyring can be used at all (containers often forbid keyctl).
    pub(crate) fn probe() -> Result<(), String> {
        keyring().map(|_| ()).map_err(describe)
    }

    fn find_key(&self) -> Result<Option<SealingKey>, KeyringError> {
        let key = match keyring().map_err(failed)?.search(&self.description) {
            Ok(key) => key,
            Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => {
                return Ok(None);
            }
            Err(e) => return Err(failed(e)),
        };
        let bytes = zeroize::Zeroizing::new(key.read_to_vec().map_err(failed)?);
        Ok(SealingKey::from_bytes(&bytes))
    }

    /// The key, made now if there is none. Runs under the cache's cross-process lock, so two
    /// processes never make two keys for one file.
    fn key_for_writing(&self) -> Result<SealingKey, KeyringError> {
        if let Some(key) = self.find_key()? {
            return Ok(key);
        }
        let key = SealingKey::generate().map_err(|e| KeyringError::backend(BACKEND, e))?;
        let added = keyring()
            .and_then(|ring| ring.add_key(&self.description, key.as_bytes()))
            .map_err(failed)?;
        // The possessor (a process that linked the keyring, as every store does) may do
        // everything; other processes of the user only see that the key exists.
        let perms = KeyPermissionsBuilder::builder()
            .posessor(Permission::ALL)
            .user(Permission::VIEW)
            .build();
        added.set_perms(perms).map_err(failed)?;
        tracing::info!(key = %self.description, "made a new sealing key in the kernel keyring");
        Ok(key)
    }

    fn not_sealed(&self) -> CacheError {
        KeyringError::NotSealed {
            path: self.path.clone(),
        }
        .into()
    }
}

impl FileCodec for KernelKeyringCodec {
    fn encode(&self, state: &str) -> Result<Vec<u8>, CacheError> {
        let key = self.key_for_writing()?;
        Ok(sealed::seal(&key, state.as_bytes()).map_err(|e| KeyringError::backend(BACKEND, e))?)
    }

    fn decode(&self, bytes: Vec<u8>) -> Result<Decoded, CacheError> {
        // Before the key is looked for: a file that was never sealed (a plaintext cache put
        // here) is not "unrecoverable", it is someone else's, and is never written over.
        if !sealed::is_sealed(&bytes) {
            return Err(self.not_sealed());
        }
        let Some(key) = self.find_key()? else {
            return Ok(Decoded::Unrecoverable(format!(
                "its key `{}` is no longer in the kernel keyring (a reboot, or days without use, \
                 removes it)",
                self.description
            )));
        };
        match sealed::open(&key, &bytes) {
            Ok(mut plain) => String::from_utf8(std::mem::take(&mut *plain))
                .map(Decoded::Cache)
                .map_err(|_| CacheError::Deserialize("the sealed cache is not UTF-8".into())),
            Err(OpenError::NotSealed) => Err(self.not_sealed()),
            Err(OpenError::OtherKey) => Ok(Decoded::Unrecoverable(
                "it was sealed under a key that is no longer in the kernel keyring".into(),
            )),
            Err(OpenError::Altered) => Ok(Decoded::Unrecoverable(
                "it was altered or truncated since it was sealed (authentication failed)".into(),
            )),
        }
    }
}

fn failed(e: KeyError) -> KeyringError {
    KeyringError::backend(BACKEND, describe(e))
}

/// The keyring the keys live in, linked into this process's keyring so that this process
/// possesses it (possession is what the key's permissions grant).
fn keyring() -> Result<KeyRing, KeyError> {
    match KeyRing::get_persistent(KeyRingIdentifier::Process) {
        Ok(ring) => Ok(ring),
        // Kernels built without CONFIG_PERSISTENT_KEYRINGS.
        Err(KeyError::OperationNotSupported) => {
            let user = KeyRing::from_special_id(KeyRingIdentifier::User, true)?;
            let process = KeyRing::from_special_id(KeyRingIdentifier::Process, true)?;
            process.link_keyring(user)?;
            Ok(user)
        }
        Err(e) => Err(e),
    }
}

fn describe(e: KeyError) -> String {
    match e {
        KeyError::AccessDenied | KeyError::PermissionDenied => {
            "keyctl(2) was denied (a container's seccomp profile or an \
                                   LSM may block the kernel keyring)"
                .into()
        }
        KeyError::QuotaExceeded => "the user's kernel key quota is exhausted \
                                    (/proc/sys/kernel/keys/maxkeys)"
            .into(),
        KeyError::Unknown(38) => "this kernel has no keyctl(2) (ENOSYS; a container's seccomp \
                                  profile may hide it)"
            .into(),
        other => format!("keyctl(2) failed: {other:?}"),
    }
}
