//! The Linux desktop backend: the cache as one item of the Secret Service
//! (freedesktop.org's D-Bus API served by gnome-keyring, KeePassXC, KWallet 5.97+), stored the
//! way libsecret's `secret_password_store_sync` stores it, so msal-extensions'
//! `LibsecretPersistence` with the same schema name and attributes reads the same item.
//!
//! libsecret adds the schema name to an item's attributes as `xdg:schema` and looks items up
//! by all attributes together; the secret is the UTF-8 text with content type `text/plain`. The
//! transfer over D-Bus is encrypted with the Secret Service's `dh-ietf1024-sha256-aes128-cbc-pkcs7`
//! session, as libsecret does.

use std::{collections::HashMap, future::Future, time::Duration};

use async_trait::async_trait;
use secret_service::{EncryptionType, Error as SsError, SecretService};

use crate::{
    KeyringBackend, KeyringError,
    signal::{SecretSlot, SlotRead},
};

const BACKEND: KeyringBackend = KeyringBackend::SecretService;
/// libsecret's content type for passwords.
const CONTENT_TYPE: &str = "text/plain";
/// Bounds every exchange with the service, so a hung daemon fails the access instead of
/// stalling it. Unlocking may show the user a prompt, which gets longer.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
const UNLOCK_TIMEOUT: Duration = Duration::from_secs(120);
/// How long connecting may take before the next backend is tried.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One Secret Service item, found by its attributes.
#[derive(Debug)]
pub(crate) struct SecretServiceSlot {
    /// Includes `xdg:schema`.
    attributes: Vec<(String, String)>,
    label: String,
}

impl SecretServiceSlot {
    pub(crate) fn new(schema_name: &str, attributes: &[(String, String)], label: &str) -> Self {
        let mut all = vec![("xdg:schema".to_owned(), schema_name.to_owned())];
        all.extend(
            attributes
                .iter()
                .filter(|(k, _)| k != "xdg:schema")
                .cloned(),
        );
        Self {
            attributes: all,
            label: label.to_owned(),
        }
    }

    fn attributes(&self) -> HashMap<&str, &str> {
        self.attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// Whether a service answers on the session bus with a default collection that is
    /// unlocked. Errors say why not, for [`KeyringError::NoSecureStorage`]. A locked collection
    /// is not unlocked here: over SSH its prompt would appear on a desktop nobody watches, and
    /// the store would wait for it instead of trying the next backend.
    pub(crate) async fn probe() -> Result<(), String> {
        let check = async {
            let service = connect().await?;
            let collection = service
                .get_default_collection()
                .await
                .map_err(|e| format!("no default collection: {e}"))?;
            if collection.is_locked().await.map_err(|e| e.to_string())? {
                return Err(
                    "the default collection is locked (log in to the desktop session, \
                            or unlock it with `gnome-keyring-daemon --unlock`)"
                        .to_owned(),
                );
            }
            Ok(())
        };
        match tokio::time::timeout(CALL_TIMEOUT, check).await {
            Ok(result) => result,
            Err(_) => Err("the service did not answer in time".into()),
        }
    }
}

async fn connect() -> Result<SecretService<'static>, String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, SecretService::connect(EncryptionType::Dh)).await {
        Ok(Ok(service)) => Ok(service),
        Ok(Err(SsError::Unavailable)) => Err("no Secret Service on the session bus".into()),
        Ok(Err(e)) => Err(format!("cannot reach the Secret Service: {e}")),
        Err(_) => Err("the session bus did not answer in time".into()),
    }
}

async fn bounded<T>(
    limit: Duration,
    call: impl Future<Output = Result<T, SsError>>,
) -> Result<T, KeyringError> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => result.map_err(|e| KeyringError::backend(BACKEND, e)),
        Err(_) => Err(KeyringError::backend(
            BACKEND,
            format!("no answer within {limit:?}"),
        )),
    }
}

/// A connection for one access (a D-Bus connection and an encrypted session: a few
/// milliseconds, paid only when the cache changed or is written). Not kept: zbus runs a
/// connection's reader on the tokio runtime that made it, and a store may be shared by apps
/// on different runtimes (the blocking API gives each its own), where a kept connection would
/// wait for replies until that other runtime runs again.
async fn service() -> Result<SecretService<'static>, KeyringError> {
    connect()
        .await
        .map_err(|e| KeyringError::backend(BACKEND, e))
}

#[async_trait]
impl SecretSlot for SecretServiceSlot {
    async fn read(&self, may_prompt: bool) -> Result<SlotRead, KeyringError> {
        let service = service().await?;
        let mut found = bounded(CALL_TIMEOUT, service.search_items(self.attributes())).await?;
        if found.unlocked.is_empty() && found.locked.is_empty() {
            // Some services (KeePassXC) list nothing while their database is locked: "no item"
            // would then read as an empty cache, and the next save would replace the real one.
            let collection = bounded(CALL_TIMEOUT, service.get_default_collection()).await?;
            if !bounded(CALL_TIMEOUT, collection.is_locked()).await? {
                return Ok(SlotRead::Missing);
            }
            if !may_prompt {
                return Ok(SlotRead::Locked);
            }
            bounded(UNLOCK_TIMEOUT, collection.unlock()).await?;
            found = bounded(CALL_TIMEOUT, service.search_items(self.attributes())).await?;
        }
        let item = match (found.unlocked.first(), found.locked.first()) {
            (Some(item), _) => item,
            (None, Some(_)) if !may_prompt => return Ok(SlotRead::Locked),
            (None, Some(item)) => {
                bounded(UNLOCK_TIMEOUT, item.unlock()).await?;
                item
            }
            (None, None) => return Ok(SlotRead::Missing),
        };
        bounded(CALL_TIMEOUT, item.get_secret())
            .await
            .map(SlotRead::Found)
    }

    async fn write(&self, data: &[u8]) -> Result<(), KeyringError> {
        let service = service().await?;
        let collection = bounded(CALL_TIMEOUT, service.get_default_collection()).await?;
        bounded(UNLOCK_TIMEOUT, collection.ensure_unlocked()).await?;
        // `replace`: the item with the same attributes is updated in place, as libsecret does.
        bounded(
            CALL_TIMEOUT,
            collection.create_item(&self.label, self.attributes(), data, true, CONTENT_TYPE),
        )
        .await
        .map(drop)
    }
}
