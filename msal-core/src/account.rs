//! Accounts: who a cached user token belongs to.

use serde::{Deserialize, Serialize};

/// The kind of authority that issued an account's tokens, as the cache stores it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthorityType {
    /// Microsoft Entra ID (and B2C, CIAM): `"MSSTS"`.
    #[serde(rename = "MSSTS")]
    Mssts,
    /// AD FS: `"ADFS"`.
    #[serde(rename = "ADFS")]
    Adfs,
    /// Azure Cloud Shell: `"CLOUDSHELL"`.
    #[serde(rename = "CLOUDSHELL")]
    CloudShell,
    /// A value written by another library that this version does not know.
    #[serde(untagged)]
    Other(String),
}

impl AuthorityType {
    /// The string the cache stores.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Mssts => "MSSTS",
            Self::Adfs => "ADFS",
            Self::CloudShell => "CLOUDSHELL",
            Self::Other(s) => s,
        }
    }

    /// Parses the cached string.
    pub fn parse(s: &str) -> Self {
        match s {
            "MSSTS" => Self::Mssts,
            "ADFS" => Self::Adfs,
            "CLOUDSHELL" => Self::CloudShell,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// A signed-in user, as `get_accounts()` returns it. Serializes with the keys of MSAL Python's
/// account dictionaries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[expect(
    clippy::exhaustive_structs,
    reason = "the fields of MSAL Python's account dict, fixed by the cache schema"
)]
pub struct Account {
    /// `<uid>.<utid>` from `client_info` (or `sub` for ADFS and generic OIDC).
    pub home_account_id: String,
    /// The authority host the account signed in at, without a port.
    pub environment: String,
    /// The user's sign-in name (`preferred_username`, else `upn`).
    pub username: String,
    /// The object id in the tenant (`oid`, else `sub`).
    pub local_account_id: String,
    /// The tenant the account was seen in.
    pub realm: String,
    /// Which kind of authority issued the account.
    pub authority_type: AuthorityType,
    /// The grant that created the account (`authorization_code`, the device-code grant URN, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_source: Option<String>,
}
