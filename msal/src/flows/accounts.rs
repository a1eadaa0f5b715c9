//! Accounts in the cache: listing and signing out (MSAL Python's `get_accounts` and `remove_account` in `msal/application.py`).

use msal_core::{Account, AuthorityType, Result};

use crate::{app::core::AppCore, request::into_future};

/// `get_accounts`.
#[must_use = "a request does nothing until it is sent or awaited"]
#[derive(Debug)]
pub struct GetAccounts<'a> {
    pub(crate) core: &'a AppCore,
    pub(crate) username: Option<String>,
    pub(crate) home_account_id: Option<String>,
}

impl<'a> GetAccounts<'a> {
    /// Only accounts with this username (case-insensitive).
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Only the account with this home account id (MSAL.NET's `GetAccountAsync`): what a web
    /// app keeps in its session to find the signed-in user again.
    ///
    /// Unlike the unfiltered call, this reads the user's own cache partition, so with a
    /// partitioned store (`msal-cache-redis`) any instance of a web farm finds the account,
    /// not only the one that signed the user in.
    pub fn home_account_id(mut self, home_account_id: impl Into<String>) -> Self {
        self.home_account_id = Some(home_account_id.into());
        self
    }

    /// Reads the cache (no network).
    pub async fn send(self) -> Result<Vec<Account>> {
        let core = self.core;
        let accounts = match &self.home_account_id {
            Some(home) => {
                let wanted_user = self.username.as_deref().map(str::to_lowercase);
                core.cache
                    .find_account(home, core.environments().iter(), None)
                    .await?
                    .filter(|a| {
                        matches!(a.authority_type, AuthorityType::Mssts | AuthorityType::Adfs)
                            && wanted_user
                                .as_deref()
                                .is_none_or(|u| a.username.to_lowercase() == u)
                    })
                    .into_iter()
                    .collect()
            }
            None => {
                core.cache
                    .get_accounts(core.environments().iter(), self.username.as_deref(), false)
                    .await?
            }
        };
        // Usernames are personal data: logged only when the app opted in.
        if core.enable_pii_log {
            let names: Vec<&str> = accounts.iter().map(|a| a.username.as_str()).collect();
            tracing::debug!(target: "msal::app", count = accounts.len(), usernames = ?names, "accounts in the cache");
        } else {
            tracing::debug!(target: "msal::app", count = accounts.len(), "accounts in the cache");
        }
        Ok(accounts)
    }
}

into_future!(GetAccounts, Vec<Account>);

/// `remove_account`.
#[must_use = "a request does nothing until it is sent or awaited"]
#[derive(Debug)]
pub struct RemoveAccount<'a> {
    pub(crate) core: &'a AppCore,
    pub(crate) account: Account,
}

impl<'a> RemoveAccount<'a> {
    /// Removes the account's refresh tokens (own and family), access tokens, ID tokens and
    /// account entries from the cache.
    pub async fn send(self) -> Result<()> {
        self.core
            .cache
            .remove_account(&self.account, &self.core.client_id)
            .await?;
        // The removed tokens' per-thread copies go too (the cache's new generation would stop
        // them being served anyway).
        self.core.user_hits.clear();
        Ok(())
    }
}

into_future!(RemoveAccount, ());

/// `remove_tokens_for_client`.
#[must_use = "a request does nothing until it is sent or awaited"]
#[derive(Debug)]
pub struct RemoveTokensForClient<'a> {
    pub(crate) core: &'a AppCore,
}

impl<'a> RemoveTokensForClient<'a> {
    /// Removes the app-only access tokens of this client (every tenant).
    pub async fn send(self) -> Result<()> {
        let core = self.core;
        core.cache
            .remove_tokens_for_client(&core.client_id, core.environments().iter())
            .await?;
        core.app_hits.clear();
        Ok(())
    }
}

into_future!(RemoveTokensForClient, ());
