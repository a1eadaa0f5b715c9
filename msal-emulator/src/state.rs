//! Everything an emulator instance shares between connections: configuration, keys, the request
//! log, fault rules, and the grants it has handed out (codes, refresh tokens, device codes).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;

use crate::config::{EmulatorConfig, UserConfig};
use crate::crypto::{Certificates, RegisteredCert, TokenSigner};
use crate::faults::{FaultBook, lock};
use crate::log::LoggedRequest;

/// Shared state of one emulator.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: EmulatorConfig,
    pub(crate) base_url: String,
    pub(crate) signer: TokenSigner,
    pub(crate) certs: Certificates,
    /// Certificates whose assertions each confidential client may present.
    pub(crate) client_certs: HashMap<String, Vec<RegisteredCert>>,
    pub(crate) faults: FaultBook,
    pub(crate) log: Mutex<Vec<LoggedRequest>>,
    pub(crate) grants: Mutex<Grants>,
    pub(crate) arc_key_dir: PathBuf,
    /// Host names instance discovery vouches for.
    pub(crate) known_hosts: Vec<String>,
    /// When the emulator started (Unix seconds): the Key Vault secrets' `created` time.
    pub(crate) started_at: u64,
}

impl Shared {
    pub(crate) fn record(&self, entry: LoggedRequest) {
        lock(&self.log).push(entry);
    }

    /// Whether instance discovery (and assertion audiences) accept `host`, with or without a
    /// port. `*.suffix` entries admit one extra label (regional hosts).
    pub(crate) fn is_known_host(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let bare = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
        self.known_hosts.iter().any(|known| {
            if let Some(suffix) = known.strip_prefix("*.") {
                bare.strip_suffix(suffix)
                    .and_then(|label| label.strip_suffix('.'))
                    .is_some_and(|label| !label.is_empty() && !label.contains('.'))
            } else {
                *known == host || *known == bare
            }
        })
    }
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) user: UserConfig,
    pub(crate) scopes: Vec<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) claims: Option<String>,
    pub(crate) expires_at: u64,
    pub(crate) redeemed: bool,
}

/// What a refresh token stands for.
#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    pub(crate) client_id: String,
    pub(crate) user: UserConfig,
    /// A family refresh token, redeemable by every FOCI client.
    pub(crate) family: bool,
}

/// Where a device code stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DeviceStatus {
    Pending,
    Approved,
    Declined,
}

/// An issued device code.
#[derive(Debug, Clone)]
pub(crate) struct DeviceCode {
    pub(crate) user_code: String,
    pub(crate) client_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) claims: Option<String>,
    pub(crate) status: DeviceStatus,
    pub(crate) polls: u32,
    pub(crate) expires_at: u64,
    pub(crate) redeemed: bool,
}

/// Grants handed out so far.
#[derive(Debug, Default)]
pub(crate) struct Grants {
    pub(crate) codes: HashMap<String, AuthCode>,
    pub(crate) refresh_tokens: HashMap<String, RefreshGrant>,
    /// Keyed by `device_code`.
    pub(crate) device_codes: HashMap<String, DeviceCode>,
    /// Contents of the Arc key files written so far.
    pub(crate) arc_secrets: HashSet<String>,
}

impl Grants {
    /// Sets the status of the device code with this user code; false if there is none.
    pub(crate) fn set_device_status(&mut self, user_code: &str, status: DeviceStatus) -> bool {
        match self
            .device_codes
            .values_mut()
            .find(|d| d.user_code.eq_ignore_ascii_case(user_code))
        {
            Some(d) => {
                d.status = status;
                true
            }
            None => false,
        }
    }
}
