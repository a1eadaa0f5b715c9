//! What the app layer asks the cache, and the one match predicate per entry kind that both the
//! O(1) probe and the partition scan use.

use std::{collections::BTreeMap, sync::Arc, time::SystemTime};

use msal_core::{Account, AuthorityType, clock::from_unix_secs};

use crate::{
    EXPIRY_BUFFER,
    entry::{
        AccessTokenData, AppMetadata, CachedAccessToken, CachedIdToken, CachedRefreshToken,
        scopes_cover,
    },
    keys::{access_token_probe_hash, app_partition_hash, ext_cache_key},
    state::{CacheState, EntryId, View},
};

/// Names under which a non-bearer token's key id and type join its extended cache key. They are
/// not in MSAL Python's exclusion set (unlike `key_id` and `token_type`), so they count.
const ISOLATION_KEY_ID: &str = "x_msal_key_id";
const ISOLATION_TOKEN_TYPE: &str = "x_msal_token_type";

/// The extended cache key of a token: MSAL Python's hash of the extra request fields, plus, for a
/// non-bearer token (PoP, SSH certificate), its key id and type. So a PoP token gets an `atext`
/// entry of its own per key and never overwrites, or is returned for, a bearer token; MSAL Python
/// skips such entries because its queries lack the key.
pub(crate) fn effective_ext_cache_key(
    ext_data: &BTreeMap<String, String>,
    token_type: Option<&str>,
    key_id: Option<&str>,
) -> Option<String> {
    let non_bearer = token_type.is_some_and(|t| !t.eq_ignore_ascii_case("bearer"));
    if !non_bearer {
        return ext_cache_key(ext_data);
    }
    let mut data = ext_data.clone();
    data.insert(
        ISOLATION_TOKEN_TYPE.to_owned(),
        token_type.unwrap_or_default().to_ascii_lowercase(),
    );
    if let Some(kid) = key_id {
        data.insert(ISOLATION_KEY_ID.to_owned(), kid.to_owned());
    }
    ext_cache_key(&data)
}

/// Finds a cached access token. Build one with [`AccessTokenQuery::app`] (client credentials,
/// managed identity) or [`AccessTokenQuery::user`].
///
/// Matching follows MSAL Python's `search()`: the entry's `home_account_id`, `environment`,
/// `client_id` and `realm` equal the query's (environment and realm ignoring ASCII case; a
/// `null` and an `""` home account id both mean "app-only"), its `target` holds every requested
/// scope (ignoring ASCII case), and its extended cache key equals the query's (an entry with one
/// never answers a query without one). `environments` are authority aliases tried in order; the
/// first one with a match wins.
///
/// ```
/// use msal_cache::AccessTokenQuery;
/// let q = AccessTokenQuery::app("client", "tenant", ["login.microsoftonline.com"], ["https://graph.microsoft.com/.default"]);
/// assert!(q.home_account_id.is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessTokenQuery {
    /// The client id (`""` for a system-assigned managed identity).
    pub client_id: String,
    /// The tenant (`managed_identity` for managed identity).
    pub realm: String,
    /// The authority host and its aliases, tried in order.
    pub environments: Vec<String>,
    /// Requested scopes; the entry must hold all of them.
    pub scopes: Vec<String>,
    /// The user's home account id; `None` for app-only tokens.
    pub home_account_id: Option<String>,
    /// Extra request fields that form the extended cache key (`fmi_path`, ...).
    pub ext_cache_data: BTreeMap<String, String>,
    /// The PoP/SSH key id the token must be bound to.
    pub key_id: Option<String>,
    /// The token type wanted (`None` or `Bearer` for bearer tokens).
    pub token_type: Option<String>,
    /// For on-behalf-of: [`user_assertion_hash`](crate::keys::user_assertion_hash) of the incoming
    /// assertion. Entries with a hash answer only queries with the same hash.
    pub user_assertion_hash: Option<String>,
    /// Passed to the store in [`CacheAccess`](crate::CacheAccess).
    pub correlation_id: Option<String>,
}

impl AccessTokenQuery {
    /// A query for an app-only token (client credentials, managed identity).
    pub fn app(
        client_id: impl Into<String>,
        realm: impl Into<String>,
        environments: impl IntoIterator<Item = impl AsRef<str>>,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            realm: realm.into(),
            environments: strings(environments),
            scopes: strings(scopes),
            ..Self::default()
        }
    }

    /// A query for a user's token.
    pub fn user(
        home_account_id: impl Into<String>,
        client_id: impl Into<String>,
        realm: impl Into<String>,
        environments: impl IntoIterator<Item = impl AsRef<str>>,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Self {
        Self {
            home_account_id: Some(home_account_id.into()),
            ..Self::app(client_id, realm, environments, scopes)
        }
    }

    /// Sets the extra request fields of the extended cache key.
    pub fn ext_cache_data(mut self, data: BTreeMap<String, String>) -> Self {
        self.ext_cache_data = data;
        self
    }

    /// Asks for a token bound to this key and of this type (PoP: `"pop"`).
    pub fn bound_to_key(
        mut self,
        key_id: impl Into<String>,
        token_type: impl Into<String>,
    ) -> Self {
        self.key_id = Some(key_id.into());
        self.token_type = Some(token_type.into());
        self
    }

    /// Asks for an on-behalf-of token cached for this assertion hash.
    pub fn user_assertion_hash(mut self, hash: impl Into<String>) -> Self {
        self.user_assertion_hash = Some(hash.into());
        self
    }

    /// Sets the correlation id passed to the store.
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }

    pub(crate) fn home(&self) -> Option<&str> {
        self.home_account_id.as_deref().filter(|h| !h.is_empty())
    }
}

/// Finds refresh tokens of one account: the client's own ([`RefreshTokenQuery::for_client`]) or
/// those of a family ([`RefreshTokenQuery::for_family`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefreshTokenQuery {
    /// The account's home account id.
    pub home_account_id: String,
    /// The authority host and its aliases, tried in order.
    pub environments: Vec<String>,
    /// Only tokens issued to this client.
    pub client_id: Option<String>,
    /// Only tokens of this family (`"1"`).
    pub family_id: Option<String>,
    /// For on-behalf-of: only tokens cached for this assertion hash (and, when `None`, only
    /// tokens without one).
    pub user_assertion_hash: Option<String>,
    /// Passed to the store in [`CacheAccess`](crate::CacheAccess).
    pub correlation_id: Option<String>,
}

impl RefreshTokenQuery {
    /// The account's refresh tokens issued to `client_id`.
    pub fn for_client(
        home_account_id: impl Into<String>,
        environments: impl IntoIterator<Item = impl AsRef<str>>,
        client_id: impl Into<String>,
    ) -> Self {
        Self {
            home_account_id: home_account_id.into(),
            environments: strings(environments),
            client_id: Some(client_id.into()),
            ..Self::default()
        }
    }

    /// The account's refresh tokens of family `family_id`, whichever client they were issued to.
    pub fn for_family(
        home_account_id: impl Into<String>,
        environments: impl IntoIterator<Item = impl AsRef<str>>,
        family_id: impl Into<String>,
    ) -> Self {
        Self {
            home_account_id: home_account_id.into(),
            environments: strings(environments),
            family_id: Some(family_id.into()),
            ..Self::default()
        }
    }

    /// Only tokens cached for this on-behalf-of assertion hash.
    pub fn user_assertion_hash(mut self, hash: impl Into<String>) -> Self {
        self.user_assertion_hash = Some(hash.into());
        self
    }

    /// Sets the correlation id passed to the store.
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }
}

pub(crate) fn strings(items: impl IntoIterator<Item = impl AsRef<str>>) -> Vec<String> {
    items.into_iter().map(|s| s.as_ref().to_owned()).collect()
}

/// The access-token match predicate, shared by the probe and the scan.
struct AccessTokenMatcher<'a> {
    home: Option<&'a str>,
    client_id: &'a str,
    realm: &'a str,
    scopes: &'a [String],
    ext: Option<&'a str>,
    key_id: Option<&'a str>,
    assertion_hash: Option<&'a str>,
}

impl AccessTokenMatcher<'_> {
    fn matches(&self, at: &AccessTokenData, environment: &str) -> bool {
        // Cheapest and most selective first; hosts and tenants are usually stored lower-case,
        // so an exact comparison settles them before the case-insensitive one.
        // An on-behalf-of lookup names the assertion, not the user: any home account matches.
        let home_matches = match (self.home, self.assertion_hash) {
            (None, Some(_)) => true,
            (home, _) => at.home_account_id.as_deref() == home,
        };
        &*at.client_id == self.client_id
            && home_matches
            && same_ignoring_ascii_case(&at.realm, self.realm)
            && same_ignoring_ascii_case(&at.environment, environment)
            && at.ext_cache_key.as_deref() == self.ext
            && at.user_assertion_hash.as_deref() == self.assertion_hash
            && (self.key_id.is_none() || at.key_id.as_deref() == self.key_id)
            && scopes_cover(&at.target, self.scopes)
    }
}

fn same_ignoring_ascii_case(a: &str, b: &str) -> bool {
    a == b || a.eq_ignore_ascii_case(b)
}

/// Runs `f` with the scopes sorted as MSAL Python sorts `target` (by code point, original case),
/// without allocating for the usual handful of scopes.
fn with_sorted_scopes<R>(scopes: &[String], f: impl FnOnce(&[&str]) -> R) -> R {
    const INLINE: usize = 8;
    if scopes.len() <= INLINE {
        let mut inline = [""; INLINE];
        for (slot, scope) in inline.iter_mut().zip(scopes) {
            *slot = scope;
        }
        let sorted = &mut inline[..scopes.len()];
        sorted.sort_unstable();
        f(sorted)
    } else {
        let mut sorted: Vec<&str> = scopes.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        f(&sorted)
    }
}

impl CacheState {
    /// The best matching access token: a usable one (more than [`EXPIRY_BUFFER`] left) if any,
    /// else the one expiring last, so the caller can tell "expired" from "none".
    pub(crate) fn find_access_token(
        &self,
        query: &AccessTokenQuery,
        now: SystemTime,
    ) -> Option<CachedAccessToken> {
        let ext = effective_ext_cache_key(
            &query.ext_cache_data,
            query.token_type.as_deref(),
            query.key_id.as_deref(),
        );
        let matcher = AccessTokenMatcher {
            home: query.home(),
            client_id: &query.client_id,
            realm: &query.realm,
            scopes: &query.scopes,
            ext: ext.as_deref(),
            key_id: query.key_id.as_deref(),
            assertion_hash: query.user_assertion_hash.as_deref(),
        };
        // Compared as SystemTime: cheaper than turning `now` into Unix seconds on every lookup.
        let usable_after = now + EXPIRY_BUFFER;
        for environment in &query.environments {
            let mut best: Option<&Arc<AccessTokenData>> = None;
            let probe = with_sorted_scopes(&query.scopes, |sorted| {
                access_token_probe_hash(
                    matcher.home,
                    environment,
                    &query.client_id,
                    &query.realm,
                    sorted.iter().copied(),
                    matcher.ext,
                )
            });
            self.consider_access_tokens(
                self.access_tokens_by_probe(probe),
                &matcher,
                environment,
                &mut best,
            );
            let usable = best.is_some_and(|b| {
                b.expires_on
                    .is_some_and(|e| from_unix_secs(e) > usable_after)
            });
            if !usable {
                let partition = match (matcher.home, matcher.assertion_hash) {
                    (None, Some(hash)) => self.obo_access_tokens(hash),
                    (None, None) => self.app_access_tokens(app_partition_hash(
                        &query.client_id,
                        environment,
                        &query.realm,
                    )),
                    (Some(home), _) => self.user(home).map_or(&[][..], |u| &u.access_tokens),
                };
                self.consider_access_tokens(partition, &matcher, environment, &mut best);
            }
            if let Some(found) = best {
                return Some(CachedAccessToken(found.clone()));
            }
        }
        None
    }

    /// Keeps in `best` the matching candidate that expires last.
    fn consider_access_tokens<'s>(
        &'s self,
        ids: &[EntryId],
        matcher: &AccessTokenMatcher<'_>,
        environment: &str,
        best: &mut Option<&'s Arc<AccessTokenData>>,
    ) {
        for id in ids {
            let Some(View::AccessToken(at)) = self.slot(*id).map(|s| &s.view) else {
                continue;
            };
            if matcher.matches(at, environment) && best.is_none_or(|b| b.expires_on < at.expires_on)
            {
                *best = Some(at);
            }
        }
    }

    /// Matching refresh tokens under the first environment that has any, most recently written
    /// first (the order MSAL Python tries them in).
    pub(crate) fn find_refresh_tokens(&self, query: &RefreshTokenQuery) -> Vec<CachedRefreshToken> {
        let Some(user) = self.user(&query.home_account_id) else {
            return Vec::new();
        };
        for environment in &query.environments {
            let mut found: Vec<CachedRefreshToken> = user
                .refresh_tokens
                .iter()
                .filter_map(|id| match self.slot(*id).map(|s| &s.view) {
                    Some(View::RefreshToken(rt)) => Some(rt),
                    _ => None,
                })
                .filter(|rt| {
                    rt.environment.eq_ignore_ascii_case(environment)
                        && query
                            .client_id
                            .as_deref()
                            .is_none_or(|c| &*rt.client_id == c)
                        && query
                            .family_id
                            .as_deref()
                            .is_none_or(|f| rt.family_id.as_deref() == Some(f))
                        && rt.user_assertion_hash.as_deref() == query.user_assertion_hash.as_deref()
                })
                .map(|rt| CachedRefreshToken(rt.clone()))
                .collect();
            if !found.is_empty() {
                found.sort_by_key(|rt| std::cmp::Reverse(rt.0.last_modification_time));
                return found;
            }
        }
        Vec::new()
    }

    /// The client's AppMetadata under the first environment that has it.
    pub(crate) fn find_app_metadata(
        &self,
        environments: &[String],
        client_id: &str,
    ) -> Option<AppMetadata> {
        environments.iter().find_map(|environment| {
            self.all_app_metadata()
                .iter()
                .find_map(|id| match self.slot(*id).map(|s| &s.view) {
                    Some(View::AppMetadata(m))
                        if m.client_id == client_id
                            && m.environment.eq_ignore_ascii_case(environment) =>
                    {
                        Some((**m).clone())
                    }
                    _ => None,
                })
        })
    }

    /// The account's ID token for `client_id` (in `realm`, or any realm when `None`).
    pub(crate) fn find_id_token(
        &self,
        home_account_id: &str,
        environments: &[String],
        client_id: &str,
        realm: Option<&str>,
    ) -> Option<CachedIdToken> {
        let user = self.user(home_account_id)?;
        environments.iter().find_map(|environment| {
            user.id_tokens
                .iter()
                .find_map(|id| match self.slot(*id).map(|s| &s.view) {
                    Some(View::IdToken(idt))
                        if idt.environment.eq_ignore_ascii_case(environment)
                            && &*idt.client_id == client_id
                            && realm.is_none_or(|r| idt.realm.eq_ignore_ascii_case(r)) =>
                    {
                        Some(CachedIdToken(idt.clone()))
                    }
                    _ => None,
                })
        })
    }

    /// The account entry (in `realm`, or any realm when `None`).
    pub(crate) fn find_account(
        &self,
        home_account_id: &str,
        environments: &[String],
        realm: Option<&str>,
    ) -> Option<Account> {
        let user = self.user(home_account_id)?;
        environments.iter().find_map(|environment| {
            user.accounts
                .iter()
                .find_map(|id| match self.slot(*id).map(|s| &s.view) {
                    Some(View::Account(acc))
                        if acc.environment().eq_ignore_ascii_case(environment)
                            && realm.is_none_or(|r| acc.realm().eq_ignore_ascii_case(r)) =>
                    {
                        Some(acc.account().clone())
                    }
                    _ => None,
                })
        })
    }

    /// `get_accounts`: one account per home account id (the last stored wins, as in MSAL
    /// Python), from the first environment that has any, sorted by home account id.
    pub(crate) fn accounts(
        &self,
        environments: &[String],
        username: Option<&str>,
        include_cloud_shell: bool,
    ) -> Vec<Account> {
        let wanted_user = username.map(str::to_lowercase);
        for environment in environments {
            let mut by_home: BTreeMap<&str, &Account> = BTreeMap::new();
            for id in self.all_accounts() {
                let Some(View::Account(acc)) = self.slot(*id).map(|s| &s.view) else {
                    continue;
                };
                let a = acc.account();
                let type_ok = match a.authority_type {
                    AuthorityType::Mssts | AuthorityType::Adfs => true,
                    AuthorityType::CloudShell => include_cloud_shell,
                    _ => false,
                };
                if type_ok
                    && a.environment.eq_ignore_ascii_case(environment)
                    && wanted_user
                        .as_deref()
                        .is_none_or(|u| a.username.to_lowercase() == u)
                {
                    by_home.insert(&a.home_account_id, a);
                }
            }
            if !by_home.is_empty() {
                return by_home.into_values().cloned().collect();
            }
        }
        Vec::new()
    }
}
