//! The partitioned index over the cache's slots: what makes a lookup cost the same at 10 and
//! at 100,000 entries. Every insert and remove goes through `index_entry` / `unindex_entry`, so
//! the index never drifts from the slots.

use super::*;

impl CacheState {
    // ---- index accessors used by the queries ----

    pub(crate) fn access_tokens_by_probe(&self, probe: u64) -> &[EntryId] {
        self.index
            .at_exact
            .get(&probe)
            .map_or(&[], IdList::as_slice)
    }

    pub(crate) fn app_access_tokens(&self, partition: u64) -> &[EntryId] {
        self.index
            .app_access_tokens
            .get(&partition)
            .map_or(&[], IdList::as_slice)
    }

    pub(crate) fn obo_access_tokens(&self, user_assertion_hash: &str) -> &[EntryId] {
        self.index
            .obo_access_tokens
            .get(&assertion_partition_hash(user_assertion_hash))
            .map_or(&[], IdList::as_slice)
    }

    pub(crate) fn user(&self, home_account_id: &str) -> Option<&UserEntries> {
        self.index.users.get(home_account_id)
    }

    pub(crate) fn all_accounts(&self) -> &[EntryId] {
        &self.index.accounts
    }

    pub(crate) fn all_app_metadata(&self) -> &[EntryId] {
        &self.index.app_metadata
    }

    /// Every app-only access token (home_account_id null or empty).
    pub(crate) fn all_app_access_tokens(&self) -> Vec<EntryId> {
        self.index
            .app_access_tokens
            .values()
            .flat_map(|ids| ids.as_slice().iter().copied())
            .collect()
    }

    // ---- index maintenance ----

    pub(super) fn index_entry(&mut self, id: EntryId) {
        let Some(slot) = self.slots.get(id as usize).and_then(Option::as_ref) else {
            return;
        };
        let section = &mut self.sections[slot.kind.index()];
        section.present = true;
        section.count += 1;
        section.by_key.entry(slot.key_hash).or_default().push(id);
        let index = &mut self.index;
        match &slot.view {
            View::AccessToken(at) => {
                index.at_exact.entry(probe_of(at)).or_default().push(id);
                if let Some(hash) = at.user_assertion_hash.as_deref() {
                    index
                        .obo_access_tokens
                        .entry(assertion_partition_hash(hash))
                        .or_default()
                        .push(id);
                }
                match &at.home_account_id {
                    Some(home) => user_mut(&mut index.users, Some(home))
                        .access_tokens
                        .push(id),
                    None => index
                        .app_access_tokens
                        .entry(app_partition_hash(
                            &at.client_id,
                            &at.environment,
                            &at.realm,
                        ))
                        .or_default()
                        .push(id),
                }
            }
            View::RefreshToken(rt) => {
                user_mut(&mut index.users, rt.home_account_id.as_ref())
                    .refresh_tokens
                    .push(id);
            }
            View::IdToken(idt) => {
                user_mut(&mut index.users, idt.home_account_id.as_ref())
                    .id_tokens
                    .push(id);
            }
            View::Account(acc) => {
                user_mut(&mut index.users, acc.home_account_id.as_ref())
                    .accounts
                    .push(id);
                index.accounts.push(id);
            }
            View::AppMetadata(_) => index.app_metadata.push(id),
            View::Opaque => {}
        }
    }

    pub(super) fn unindex_entry(&mut self, id: EntryId) {
        let Some(slot) = self.slots.get(id as usize).and_then(Option::as_ref) else {
            return;
        };
        let section = &mut self.sections[slot.kind.index()];
        section.count = section.count.saturating_sub(1);
        remove_from(&mut section.by_key, slot.key_hash, id);
        let index = &mut self.index;
        let user_home = match &slot.view {
            View::AccessToken(at) => {
                remove_from(&mut index.at_exact, probe_of(at), id);
                if let Some(hash) = at.user_assertion_hash.as_deref() {
                    remove_from(
                        &mut index.obo_access_tokens,
                        assertion_partition_hash(hash),
                        id,
                    );
                }
                match at.home_account_id.as_deref() {
                    Some(home) => Some(home),
                    None => {
                        let partition =
                            app_partition_hash(&at.client_id, &at.environment, &at.realm);
                        remove_from(&mut index.app_access_tokens, partition, id);
                        None
                    }
                }
            }
            View::RefreshToken(rt) => Some(rt.home_account_id.as_deref().unwrap_or("")),
            View::IdToken(idt) => Some(idt.home_account_id.as_deref().unwrap_or("")),
            View::Account(acc) => {
                index.accounts.retain(|x| *x != id);
                Some(acc.home_account_id.as_deref().unwrap_or(""))
            }
            View::AppMetadata(_) => {
                index.app_metadata.retain(|x| *x != id);
                None
            }
            View::Opaque => None,
        };
        if let Some(home) = user_home
            && let Some(user) = index.users.get_mut(home)
        {
            {
                for list in [
                    &mut user.access_tokens,
                    &mut user.refresh_tokens,
                    &mut user.id_tokens,
                    &mut user.accounts,
                ] {
                    list.remove(id);
                }
                if user.is_empty() {
                    index.users.remove(home);
                }
            }
        }
    }
}

fn probe_of(at: &AccessTokenData) -> u64 {
    access_token_probe_hash(
        at.home_account_id.as_deref(),
        &at.environment,
        &at.client_id,
        &at.realm,
        at.target.split_ascii_whitespace(),
        at.ext_cache_key.as_deref(),
    )
}

/// A user's entries (`None`: entries without a home account id, filed under `""`). The key
/// shares the entry's string, so filing an entry allocates nothing.
fn user_mut<'a>(
    users: &'a mut FastMap<Arc<str>, UserEntries>,
    home: Option<&Arc<str>>,
) -> &'a mut UserEntries {
    let home = home.cloned().unwrap_or_else(|| crate::entry::shared(""));
    users.entry(home).or_default()
}

fn remove_from(map: &mut FastMap<u64, IdList>, hash: u64, id: EntryId) {
    if let Some(list) = map.get_mut(&hash)
        && list.remove(id)
    {
        map.remove(&hash);
    }
}
