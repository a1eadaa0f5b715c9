//! Everything that changes the cache: recording a token response (MSAL Python's
//! `TokenCache.add`), refresh-token updates and removal (`ClientApplication.remove_account`), and pruning of expired access tokens.

use std::{collections::BTreeMap, time::SystemTime};

use msal_core::{
    Account, AuthorityType, IdTokenClaims, RefreshToken, TokenResponse,
    clock::unix_secs,
    id_token::{ClientInfo, decode_unverified},
};
use serde_json::{Map, Value, json};

use crate::{
    entry::CachedRefreshToken,
    entry::CredentialType,
    keys::{
        access_token_key, account_key, app_metadata_key, app_partition_hash, app_partition_key,
        id_token_key, refresh_token_key, user_partition_key,
    },
    query::effective_ext_cache_key,
    state::{CacheState, EntryId, View},
};

/// Grants whose name MSAL Python records as the account's `account_source`.
const ACCOUNT_SOURCE_GRANTS: &[&str] = &[
    "broker",
    "authorization_code",
    "password",
    "urn:ietf:params:oauth:grant-type:device_code",
    "user_fic",
];

/// A successful token response and the request it answered: what
/// [`TokenCache::add_token_response`](crate::TokenCache::add_token_response) stores.
///
/// ```
/// use msal_cache::TokenEvent;
/// use msal_core::TokenResponse;
/// let response = TokenResponse::default();
/// let event = TokenEvent::new("client", "login.microsoftonline.com", "tenant",
///         ["https://graph.microsoft.com/.default"], &response, "client_credentials")
///     .ext_cache_data([("fmi_path".to_string(), "A/B".to_string())].into());
/// assert_eq!(event.realm, "tenant");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenEvent<'a> {
    /// The client id (`""` for a system-assigned managed identity: stored as `null`).
    pub client_id: String,
    /// The authority host, without a port (`localhost` for managed identity).
    pub environment: String,
    /// The tenant of the authority (`managed_identity` for managed identity).
    pub realm: String,
    /// The scopes requested; used as `target` when the response has no `scope`.
    pub requested_scopes: Vec<String>,
    /// The response.
    pub response: &'a TokenResponse,
    /// The grant (`authorization_code`, `client_credentials`, ...).
    pub grant_type: String,
    /// The ROPC username, the account's last-resort `username`.
    pub username: Option<String>,
    /// Extra request fields that form the extended cache key (`fmi_path`, ...).
    pub ext_cache_data: BTreeMap<String, String>,
    /// The PoP/SSH key id the token is bound to (stored as `key_id`).
    pub key_id: Option<String>,
    /// Overrides the response's `token_type`.
    pub token_type: Option<String>,
    /// Overrides the account's authority type (`CLOUDSHELL`).
    pub authority_type: Option<AuthorityType>,
    /// Do not write the Account entry (refresh grants, so a concurrent sign-out is honoured).
    pub skip_account_creation: bool,
    /// On-behalf-of: the [`user_assertion_hash`](crate::keys::user_assertion_hash) stored with the
    /// access and refresh tokens.
    pub user_assertion_hash: Option<String>,
    /// Refresh grant: the refresh token that was redeemed. The response's refresh token replaces
    /// its secret in place instead of becoming a new entry (as MSAL Python's `TokenCache.add` updates an RT in place).
    pub redeemed_refresh_token: Option<CachedRefreshToken>,
    /// Passed to the store in [`CacheAccess`](crate::CacheAccess).
    pub correlation_id: Option<String>,
}

impl<'a> TokenEvent<'a> {
    /// An event with the required parts; the rest default to "not set".
    pub fn new(
        client_id: impl Into<String>,
        environment: impl Into<String>,
        realm: impl Into<String>,
        requested_scopes: impl IntoIterator<Item = impl AsRef<str>>,
        response: &'a TokenResponse,
        grant_type: impl Into<String>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            environment: environment.into(),
            realm: realm.into(),
            requested_scopes: crate::query::strings(requested_scopes),
            response,
            grant_type: grant_type.into(),
            username: None,
            ext_cache_data: BTreeMap::new(),
            key_id: None,
            token_type: None,
            authority_type: None,
            skip_account_creation: false,
            user_assertion_hash: None,
            redeemed_refresh_token: None,
            correlation_id: None,
        }
    }

    /// Sets the ROPC username.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }
    /// Sets the extra request fields of the extended cache key.
    pub fn ext_cache_data(mut self, data: BTreeMap<String, String>) -> Self {
        self.ext_cache_data = data;
        self
    }
    /// Binds the token to a PoP/SSH key (and, optionally, overrides its token type).
    pub fn key_id(mut self, key_id: impl Into<String>) -> Self {
        self.key_id = Some(key_id.into());
        self
    }
    /// Overrides the response's token type.
    pub fn token_type(mut self, token_type: impl Into<String>) -> Self {
        self.token_type = Some(token_type.into());
        self
    }
    /// Overrides the account's authority type.
    pub fn authority_type(mut self, authority_type: AuthorityType) -> Self {
        self.authority_type = Some(authority_type);
        self
    }
    /// Skips writing the Account entry.
    pub fn skip_account_creation(mut self, skip: bool) -> Self {
        self.skip_account_creation = skip;
        self
    }
    /// Caches the tokens under an on-behalf-of assertion hash.
    pub fn user_assertion_hash(mut self, hash: impl Into<String>) -> Self {
        self.user_assertion_hash = Some(hash.into());
        self
    }
    /// Marks this as the answer to redeeming `rt` (refresh grant).
    pub fn redeemed_refresh_token(mut self, rt: CachedRefreshToken) -> Self {
        self.redeemed_refresh_token = Some(rt);
        self
    }
    /// Sets the correlation id passed to the store.
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }

    /// The user's home account id: `<uid>.<utid>` from `client_info`, else the ID token's `sub`
    /// (AD FS, generic OIDC), else `None` (app-only).
    pub(crate) fn identity(&self) -> Identity {
        let claims = self
            .response
            .id_token
            .as_ref()
            .and_then(|t| decode_unverified(t.secret()).ok());
        let from_client_info = self
            .response
            .client_info
            .as_deref()
            .and_then(ClientInfo::decode)
            .map(|ci| ci.home_account_id());
        let home_account_id = from_client_info.or_else(|| claims.as_ref()?.sub.clone());
        Identity {
            home_account_id: home_account_id.filter(|h| !h.is_empty()),
            claims,
        }
    }

    /// MSAL.NET's partition key for this event's entries.
    pub(crate) fn partition_key(&self, identity: &Identity) -> String {
        match &identity.home_account_id {
            Some(home) => user_partition_key(home),
            None => app_partition_key(&self.client_id, &self.realm),
        }
    }
}

/// Who a response belongs to.
#[derive(Debug)]
pub(crate) struct Identity {
    pub(crate) home_account_id: Option<String>,
    claims: Option<IdTokenClaims>,
}

fn null_if_empty(s: &str) -> Value {
    if s.is_empty() {
        Value::Null
    } else {
        Value::String(s.to_owned())
    }
}

fn opt_string(s: Option<&str>) -> Value {
    s.map_or(Value::Null, |s| Value::String(s.to_owned()))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

impl CacheState {
    /// Stores a token response as MSAL Python 1.39's `TokenCache.add` does (`msal/token_cache.py`); returns
    /// the Account written, if any.
    pub(crate) fn add_token_response(
        &mut self,
        event: &TokenEvent<'_>,
        identity: &Identity,
        now: SystemTime,
    ) -> Option<Account> {
        let now_secs = unix_secs(now);
        let response = event.response;
        let environment = event.environment.to_ascii_lowercase();
        let home = identity.home_account_id.as_deref();
        let mut target_scopes = response
            .granted_scopes()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| event.requested_scopes.clone());
        target_scopes.sort();
        let target = target_scopes.join(" ");

        if !response.access_token.is_empty() {
            // MSAL defaults a missing token type to Bearer.
            let token_type = event
                .token_type
                .as_deref()
                .or(Some(response.token_type.as_str()))
                .filter(|t| !t.is_empty())
                .unwrap_or("Bearer")
                .to_owned();
            let ext = effective_ext_cache_key(
                &event.ext_cache_data,
                Some(&token_type),
                event.key_id.as_deref(),
            );
            let expires_in = crate::results::response_expires_in(response, now_secs);
            let ext_expires_in = response.ext_expires_in.unwrap_or(expires_in);
            let mut at = object(json!({
                "credential_type": "AccessToken",
                "secret": response.access_token.secret(),
                "home_account_id": opt_string(home),
                "environment": environment,
                "client_id": null_if_empty(&event.client_id),
                "target": target,
                "realm": event.realm,
                "token_type": token_type,
                "cached_at": now_secs.to_string(),
                "expires_on": now_secs.saturating_add(expires_in).to_string(),
                "extended_expires_on": now_secs.saturating_add(ext_expires_in).to_string(),
            }));
            if let Some(refresh_in) = response.refresh_in {
                at.insert(
                    "refresh_on".into(),
                    now_secs.saturating_add(refresh_in).to_string().into(),
                );
            }
            if let Some(key_id) = &event.key_id {
                at.insert("key_id".into(), key_id.clone().into());
            }
            if let Some(ext) = &ext {
                at.insert("ext_cache_key".into(), ext.clone().into());
            }
            if let Some(hash) = &event.user_assertion_hash {
                at.insert("user_assertion_hash".into(), hash.clone().into());
            }
            let key = access_token_key(
                home,
                &environment,
                &event.client_id,
                &event.realm,
                &target,
                ext.as_deref(),
            );
            self.insert(CredentialType::AccessToken, key, Value::Object(at));
            self.prune_expired_access_tokens(
                home,
                &event.client_id,
                &environment,
                &event.realm,
                now_secs,
            );
        }

        if let Some(rt_secret) = &response.refresh_token {
            match &event.redeemed_refresh_token {
                Some(redeemed) => {
                    self.update_refresh_token(redeemed, rt_secret, now);
                }
                None => {
                    let mut rt = object(json!({
                        "credential_type": "RefreshToken",
                        "secret": rt_secret.secret(),
                        "home_account_id": opt_string(home),
                        "environment": environment,
                        "client_id": null_if_empty(&event.client_id),
                        "target": target,
                        "last_modification_time": now_secs.to_string(),
                    }));
                    if let Some(family) = &response.foci {
                        rt.insert("family_id".into(), family.clone().into());
                    }
                    if let Some(hash) = &event.user_assertion_hash {
                        rt.insert("user_assertion_hash".into(), hash.clone().into());
                    }
                    let key = refresh_token_key(home, &environment, &event.client_id, &target);
                    self.insert(CredentialType::RefreshToken, key, Value::Object(rt));
                }
            }
        }

        if let Some(id_token) = &response.id_token {
            let idt = json!({
                "credential_type": "IdToken",
                "secret": id_token.secret(),
                "home_account_id": opt_string(home),
                "environment": environment,
                "realm": event.realm,
                "client_id": null_if_empty(&event.client_id),
            });
            let key = id_token_key(home, &environment, &event.client_id, &event.realm);
            self.insert(CredentialType::IdToken, key, idt);
        }

        let mut written_account = None;
        if let (Some(home), false) = (home, event.skip_account_creation) {
            let claims = identity.claims.clone().unwrap_or_default();
            let local_account_id = claims
                .oid
                .clone()
                .or(claims.sub.clone())
                .unwrap_or_default();
            let username = claims
                .preferred_username
                .clone()
                .or(claims.upn.clone())
                .or(event.username.clone())
                .unwrap_or_default();
            let authority_type = event.authority_type.clone().unwrap_or_else(|| {
                if event.realm.eq_ignore_ascii_case("adfs") {
                    AuthorityType::Adfs
                } else {
                    AuthorityType::Mssts
                }
            });
            let account_source = ACCOUNT_SOURCE_GRANTS
                .contains(&event.grant_type.as_str())
                .then(|| event.grant_type.clone());
            let mut entry = object(json!({
                "home_account_id": home,
                "environment": environment,
                "realm": event.realm,
                "local_account_id": local_account_id,
                "username": username,
                "authority_type": authority_type.as_str(),
            }));
            if let Some(source) = &account_source {
                entry.insert("account_source".into(), source.clone().into());
            }
            let key = account_key(home, &environment, &event.realm);
            self.insert(CredentialType::Account, key, Value::Object(entry));
            written_account = Some(Account {
                home_account_id: home.to_owned(),
                environment: environment.clone(),
                username,
                local_account_id,
                realm: event.realm.clone(),
                authority_type,
                account_source,
            });
        }

        let mut metadata = object(json!({
            "client_id": null_if_empty(&event.client_id),
            "environment": environment,
        }));
        if let Some(family) = &response.foci {
            metadata.insert("family_id".into(), family.clone().into());
        }
        let key = app_metadata_key(&environment, &event.client_id);
        self.insert(CredentialType::AppMetadata, key, Value::Object(metadata));
        written_account
    }

    /// Deletes the expired access tokens of the partition just written to. Reads never delete
    /// (see the crate docs); writes clean up where they touch, so the cost stays O(partition).
    fn prune_expired_access_tokens(
        &mut self,
        home: Option<&str>,
        client_id: &str,
        environment: &str,
        realm: &str,
        now_secs: u64,
    ) {
        let ids: Vec<EntryId> = match home {
            Some(home) => self
                .user(home)
                .map(|u| u.access_tokens.to_vec())
                .unwrap_or_default(),
            None => self
                .app_access_tokens(app_partition_hash(client_id, environment, realm))
                .to_vec(),
        };
        for id in ids {
            let expired = matches!(
                self.slot(id).map(|s| &s.view),
                Some(View::AccessToken(at)) if at.expires_on.is_some_and(|e| e < now_secs)
            );
            if expired {
                self.remove(id);
            }
        }
    }

    /// Replaces a refresh token's secret in place (and its `last_modification_time`). Returns
    /// whether the entry still existed.
    pub(crate) fn update_refresh_token(
        &mut self,
        rt: &CachedRefreshToken,
        secret: &RefreshToken,
        now: SystemTime,
    ) -> bool {
        let Some(id) = self.find_key(CredentialType::RefreshToken, rt.cache_key()) else {
            return false;
        };
        let secret = secret.secret().to_owned();
        let modified = unix_secs(now).to_string();
        self.update_raw(id, |raw| {
            if let Value::Object(map) = raw {
                map.insert("secret".into(), Value::String(secret));
                map.insert("last_modification_time".into(), Value::String(modified));
            }
        });
        true
    }

    /// Removes one refresh token; returns whether it existed.
    pub(crate) fn remove_refresh_token(&mut self, rt: &CachedRefreshToken) -> bool {
        match self.find_key(CredentialType::RefreshToken, rt.cache_key()) {
            Some(id) => self.remove(id).is_some(),
            None => false,
        }
    }

    /// MSAL Python's `ClientApplication.remove_account` (`msal/application.py`): the account's refresh tokens of this client
    /// and of its family, and all its access tokens, ID tokens and Account entries, in the
    /// account's own environment, any realm. Returns how many entries went.
    pub(crate) fn remove_account(&mut self, account: &Account, client_id: &str) -> usize {
        let environment = account.environment.as_str();
        let family = self
            .find_app_metadata(&[environment.to_owned()], client_id)
            .and_then(|m| m.family_id);
        let Some(user) = self.user(&account.home_account_id) else {
            return 0;
        };
        let candidates: Vec<EntryId> = user
            .access_tokens
            .iter()
            .chain(user.refresh_tokens.iter())
            .chain(user.id_tokens.iter())
            .chain(user.accounts.iter())
            .copied()
            .collect();
        let mut removed = 0;
        for id in candidates {
            let doomed = match self.slot(id).map(|s| &s.view) {
                Some(View::AccessToken(at)) => at.environment.eq_ignore_ascii_case(environment),
                Some(View::IdToken(idt)) => idt.environment.eq_ignore_ascii_case(environment),
                Some(View::Account(acc)) => acc.environment().eq_ignore_ascii_case(environment),
                Some(View::RefreshToken(rt)) => {
                    rt.environment.eq_ignore_ascii_case(environment)
                        && (&*rt.client_id == client_id
                            || (family.is_some() && rt.family_id.as_deref() == family.as_deref()))
                }
                _ => false,
            };
            if doomed && self.remove(id).is_some() {
                removed += 1;
            }
        }
        removed
    }

    /// MSAL Python's `remove_tokens_for_client`: every app-only access token of `client_id` in
    /// these environments, any realm. Returns how many went.
    pub(crate) fn remove_tokens_for_client(
        &mut self,
        client_id: &str,
        environments: &[String],
    ) -> usize {
        let mut removed = 0;
        for id in self.all_app_access_tokens() {
            let doomed = matches!(
                self.slot(id).map(|s| &s.view),
                Some(View::AccessToken(at)) if &*at.client_id == client_id
                    && environments.iter().any(|e| at.environment.eq_ignore_ascii_case(e))
            );
            if doomed && self.remove(id).is_some() {
                removed += 1;
            }
        }
        removed
    }
}
