//! The macOS backend: the cache as one generic password in the login Keychain, under
//! msal-extensions' `KeychainPersistence` service and account (service `msal-extensions`,
//! account the SHA-256 of the signal file's path, unless given), so both read the same item.

use async_trait::async_trait;
use security_framework::passwords;

use crate::{
    KeyringBackend, KeyringError,
    signal::{SecretSlot, SlotRead},
};

const BACKEND: KeyringBackend = KeyringBackend::Keychain;
/// `errSecItemNotFound` (Security.framework's SecBase.h).
const ITEM_NOT_FOUND: i32 = -25300;

/// One Keychain generic password.
#[derive(Debug)]
pub(crate) struct KeychainSlot {
    service: String,
    account: String,
}

impl KeychainSlot {
    pub(crate) fn new(service: &str, account: &str) -> Self {
        Self {
            service: service.to_owned(),
            account: account.to_owned(),
        }
    }
}

// The Security framework's calls are synchronous and local; they may show the user a prompt
// the first time an app asks for an item another app made.
#[async_trait]
impl SecretSlot for KeychainSlot {
    async fn read(&self, _may_prompt: bool) -> Result<SlotRead, KeyringError> {
        match passwords::get_generic_password(&self.service, &self.account) {
            Ok(data) => Ok(SlotRead::Found(data)),
            Err(e) if e.code() == ITEM_NOT_FOUND => Ok(SlotRead::Missing),
            Err(e) => Err(KeyringError::backend(BACKEND, e)),
        }
    }

    async fn write(&self, data: &[u8]) -> Result<(), KeyringError> {
        passwords::set_generic_password(&self.service, &self.account, data)
            .map_err(|e| KeyringError::backend(BACKEND, e))
    }
}
