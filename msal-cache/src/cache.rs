//! [`TokenCache`]: the shared, persistable cache and the operations the app layer calls.

use std::{
    sync::{
        Arc, RwLock, RwLockReadGuard, RwLockWriteGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::SystemTime,
};

use msal_core::{Account, CacheError, RefreshToken};
use serde_json::{Map, Value};

use crate::{
    entry::{AppMetadata, CachedAccessToken, CachedIdToken, CachedRefreshToken, CredentialType},
    gate::StoreGate,
    inspect::{CacheEntry, EntryQuery},
    keys::{app_partition_key, user_partition_key},
    query::{AccessTokenQuery, RefreshTokenQuery, strings},
    state::CacheState,
    store::{AccessKind, CacheAccess, CacheStore},
    write::TokenEvent,
};

/// The unified token cache, readable and writable by MSAL Python, MSAL.NET, msal-node and
/// msal-extensions alike. Clones share one cache.
///
/// Without a store it lives in memory; [`serialize`](Self::serialize) and
/// [`deserialize`](Self::deserialize) move it in and out (MSAL Python's
/// `SerializableTokenCache`). With a [`CacheStore`] every operation loads before and saves after
/// by itself.
///
/// ```
/// use msal_cache::{CredentialType, TokenCache};
///
/// let cache = TokenCache::new();
/// cache.deserialize(r#"{"AppMetadata": {"appmetadata-login.microsoftonline.com-c": {"client_id": "c", "environment": "login.microsoftonline.com"}}}"#)?;
/// assert_eq!(cache.count(CredentialType::AppMetadata), 1);
/// assert!(!cache.has_state_changed());
/// let json = cache.serialize();
/// assert!(json.contains("appmetadata-login.microsoftonline.com-c"));
/// # Ok::<(), msal_core::CacheError>(())
/// ```
///
/// `Debug` shows how many entries of each kind the cache holds, never their contents (which
/// include tokens).
#[derive(Clone, Default)]
pub struct TokenCache {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("access_tokens", &self.count(CredentialType::AccessToken))
            .field("refresh_tokens", &self.count(CredentialType::RefreshToken))
            .field("id_tokens", &self.count(CredentialType::IdToken))
            .field("accounts", &self.count(CredentialType::Account))
            .field("store", &self.inner.store)
            .finish()
    }
}

/// MSAL Python's name for the same type: one type plays both roles.
pub type SerializableTokenCache = TokenCache;

#[derive(Default)]
struct Inner {
    /// Held only in synchronous sections, never across an `.await`.
    state: RwLock<CacheState>,
    /// `state.generation`, published when each write section ends, so that memoising callers
    /// can check for changes with one atomic load instead of taking the lock on every hit.
    generation: AtomicU64,
    /// How many times [`TokenCache::clear`] was called, and how many of those a write has
    /// already saved. While they differ, memory is authoritative: accesses do not load the
    /// store, and the next write replaces what it holds (even data it cannot read).
    clears_requested: AtomicU64,
    clears_saved: AtomicU64,
    store: Option<Box<dyn CacheStore>>,
    /// Held by a read from the store's `load` until what it returned is applied, and by a
    /// write section from its load to its save: one at a time (see [`StoreGate`]).
    gate: StoreGate,
}

/// The write lock on the state; on release it publishes the state's generation, before the
/// lock itself is released (fields drop after `drop` runs), so a reader that sees the new state
/// also sees the new generation.
struct StateWriteGuard<'a> {
    state: RwLockWriteGuard<'a, CacheState>,
    published: &'a AtomicU64,
}

impl std::ops::Deref for StateWriteGuard<'_> {
    type Target = CacheState;
    fn deref(&self) -> &CacheState {
        &self.state
    }
}

impl std::ops::DerefMut for StateWriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut CacheState {
        &mut self.state
    }
}

impl Drop for StateWriteGuard<'_> {
    fn drop(&mut self) {
        self.published
            .store(self.state.generation, Ordering::Release);
    }
}

impl TokenCache {
    /// An empty in-memory cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// A cache persisted through `store`.
    pub fn with_store(store: impl CacheStore + 'static) -> Self {
        Self {
            inner: Arc::new(Inner {
                state: RwLock::default(),
                generation: AtomicU64::new(0),
                clears_requested: AtomicU64::new(0),
                clears_saved: AtomicU64::new(0),
                store: Some(Box::new(store)),
                gate: StoreGate::default(),
            }),
        }
    }

    fn read_state(&self) -> RwLockReadGuard<'_, CacheState> {
        // A panic while holding the lock cannot leave the state half-changed in a way lookups
        // would trip over (every change is a complete insert or remove), so poisoning is ignored.
        self.inner.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_state(&self) -> StateWriteGuard<'_> {
        StateWriteGuard {
            state: self.inner.state.write().unwrap_or_else(|p| p.into_inner()),
            published: &self.inner.generation,
        }
    }

    /// The cache as JSON in MSAL Python 1.39's schema and layout (indent 4); resets
    /// [`has_state_changed`](Self::has_state_changed).
    pub fn serialize(&self) -> String {
        let mut state = self.write_state();
        state.changed = false;
        state.to_json()
    }

    /// Replaces the cache with `json` (`""` is an empty cache). Unknown sections, entries and
    /// fields are kept as they are. On error the cache is left unchanged.
    pub fn deserialize(&self, json: &str) -> Result<(), CacheError> {
        let incoming = CacheState::from_json(json)?;
        let replaced = replace_all(&mut self.write_state(), incoming);
        // Freeing a large cache takes a while (every secret is zeroized first): not while
        // lookups wait for the lock.
        drop(replaced);
        Ok(())
    }

    /// A number that changes whenever the in-memory cache changes, for callers that memoise
    /// lookups; `None` when a store is attached, since reads may then reload from the store.
    #[inline]
    pub fn generation(&self) -> Option<u64> {
        match self.inner.store {
            Some(_) => None,
            None => Some(self.inner.generation.load(Ordering::Acquire)),
        }
    }

    /// Whether the cache changed since the last `serialize`/`deserialize`.
    pub fn has_state_changed(&self) -> bool {
        self.read_state().changed
    }

    /// Empties the cache in memory. With a store, the next write replaces what the store holds
    /// (for a partitioned store: the partition written) with the emptied cache plus that write's
    /// change, instead of loading and merging it first; until then, reads do not load the store
    /// either.
    ///
    /// This is also how a store whose data cannot be read (say, a file whose `AppMetadata` is a
    /// list) is reset: writes refuse to replace such data with [`CacheError::Deserialize`], so
    /// that no refresh token is lost by accident.
    pub fn clear(&self) {
        let mut state = self.write_state();
        state.clear();
        // Counted under the lock, so a load applying under it sees the clear or comes before it.
        self.inner.clears_requested.fetch_add(1, Ordering::AcqRel);
    }

    /// The clear count a write would save, if a [`clear`](Self::clear) awaits saving.
    fn pending_clear(&self) -> Option<u64> {
        let requested = self.inner.clears_requested.load(Ordering::Acquire);
        (requested != self.inner.clears_saved.load(Ordering::Acquire)).then_some(requested)
    }

    /// How many entries a section holds (`atext` access tokens count as access tokens).
    pub fn count(&self, kind: CredentialType) -> usize {
        self.read_state().count(kind)
    }

    // ---- store orchestration ----

    async fn load(&self, store: &dyn CacheStore, access: &CacheAccess) -> Result<(), CacheError> {
        let clears = self.inner.clears_requested.load(Ordering::Acquire);
        let Some(blob) = store.load(access).await? else {
            return Ok(());
        };
        let incoming = match CacheState::from_json(&blob) {
            Ok(incoming) => incoming,
            // Never treat unreadable data as empty: the write that follows would replace every
            // token the store holds with what memory has.
            Err(e) => {
                if access.kind == AccessKind::Read {
                    tracing::warn!(error = %e, partition = %access.partition_key,
                        "the cache store returned unreadable data; serving the cache in memory");
                }
                return access
                    .kind
                    .on_unreadable("the cache store holds data that", e);
            }
        };
        let mut state = self.write_state();
        if self.inner.clears_requested.load(Ordering::Acquire) != clears {
            // Cleared while the store was read: memory is authoritative until a write saves it.
            return Ok(());
        }
        if store.partitioned() {
            let changed = state.changed;
            state.replace_partition(&access.partition_key, incoming);
            state.changed = changed;
        } else {
            let replaced = replace_all(&mut state, incoming);
            drop(state);
            drop(replaced);
        }
        Ok(())
    }

    async fn read_access(&self, access: impl FnOnce() -> CacheAccess) -> Result<(), CacheError> {
        if let Some(store) = self.inner.store.as_deref()
            && self.pending_clear().is_none()
        {
            let _turn = self.inner.gate.enter().await;
            // A clear made while this waited makes memory authoritative: loading now would
            // bring back what it removed.
            if self.pending_clear().is_none() {
                self.load(store, &access()).await?;
            }
        }
        Ok(())
    }

    async fn write_access<R>(
        &self,
        access: CacheAccess,
        change: impl FnOnce(&mut CacheState) -> R,
    ) -> Result<R, CacheError> {
        let Some(store) = self.inner.store.as_deref() else {
            return Ok(change(&mut self.write_state()));
        };
        // Lock, then load under the lock, so no other writer's change is lost.
        let _lock = store.lock(&access).await?;
        // After the store's lock: reads of this cache wait only for the section itself, not
        // for another process's writer.
        let _turn = self.inner.gate.enter().await;
        let pending_clear = self.pending_clear();
        if pending_clear.is_none() {
            self.load(store, &access).await?;
        }
        let (result, snapshot) = {
            let mut state = self.write_state();
            let before = state.generation;
            let result = change(&mut state);
            let snapshot = (state.generation != before).then(|| {
                if store.partitioned() {
                    state.partition_to_json(&access.partition_key)
                } else {
                    state.to_json()
                }
            });
            (result, snapshot)
        };
        if let Some(snapshot) = snapshot {
            store.save(&access, &snapshot).await?;
            if let Some(cleared) = pending_clear {
                // `fetch_max`: a clear that came after our snapshot stays pending.
                self.inner.clears_saved.fetch_max(cleared, Ordering::AcqRel);
            }
        }
        Ok(result)
    }

    // ---- writes ----

    /// Stores a successful token response (MSAL Python's `TokenCache.add` in `msal/token_cache.py`): the access
    /// token, refresh token, ID token, Account and AppMetadata entries the response calls for,
    /// with MSAL Python's fields and keys. Expired access tokens of the same partition are pruned.
    ///
    /// Returns the Account written, if any (none for app-only tokens or with
    /// [`skip_account_creation`](TokenEvent::skip_account_creation)).
    #[doc(alias = "add")]
    pub async fn add_token_response(
        &self,
        event: TokenEvent<'_>,
        now: SystemTime,
    ) -> Result<Option<Account>, CacheError> {
        let identity = event.identity();
        let access = CacheAccess::new(
            AccessKind::Write,
            event.partition_key(&identity),
            event.client_id.clone(),
        )
        .with_correlation_id(event.correlation_id.clone());
        self.write_access(access, |state| {
            state.add_token_response(&event, &identity, now)
        })
        .await
    }

    /// Replaces a refresh token's secret in place after a refresh grant returned a new one.
    /// Returns `false` if the entry is gone (removed meanwhile); nothing is then written.
    pub async fn update_refresh_token(
        &self,
        rt: &CachedRefreshToken,
        new_secret: &RefreshToken,
        now: SystemTime,
    ) -> Result<bool, CacheError> {
        let access = CacheAccess::new(
            AccessKind::Write,
            user_partition_key(rt.home_account_id().unwrap_or("")),
            rt.client_id(),
        );
        self.write_access(access, |state| {
            state.update_refresh_token(rt, new_secret, now)
        })
        .await
    }

    /// Removes one refresh token (MSAL Python's `remove_rt`; also the app layer's choice after
    /// `invalid_grant`, where MSAL Python 1.39 keeps it). Returns whether it existed.
    #[doc(alias = "remove_rt")]
    pub async fn remove_refresh_token(&self, rt: &CachedRefreshToken) -> Result<bool, CacheError> {
        let access = CacheAccess::new(
            AccessKind::Write,
            user_partition_key(rt.home_account_id().unwrap_or("")),
            rt.client_id(),
        );
        self.write_access(access, |state| state.remove_refresh_token(rt))
            .await
    }

    /// Removes one access token (MSAL Python's `remove_at`), as returned by
    /// [`find_access_token`](Self::find_access_token). Returns whether it existed.
    #[doc(alias = "remove_at")]
    pub async fn remove_access_token(&self, at: &CachedAccessToken) -> Result<bool, CacheError> {
        let partition = match at.home_account_id().filter(|h| !h.is_empty()) {
            Some(home) => user_partition_key(home),
            None => app_partition_key(at.client_id(), at.realm()),
        };
        self.remove_key(
            CredentialType::AccessToken,
            at.cache_key(),
            partition,
            at.client_id(),
        )
        .await
    }

    /// Removes one ID token (MSAL Python's `remove_idt`), as returned by
    /// [`find_id_token`](Self::find_id_token). Returns whether it existed.
    #[doc(alias = "remove_idt")]
    pub async fn remove_id_token(&self, idt: &CachedIdToken) -> Result<bool, CacheError> {
        self.remove_key(
            CredentialType::IdToken,
            idt.cache_key(),
            user_partition_key(idt.home_account_id().unwrap_or("")),
            idt.client_id(),
        )
        .await
    }

    /// Removes one entry found by [`search`](Self::search), whatever its section (MSAL Python's
    /// `modify(credential_type, entry)` without new values). Returns whether it existed.
    pub async fn remove_entry(&self, entry: &CacheEntry) -> Result<bool, CacheError> {
        self.remove_key(
            entry.credential_type(),
            entry.key(),
            entry.partition_key.clone(),
            entry.field_str("client_id").unwrap_or_default(),
        )
        .await
    }

    async fn remove_key(
        &self,
        kind: CredentialType,
        key: &str,
        partition: String,
        client_id: &str,
    ) -> Result<bool, CacheError> {
        let access = CacheAccess::new(AccessKind::Write, partition, client_id);
        self.write_access(access, |state| {
            state
                .find_key(kind, key)
                .and_then(|id| state.remove(id))
                .is_some()
        })
        .await
    }

    /// Sets fields of one entry found by [`search`](Self::search), keeping the others (MSAL
    /// Python's `modify(credential_type, entry, new_key_value_pairs)`): for example a new
    /// `"secret"` and `"last_modification_time"` for a refresh token, or `"expires_on"` to force
    /// an access token's refresh. Returns whether the entry still existed; unlike MSAL Python,
    /// an entry removed meanwhile (by another process, through a store) is not written back.
    ///
    /// The entry stays under its key, as in MSAL Python: changing a field the key is made of
    /// (`home_account_id`, `environment`, `client_id`, `realm`, `target`, ...) leaves key and
    /// fields disagreeing, and lookups then follow the fields. To move an entry, remove it and
    /// add the new one with [`add_token_response`](Self::add_token_response).
    pub async fn modify(
        &self,
        entry: &CacheEntry,
        changes: Map<String, Value>,
    ) -> Result<bool, CacheError> {
        let kind = entry.credential_type();
        let access = CacheAccess::new(
            AccessKind::Write,
            entry.partition_key.clone(),
            entry.field_str("client_id").unwrap_or_default(),
        );
        self.write_access(access, |state| {
            let Some(id) = state.find_key(kind, entry.key()) else {
                return false;
            };
            state.update_raw(id, |raw| {
                if let Value::Object(map) = raw {
                    map.extend(changes);
                }
            });
            true
        })
        .await
    }

    /// Signs an account out of this client (MSAL Python's `ClientApplication.remove_account` in `msal/application.py`): its
    /// refresh tokens issued to `client_id` or to `client_id`'s family, and all of its access
    /// tokens, ID tokens and Account entries in the account's environment, any realm. Returns how
    /// many entries were removed.
    pub async fn remove_account(
        &self,
        account: &Account,
        client_id: &str,
    ) -> Result<usize, CacheError> {
        let access = CacheAccess::new(
            AccessKind::Write,
            user_partition_key(&account.home_account_id),
            client_id,
        );
        self.write_access(access, |state| state.remove_account(account, client_id))
            .await
    }

    /// Removes every app-only access token of `client_id` in these environments, any realm
    /// (MSAL Python's `remove_tokens_for_client`). Returns how many were removed.
    pub async fn remove_tokens_for_client(
        &self,
        client_id: &str,
        environments: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Result<usize, CacheError> {
        let environments = strings(environments);
        let access = CacheAccess::new(AccessKind::Write, "", client_id);
        self.write_access(access, |state| {
            state.remove_tokens_for_client(client_id, &environments)
        })
        .await
    }

    // ---- reads (they never change the cache) ----

    /// The best access token for `query`: one with more than
    /// [`EXPIRY_BUFFER`](crate::EXPIRY_BUFFER) left if there is one, else the matching
    /// token that expires last, so the caller can tell "expired" (telemetry reason 3) from
    /// "none". The caller decides what is usable (see [`CachedAccessToken::freshness`], or let
    /// [`acquire`](crate::acquire::acquire) decide).
    ///
    /// Unlike MSAL Python's `search()`, this never deletes expired tokens: a read that changed
    /// the cache would force every read through a store to save. Writes prune instead.
    pub async fn find_access_token(
        &self,
        query: &AccessTokenQuery,
        now: SystemTime,
    ) -> Result<Option<CachedAccessToken>, CacheError> {
        self.read_access(|| {
            let partition = match query.home() {
                Some(home) => user_partition_key(home),
                None => app_partition_key(&query.client_id, &query.realm),
            };
            CacheAccess::new(AccessKind::Read, partition, query.client_id.clone())
                .with_correlation_id(query.correlation_id.clone())
        })
        .await?;
        Ok(self.read_state().find_access_token(query, now))
    }

    /// The account's refresh tokens that match `query`, under the first environment that has
    /// any, most recently written first.
    pub async fn find_refresh_tokens(
        &self,
        query: &RefreshTokenQuery,
    ) -> Result<Vec<CachedRefreshToken>, CacheError> {
        self.read_access(|| {
            CacheAccess::new(
                AccessKind::Read,
                user_partition_key(&query.home_account_id),
                query.client_id.clone().unwrap_or_default(),
            )
            .with_correlation_id(query.correlation_id.clone())
        })
        .await?;
        Ok(self.read_state().find_refresh_tokens(query))
    }

    /// Every entry of one section that matches `query` (MSAL Python's `TokenCache.search`, and
    /// its deprecated `find`), sorted by key: for inspecting a cache, or pruning it with
    /// [`remove_entry`](Self::remove_entry) and [`modify`](Self::modify).
    ///
    /// Unlike MSAL Python's `search`, expired access tokens are returned, not deleted (a read
    /// never writes; see the crate docs). Through a partitioned store, a query that names a
    /// `home_account_id` loads that user's partition; any other query sees what this cache has
    /// loaded so far.
    ///
    /// ```
    /// use msal_cache::{CredentialType, EntryQuery, TokenCache};
    /// # async fn demo(cache: TokenCache) -> Result<(), msal_core::CacheError> {
    /// let query = EntryQuery::new(CredentialType::RefreshToken).field("client_id", "my-client");
    /// for rt in cache.search(&query).await? {
    ///     println!("{} (family {:?})", rt.key(), rt.field_str("family_id"));
    /// }
    /// # Ok(()) }
    /// ```
    #[doc(alias = "find")]
    pub async fn search(&self, query: &EntryQuery) -> Result<Vec<CacheEntry>, CacheError> {
        self.read_access(|| {
            let partition = query
                .home_account_id()
                .map(user_partition_key)
                .unwrap_or_default();
            CacheAccess::new(
                AccessKind::Read,
                partition,
                query
                    .fields
                    .get("client_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            )
        })
        .await?;
        let mut found: Vec<CacheEntry> = self
            .read_state()
            .entries(query.credential_type)
            .filter(|slot| query.matches(slot))
            .map(CacheEntry::from_slot)
            .collect();
        found.sort_by(|a, b| a.key().cmp(b.key()));
        Ok(found)
    }

    /// The client's AppMetadata (its `family_id`), under the first environment that has it.
    pub async fn find_app_metadata(
        &self,
        environments: impl IntoIterator<Item = impl AsRef<str>>,
        client_id: &str,
    ) -> Result<Option<AppMetadata>, CacheError> {
        let environments = strings(environments);
        self.read_access(|| CacheAccess::new(AccessKind::Read, "", client_id))
            .await?;
        Ok(self
            .read_state()
            .find_app_metadata(&environments, client_id))
    }

    /// The account's ID token issued to `client_id` in `realm` (any realm when `None`).
    pub async fn find_id_token(
        &self,
        home_account_id: &str,
        environments: impl IntoIterator<Item = impl AsRef<str>>,
        client_id: &str,
        realm: Option<&str>,
    ) -> Result<Option<CachedIdToken>, CacheError> {
        let environments = strings(environments);
        self.read_access(|| {
            CacheAccess::new(
                AccessKind::Read,
                user_partition_key(home_account_id),
                client_id,
            )
        })
        .await?;
        Ok(self
            .read_state()
            .find_id_token(home_account_id, &environments, client_id, realm))
    }

    /// The Account entry of `home_account_id` in `realm` (any realm when `None`).
    pub async fn find_account(
        &self,
        home_account_id: &str,
        environments: impl IntoIterator<Item = impl AsRef<str>>,
        realm: Option<&str>,
    ) -> Result<Option<Account>, CacheError> {
        let environments = strings(environments);
        self.read_access(|| {
            CacheAccess::new(AccessKind::Read, user_partition_key(home_account_id), "")
        })
        .await?;
        Ok(self
            .read_state()
            .find_account(home_account_id, &environments, realm))
    }

    /// MSAL Python's `get_accounts`: accounts of the first environment (authority host, then
    /// aliases) that has any, one per home account id, whose authority type is `MSSTS` or
    /// `ADFS` (or `CLOUDSHELL` when `include_cloud_shell`), optionally only those whose username
    /// equals `username` ignoring case. Sorted by home account id.
    pub async fn get_accounts(
        &self,
        environments: impl IntoIterator<Item = impl AsRef<str>>,
        username: Option<&str>,
        include_cloud_shell: bool,
    ) -> Result<Vec<Account>, CacheError> {
        let environments = strings(environments);
        self.read_access(|| CacheAccess::new(AccessKind::Read, "", ""))
            .await?;
        Ok(self
            .read_state()
            .accounts(&environments, username, include_cloud_shell))
    }
}

/// Swaps in a freshly loaded state. The generation keeps counting, so a write access that loaded
/// still sees only its own changes as changes.
/// Puts `incoming` in place of the whole state; returns the old state, for the caller to drop
/// after releasing the lock.
#[must_use = "drop the replaced state after releasing the lock"]
fn replace_all(state: &mut CacheState, incoming: CacheState) -> CacheState {
    let generation = state.generation;
    let replaced = std::mem::replace(state, incoming);
    state.generation = generation.wrapping_add(1);
    state.changed = false;
    replaced
}
