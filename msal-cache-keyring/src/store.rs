//! [`KeyringCacheStore`]: picks the first backend that can keep the cache encrypted here, and
//! hands every access to it.

use std::{
    fmt,
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

use async_trait::async_trait;
use msal_cache::{CacheAccess, CacheError, CacheLock, CacheStore, FileCacheStore};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::KeyringError;

/// Where a [`KeyringCacheStore`] keeps the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyringBackend {
    /// An item of the Secret Service on the D-Bus session bus (Linux desktops: gnome-keyring,
    /// KeePassXC, KWallet), as msal-extensions' `LibsecretPersistence` keeps it.
    SecretService,
    /// The cache file sealed with XChaCha20-Poly1305 under a key held in the Linux kernel
    /// keyring (headless Linux: SSH sessions, containers, CI).
    KernelKeyring,
    /// A generic password in the macOS login Keychain, as msal-extensions'
    /// `KeychainPersistence` keeps it.
    Keychain,
    /// The cache file unencrypted, as `FileCacheStore` keeps it. Only ever used when asked for:
    /// [`KeyringCacheStore::fallback_to_plaintext`] or [`KeyringCacheStore::backends`].
    Plaintext,
}

impl fmt::Display for KeyringBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SecretService => "Secret Service",
            Self::KernelKeyring => "kernel keyring",
            Self::Keychain => "macOS Keychain",
            Self::Plaintext => "plaintext file",
        })
    }
}

impl KeyringBackend {
    /// The backends tried, in order, when none are named: the Secret Service, then the kernel
    /// keyring on Linux; the Keychain on macOS; none elsewhere.
    pub fn platform_defaults() -> &'static [KeyringBackend] {
        if cfg!(target_os = "linux") {
            &[Self::SecretService, Self::KernelKeyring]
        } else if cfg!(target_os = "macos") {
            &[Self::Keychain]
        } else {
            &[]
        }
    }
}

/// The token cache encrypted at rest: in the platform keyring, or on headless Linux in a file
/// sealed with a key from the kernel keyring. Shared safely between processes, MSAL Python's
/// msal-extensions among them.
///
/// The first access picks the first backend of [`backends`](Self::backends) that works here
/// and keeps it for the life of the store; a failed pick is retried on the next access (the
/// user may unlock the keyring meanwhile). Nothing falls back to an unencrypted file unless
/// [`fallback_to_plaintext`](Self::fallback_to_plaintext) says so: when nothing encrypted is
/// reachable every access fails with [`KeyringError::NoSecureStorage`], which says what was
/// tried and what to do.
///
/// `location` is msal-extensions' `signal_location`: with a keyring item it is a file touched
/// after every save (its contents left alone), so that other processes notice; with the kernel
/// keyring it is the sealed cache file. Either way `<location>.lockfile` is the cross-process
/// lock, as with [`FileCacheStore`], and every write reloads under it, so no process's change is
/// lost. The store needs a tokio runtime with its timer and I/O drivers.
///
/// ```no_run
/// use msal_cache::TokenCache;
/// use msal_cache_keyring::KeyringCacheStore;
///
/// # async fn demo() -> Result<(), msal_cache::CacheError> {
/// let store = KeyringCacheStore::new("/home/me/.msal_token_cache.signal");
/// // Optional, like msal-extensions' trial_run(): fail at start-up rather than at sign-in.
/// println!("token cache kept in the {}", store.backend().await?);
/// let cache = TokenCache::with_store(store);
/// # let _ = cache; Ok(()) }
/// ```
///
/// Processes that pick different backends for one location (a desktop session and an SSH
/// session of the same user, say) do not share tokens, but neither disturbs the other's: each
/// signs in once.
pub struct KeyringCacheStore {
    location: PathBuf,
    lock_path: Option<PathBuf>,
    lock_timeout: Option<Duration>,
    schema_name: Option<String>,
    attributes: Vec<(String, String)>,
    label: String,
    keychain_service: String,
    keychain_account: Option<String>,
    backends: Vec<KeyringBackend>,
    fallback_to_plaintext: bool,
    selected: OnceCell<Selected>,
}

struct Selected {
    backend: KeyringBackend,
    store: Box<dyn CacheStore>,
}

impl fmt::Debug for KeyringCacheStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringCacheStore")
            .field("location", &self.location)
            .field("backends", &self.backends)
            .field("fallback_to_plaintext", &self.fallback_to_plaintext)
            .field("selected", &self.selected.get().map(|s| s.backend))
            .finish_non_exhaustive()
    }
}

impl KeyringCacheStore {
    /// A store whose signal (or sealed) file is `location`, with msal-extensions'
    /// `build_encrypted_persistence(location)` defaults: on Linux the libsecret schema name is
    /// the SHA-256 hex of `location` with no other attributes; on macOS the Keychain service is
    /// `msal-extensions` and the account that same hash. Give Python the same path string to
    /// share the cache with it (the string is hashed as given: expand `~` the same way on both
    /// sides).
    pub fn new(location: impl Into<PathBuf>) -> Self {
        Self {
            location: location.into(),
            lock_path: None,
            lock_timeout: None,
            schema_name: None,
            attributes: Vec::new(),
            label: String::new(),
            keychain_service: "msal-extensions".to_owned(),
            keychain_account: None,
            backends: KeyringBackend::platform_defaults().to_vec(),
            fallback_to_plaintext: false,
            selected: OnceCell::new(),
        }
    }

    /// The libsecret schema name (`LibsecretPersistence(schema_name=…)`), stored as the
    /// `xdg:schema` attribute.
    pub fn schema_name(mut self, name: impl Into<String>) -> Self {
        self.schema_name = Some(name.into());
        self
    }

    /// Adds an attribute the Secret Service item is stored and found by
    /// (`LibsecretPersistence(attributes={…})`).
    pub fn attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((name.into(), value.into()));
        self
    }

    /// The item's label, shown by keyring managers such as Seahorse (default empty, as
    /// msal-extensions leaves it).
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// The Keychain service (`KeychainPersistence(service_name=…)`, default `msal-extensions`).
    pub fn keychain_service(mut self, service: impl Into<String>) -> Self {
        self.keychain_service = service.into();
        self
    }

    /// The Keychain account (`KeychainPersistence(account_name=…)`, default the SHA-256 hex of
    /// the location).
    pub fn keychain_account(mut self, account: impl Into<String>) -> Self {
        self.keychain_account = Some(account.into());
        self
    }

    /// The backends to try, in order (default [`KeyringBackend::platform_defaults`]).
    /// Naming [`KeyringBackend::Plaintext`] here is an opt-in to an unencrypted file.
    pub fn backends(mut self, backends: impl IntoIterator<Item = KeyringBackend>) -> Self {
        self.backends = backends.into_iter().collect();
        self
    }

    /// When no backend can encrypt the cache, keep it in an unencrypted file at the location
    /// instead of failing (msal-extensions' `fallback_to_plaintext`; default off). The choice
    /// is logged as a warning.
    pub fn fallback_to_plaintext(mut self, fallback: bool) -> Self {
        self.fallback_to_plaintext = fallback;
        self
    }

    /// Locks through this lock file instead of `<location>.lockfile`.
    pub fn lock_path(mut self, lock_path: impl Into<PathBuf>) -> Self {
        self.lock_path = Some(lock_path.into());
        self
    }

    /// How long a write waits for another process's lock (default 5 s, as
    /// [`FileCacheStore::lock_timeout`]).
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = Some(timeout);
        self
    }

    /// The signal (or sealed cache) file.
    pub fn location(&self) -> &Path {
        &self.location
    }

    /// When the cache was last saved, by any process (msal-extensions'
    /// `time_last_modified()`): the modification time of the location; `None` before the
    /// first save.
    ///
    /// # Errors
    ///
    /// [`CacheError::Io`] when the file's metadata cannot be read.
    pub fn last_modified(&self) -> Result<Option<SystemTime>, CacheError> {
        self.file_store().last_modified()
    }

    /// The name of the kernel key that seals the cache file with
    /// [`KeyringBackend::KernelKeyring`]: `msal-rs:token-cache:` and the SHA-256 hex of the
    /// location's canonical path (symbolic links and `..` resolved as far as the path exists),
    /// so every spelling of one file names one key. `keyctl search %:_persistent.<uid> user
    /// <name>` finds it; unlinking it forgets the cache.
    pub fn kernel_key_description(&self) -> String {
        format!(
            "msal-rs:token-cache:{}",
            sha256_hex(&canonical(&self.location).to_string_lossy())
        )
    }

    /// Picks the backend now, if no access has yet, and says which it is: what
    /// msal-extensions' `trial_run()` is for, failing at start-up rather than at the first
    /// sign-in. Unlike `trial_run()` it writes nothing: it connects, and checks that the
    /// Secret Service's default collection is unlocked or that the kernel keyring answers.
    ///
    /// # Errors
    ///
    /// [`CacheError::Store`] with [`KeyringError::NoSecureStorage`] when no backend works.
    pub async fn backend(&self) -> Result<KeyringBackend, CacheError> {
        Ok(self.selected().await?.backend)
    }

    async fn selected(&self) -> Result<&Selected, CacheError> {
        self.selected.get_or_try_init(|| self.select()).await
    }

    async fn select(&self) -> Result<Selected, CacheError> {
        let mut tried = Vec::new();
        for &backend in &self.backends {
            match self.open(backend).await {
                Ok(store) => {
                    tracing::info!(%backend, location = %self.location.display(),
                        "the token cache is kept in the {backend}");
                    return Ok(Selected { backend, store });
                }
                Err(why) => {
                    tracing::debug!(%backend, reason = %why, "cannot keep the token cache here");
                    tried.push((backend, why));
                }
            }
        }
        if self.fallback_to_plaintext {
            tracing::warn!(location = %self.location.display(), ?tried,
                "no encrypted storage is reachable; the token cache is kept UNENCRYPTED, as \
                 fallback_to_plaintext allows");
            return Ok(Selected {
                backend: KeyringBackend::Plaintext,
                store: Box::new(self.file_store()),
            });
        }
        Err(KeyringError::NoSecureStorage { tried }.into())
    }

    /// The store for `backend`, or why it cannot be used here.
    async fn open(&self, backend: KeyringBackend) -> Result<Box<dyn CacheStore>, String> {
        match backend {
            KeyringBackend::Plaintext => {
                tracing::warn!(location = %self.location.display(),
                    "the token cache is kept UNENCRYPTED, as the backends list asks");
                Ok(Box::new(self.file_store()))
            }
            #[cfg(target_os = "linux")]
            KeyringBackend::SecretService => {
                crate::secret_service::SecretServiceSlot::probe().await?;
                let schema = self
                    .schema_name
                    .clone()
                    .unwrap_or_else(|| self.location_hash());
                let slot = crate::secret_service::SecretServiceSlot::new(
                    &schema,
                    &self.attributes,
                    &self.label,
                );
                Ok(Box::new(crate::signal::SignalledStore::new(
                    Box::new(slot),
                    self.file_store(),
                )))
            }
            #[cfg(target_os = "linux")]
            KeyringBackend::KernelKeyring => {
                crate::kernel::KernelKeyringCodec::probe()?;
                let codec = crate::kernel::KernelKeyringCodec::new(
                    self.kernel_key_description(),
                    self.location.display().to_string(),
                );
                Ok(Box::new(self.file_store().codec(codec)))
            }
            #[cfg(target_os = "macos")]
            KeyringBackend::Keychain => {
                let account = self
                    .keychain_account
                    .clone()
                    .unwrap_or_else(|| self.location_hash());
                let slot = crate::keychain::KeychainSlot::new(&self.keychain_service, &account);
                Ok(Box::new(crate::signal::SignalledStore::new(
                    Box::new(slot),
                    self.file_store(),
                )))
            }
            #[allow(
                unreachable_patterns,
                reason = "which arms remain depends on the platform"
            )]
            _ => Err("not available on this platform".into()),
        }
    }

    /// msal-extensions' `_auto_hash(signal_location)`.
    fn location_hash(&self) -> String {
        sha256_hex(&self.location.to_string_lossy())
    }

    fn file_store(&self) -> FileCacheStore {
        // A busy lock is waited for on tokio's timer, not by sleeping the thread: the Secret
        // Service backend holds the lock across D-Bus calls, which a sleeping thread of a
        // current-thread runtime would never let finish.
        let mut store = FileCacheStore::new(&self.location).sleep(msal_core::sleep::TokioSleep);
        if let Some(path) = &self.lock_path {
            store = store.lock_path(path);
        }
        if let Some(timeout) = self.lock_timeout {
            store = store.lock_timeout(timeout);
        }
        store
    }
}

/// `path` made absolute with its longest existing ancestor canonicalized (symbolic links and
/// `..` resolved), the rest appended as written: the same name whether or not the directory
/// exists yet.
fn canonical(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut rest = Vec::new();
    let mut ancestor = absolute.as_path();
    loop {
        if let Ok(real) = std::fs::canonicalize(ancestor) {
            return rest.iter().rev().fold(real, |path, part| path.join(part));
        }
        match (ancestor.parent(), ancestor.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                ancestor = parent;
            }
            _ => return absolute,
        }
    }
}

fn sha256_hex(text: &str) -> String {
    use std::fmt::Write;
    Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

#[async_trait]
impl CacheStore for KeyringCacheStore {
    async fn load(&self, access: &CacheAccess) -> Result<Option<String>, CacheError> {
        self.selected().await?.store.load(access).await
    }

    async fn save(&self, access: &CacheAccess, state: &str) -> Result<(), CacheError> {
        self.selected().await?.store.save(access, state).await
    }

    async fn lock(&self, access: &CacheAccess) -> Result<CacheLock, CacheError> {
        self.selected().await?.store.lock(access).await
    }
}
