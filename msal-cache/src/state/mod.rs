//! The in-memory cache: every entry's fields as read (see `crate::fields`), its typed view, and
//! the partitioned index.
//!
//! Entries live in a slab addressed by [`EntryId`]. Around it:
//! - per section, the stored key → entry (for upserts and serialization);
//! - app-only access tokens by (client_id, environment, realm);
//! - everything of a user by `home_account_id`;
//! - access tokens by the hash of their canonical key, for the O(1) probe.
//!
//! Index entries are hashes and ids, so a probe allocates nothing; every candidate is checked
//! against its fields, so a hash collision costs a comparison, never a wrong answer.

mod index;
mod json;

use std::sync::Arc;

use msal_core::CacheError;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{
    entry::{
        AccessTokenData, AccountData, AppMetadata, CredentialType, IdTokenData, RefreshTokenData,
    },
    fast_hash::FastMap,
    fields::Fields,
    keys::{
        access_token_probe_hash, app_partition_hash, app_partition_key, assertion_partition_hash,
        hash_exact, user_partition_key,
    },
};

/// The address of an entry in the slab.
pub(crate) type EntryId = u32;

/// A list of entry ids that is usually one long, stored without a heap allocation in that case.
#[derive(Debug, Default, Clone)]
pub(crate) enum IdList {
    #[default]
    Empty,
    One(EntryId),
    Many(Vec<EntryId>),
}

impl IdList {
    fn push(&mut self, id: EntryId) {
        *self = match std::mem::take(self) {
            IdList::Empty => IdList::One(id),
            IdList::One(first) => IdList::Many(vec![first, id]),
            IdList::Many(mut ids) => {
                ids.push(id);
                IdList::Many(ids)
            }
        };
    }

    /// Removes `id`; returns whether the list is now empty.
    fn remove(&mut self, id: EntryId) -> bool {
        match self {
            IdList::Empty => {}
            IdList::One(only) => {
                if *only == id {
                    *self = IdList::Empty;
                }
            }
            IdList::Many(ids) => {
                ids.retain(|x| *x != id);
                match ids.len() {
                    0 => *self = IdList::Empty,
                    1 => *self = IdList::One(ids[0]),
                    _ => {}
                }
            }
        }
        matches!(self, IdList::Empty)
    }

    pub(crate) fn as_slice(&self) -> &[EntryId] {
        match self {
            IdList::Empty => &[],
            IdList::One(id) => std::slice::from_ref(id),
            IdList::Many(ids) => ids,
        }
    }
}

impl std::ops::Deref for IdList {
    type Target = [EntryId];
    fn deref(&self) -> &[EntryId] {
        self.as_slice()
    }
}

/// The typed view of an entry.
#[derive(Debug)]
pub(crate) enum View {
    AccessToken(Arc<AccessTokenData>),
    RefreshToken(Arc<RefreshTokenData>),
    IdToken(Arc<IdTokenData>),
    Account(Arc<AccountData>),
    AppMetadata(Arc<AppMetadata>),
    /// An entry that is not a JSON object: kept verbatim, never matched.
    Opaque,
}

impl View {
    /// The typed view of an entry's fields; `secret` is the string the fields' builder took out
    /// (for the kinds that hold one).
    fn parse(
        kind: CredentialType,
        key: &Arc<str>,
        fields: &Fields,
        secret: Option<String>,
    ) -> View {
        let secret = secret.unwrap_or_default();
        match kind {
            CredentialType::AccessToken => {
                let mut at = AccessTokenData::parse(key, fields);
                at.secret = secret.into();
                View::AccessToken(Arc::new(at))
            }
            CredentialType::RefreshToken => {
                let mut rt = RefreshTokenData::parse(key, fields);
                rt.secret = secret.into();
                View::RefreshToken(Arc::new(rt))
            }
            CredentialType::IdToken => {
                let mut idt = IdTokenData::parse(key, fields);
                idt.secret = secret.into();
                View::IdToken(Arc::new(idt))
            }
            CredentialType::Account => View::Account(Arc::new(AccountData::parse(fields))),
            CredentialType::AppMetadata => View::AppMetadata(Arc::new(AppMetadata::parse(fields))),
        }
    }

    fn secret(&self) -> Option<&str> {
        match self {
            View::AccessToken(at) => Some(at.secret.secret()),
            View::RefreshToken(rt) => Some(rt.secret.secret()),
            View::IdToken(idt) => Some(idt.secret.secret()),
            _ => None,
        }
    }
}

/// An entry's JSON.
#[derive(Debug)]
pub(crate) enum Body {
    /// A JSON object (every entry MSAL writes), without a string `secret`: that lives only in
    /// the view (one copy of every token in memory) and is put back when serializing.
    Object(Fields),
    /// Anything else, kept verbatim and never matched.
    Opaque(Value),
}

/// One stored entry.
#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) kind: CredentialType,
    pub(crate) key: Arc<str>,
    key_hash: u64,
    pub(crate) body: Body,
    pub(crate) view: View,
}

impl Slot {
    /// An entry from its parsed JSON (`secret`: the string the fields' builder took out).
    pub(crate) fn new(
        kind: CredentialType,
        key: Arc<str>,
        body: Body,
        secret: Option<String>,
    ) -> Slot {
        let view = match &body {
            Body::Object(fields) => View::parse(kind, &key, fields, secret),
            Body::Opaque(_) => View::Opaque,
        };
        Slot {
            kind,
            key_hash: hash_exact(key.as_bytes()),
            key,
            body,
            view,
        }
    }

    /// An entry from a JSON value (a write or an edit). Fields named in `order` (an edited
    /// entry's, as they were) come first and in that order; new ones follow.
    fn from_value(kind: CredentialType, key: Arc<str>, raw: Value, order: &[Box<str>]) -> Slot {
        match raw {
            Value::Object(mut map) => {
                let mut ordered: Vec<(String, Value)> = order
                    .iter()
                    .filter_map(|name| map.remove_entry(&**name))
                    .collect();
                ordered.extend(map);
                let (fields, secret) = Fields::from_map(ordered, kind.holds_secret());
                Slot::new(kind, key, Body::Object(fields), secret)
            }
            other => Slot::new(kind, key, Body::Opaque(other), None),
        }
    }
}

/// Which partition (in MSAL.NET's sense) an entry belongs to.
#[derive(Debug, PartialEq, Eq)]
enum Owner<'a> {
    User(&'a str),
    App {
        client_id: &'a str,
        realm: &'a str,
    },
    /// AppMetadata and opaque entries: part of every partition.
    Shared,
}

impl Slot {
    /// The entry's JSON as stored, secret included.
    pub(crate) fn full_raw(&self) -> Value {
        match &self.body {
            Body::Object(fields) => Value::Object(fields.to_map(self.secret())),
            Body::Opaque(value) => value.clone(),
        }
    }

    fn owner(&self) -> Owner<'_> {
        match &self.view {
            View::AccessToken(at) => match at.home_account_id.as_deref() {
                Some(home) => Owner::User(home),
                None => Owner::App {
                    client_id: &at.client_id,
                    realm: &at.realm,
                },
            },
            View::RefreshToken(rt) => Owner::User(rt.home_account_id.as_deref().unwrap_or("")),
            View::IdToken(idt) => Owner::User(idt.home_account_id.as_deref().unwrap_or("")),
            View::Account(acc) => Owner::User(acc.home_account_id.as_deref().unwrap_or("")),
            View::AppMetadata(_) | View::Opaque => Owner::Shared,
        }
    }

    /// The partition key a partitioned store files this entry under (`""` for shared entries).
    pub(crate) fn partition_key(&self) -> String {
        match self.owner() {
            Owner::User(home) => user_partition_key(home),
            Owner::App { client_id, realm } => app_partition_key(client_id, realm),
            Owner::Shared => String::new(),
        }
    }

    /// The entry's fields, if it is a JSON object (a string `secret` is in the view).
    pub(crate) fn fields(&self) -> Option<&Fields> {
        match &self.body {
            Body::Object(fields) => Some(fields),
            Body::Opaque(_) => None,
        }
    }

    /// The entry's secret, when it is a string the view holds.
    pub(crate) fn secret(&self) -> Option<&str> {
        match &self.body {
            Body::Object(fields) if fields.has_secret_mark() => self.view.secret(),
            _ => None,
        }
    }

    fn in_partition(&self, partition_key: &str) -> bool {
        match self.owner() {
            Owner::Shared => true,
            Owner::User(home) => home == partition_key,
            Owner::App { client_id, realm } => {
                partition_key
                    .strip_prefix(client_id)
                    .and_then(|rest| rest.strip_prefix('_'))
                    .and_then(|rest| rest.strip_suffix("_AppTokenCache"))
                    == Some(realm)
            }
        }
    }
}

/// A user's entries.
#[derive(Debug, Default)]
pub(crate) struct UserEntries {
    pub(crate) access_tokens: IdList,
    pub(crate) refresh_tokens: IdList,
    pub(crate) id_tokens: IdList,
    pub(crate) accounts: IdList,
}

impl UserEntries {
    fn is_empty(&self) -> bool {
        self.access_tokens.is_empty()
            && self.refresh_tokens.is_empty()
            && self.id_tokens.is_empty()
            && self.accounts.is_empty()
    }
}

/// A top-level section: one of the schema's five, or another.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SectionName {
    Known(CredentialType),
    Unknown(String),
}

#[derive(Debug, Default)]
struct Section {
    /// Whether the section exists (an empty `{}` section survives a round trip).
    present: bool,
    /// Hash of the stored key → entries (ids are re-checked against the key).
    by_key: FastMap<u64, IdList>,
    count: usize,
}

#[derive(Debug, Default)]
struct Index {
    at_exact: FastMap<u64, IdList>,
    app_access_tokens: FastMap<u64, IdList>,
    /// On-behalf-of access tokens by their `user_assertion_hash`: a middle tier looks them up
    /// before it knows whose token it holds.
    obo_access_tokens: FastMap<u64, IdList>,
    users: FastMap<Arc<str>, UserEntries>,
    accounts: Vec<EntryId>,
    app_metadata: Vec<EntryId>,
}

/// The whole in-memory cache.
#[derive(Debug, Default)]
pub(crate) struct CacheState {
    slots: Vec<Option<Slot>>,
    free: Vec<EntryId>,
    sections: [Section; 5],
    /// Top-level sections this version does not know, verbatim.
    unknown_sections: Map<String, Value>,
    /// The top-level sections in the order they were read, so that a file comes back in its own
    /// order (sections created later follow, in the schema's order).
    section_order: Vec<SectionName>,
    index: Index,
    /// Set by every change, cleared by `serialize`/`deserialize` (`has_state_changed`).
    pub(crate) changed: bool,
    /// Counts changes; a write access saves only when it moved.
    pub(crate) generation: u64,
}

/// Which of [`json::StringRead`]'s two reads [`CacheState::parse`] makes.
#[derive(Clone, Copy)]
enum Read {
    Fast,
    Strict,
}

impl CacheState {
    /// Parses a serialized cache. `""` (or only whitespace) is an empty cache.
    pub(crate) fn from_json(json: &str) -> Result<Self, CacheError> {
        if json.trim().is_empty() {
            return Ok(CacheState::default());
        }
        // Any failure of the fast read, a real error included, is settled by the strict one.
        Self::parse(json, Read::Fast)
            .or_else(|_| Self::parse(json, Read::Strict))
            .map_err(|e| CacheError::Deserialize(e.to_string()))
    }

    /// One read of a document, its secrets and keys read as `read` says (see
    /// [`json::StringRead`]).
    fn parse(json: &str, read: Read) -> Result<Self, serde_json::Error> {
        let strings = match read {
            Read::Fast => json::StringRead::Fast(json),
            Read::Strict => json::StringRead::Strict,
        };
        // Entries go straight from the parser into the slab and index: building a `Value` for
        // the whole document first would sort every section's keys into a BTreeMap only to take
        // them out again.
        let mut state = CacheState::default();
        let mut de = serde_json::Deserializer::from_str(json);
        let top = json::TopLevel {
            state: &mut state,
            strings,
        };
        serde::de::DeserializeSeed::deserialize(top, &mut de).and_then(|()| de.end())?;
        state.changed = false;
        Ok(state)
    }

    /// Whether [`from_json`](Self::from_json) would accept `json`, without building anything:
    /// `Err` says what is wrong (not JSON, not an object, a section that is not an object).
    pub(crate) fn check(json: &str) -> Result<(), CacheError> {
        if json.trim().is_empty() {
            return Ok(());
        }
        let mut de = serde_json::Deserializer::from_str(json);
        serde::de::DeserializeSeed::deserialize(json::Shape, &mut de)
            .and_then(|()| de.end())
            .map_err(|e| CacheError::Deserialize(e.to_string()))
    }

    /// The whole cache as MSAL Python writes it (`json.dumps(indent=4)` layout).
    pub(crate) fn to_json(&self) -> String {
        self.render(None)
    }

    /// Only the entries of one partition (plus the shared AppMetadata and unknown data).
    pub(crate) fn partition_to_json(&self, partition_key: &str) -> String {
        self.render(Some(partition_key))
    }

    fn render(&self, partition: Option<&str>) -> String {
        let mut out = Vec::with_capacity(self.slots.len() * 512 + 64);
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
        // Serializing maps of strings and JSON values into a Vec cannot fail.
        let _ = json::StateJson {
            state: self,
            partition,
        }
        .serialize(&mut ser);
        String::from_utf8(out).unwrap_or_default()
    }

    pub(crate) fn count(&self, kind: CredentialType) -> usize {
        self.sections[kind.index()].count
    }

    /// Every entry of one section, in no particular order.
    pub(crate) fn entries(&self, kind: CredentialType) -> impl Iterator<Item = &Slot> + '_ {
        self.slots.iter().flatten().filter(move |s| s.kind == kind)
    }

    pub(crate) fn slot(&self, id: EntryId) -> Option<&Slot> {
        self.slots.get(id as usize).and_then(Option::as_ref)
    }

    /// Stores an entry under `key`, replacing any entry with the same key in that section.
    pub(crate) fn insert(
        &mut self,
        kind: CredentialType,
        key: impl Into<Arc<str>>,
        raw: Value,
    ) -> EntryId {
        self.insert_slot(Slot::from_value(kind, key.into(), raw, &[]))
    }

    pub(crate) fn insert_slot(&mut self, slot: Slot) -> EntryId {
        if let Some(old) = self.find_key_hashed(slot.kind, &slot.key, slot.key_hash) {
            self.remove(old);
        }
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = Some(slot);
                id
            }
            None => {
                self.slots.push(Some(slot));
                // More than 4 billion entries cannot be loaded into memory anyway.
                (self.slots.len() - 1) as EntryId
            }
        };
        self.index_entry(id);
        self.touch();
        id
    }

    /// The entry stored under exactly `key` in that section.
    pub(crate) fn find_key(&self, kind: CredentialType, key: &str) -> Option<EntryId> {
        self.find_key_hashed(kind, key, hash_exact(key.as_bytes()))
    }

    fn find_key_hashed(&self, kind: CredentialType, key: &str, key_hash: u64) -> Option<EntryId> {
        let section = &self.sections[kind.index()];
        section
            .by_key
            .get(&key_hash)?
            .as_slice()
            .iter()
            .copied()
            .find(|id| self.slot(*id).is_some_and(|s| &*s.key == key))
    }

    /// Removes an entry; returns it.
    pub(crate) fn remove(&mut self, id: EntryId) -> Option<Slot> {
        self.unindex_entry(id);
        let slot = self.slots.get_mut(id as usize)?.take()?;
        self.free.push(id);
        self.touch();
        Some(slot)
    }

    /// Replaces an entry's JSON in place (same key), re-parsing its view.
    pub(crate) fn update_raw(&mut self, id: EntryId, update: impl FnOnce(&mut Value)) {
        let Some(slot) = self.slots.get(id as usize).and_then(Option::as_ref) else {
            return;
        };
        let (kind, key) = (slot.kind, slot.key.clone());
        // The edited entry keeps its fields' order (a JSON object here would sort them).
        let order: Vec<Box<str>> = slot
            .fields()
            .map_or_else(Vec::new, |f| f.names().map(Box::from).collect());
        let mut raw = slot.full_raw();
        update(&mut raw);
        self.unindex_entry(id);
        if let Some(Some(slot)) = self.slots.get_mut(id as usize) {
            *slot = Slot::from_value(kind, key, raw, &order);
        }
        self.index_entry(id);
        self.touch();
    }

    fn touch(&mut self) {
        self.changed = true;
        self.generation = self.generation.wrapping_add(1);
    }

    pub(crate) fn clear(&mut self) {
        let generation = self.generation;
        *self = CacheState::default();
        self.generation = generation;
        self.touch();
    }

    // ---- partitions ----

    /// Replaces one partition's entries with those of `incoming` (a partitioned store's blob).
    /// Shared entries (AppMetadata) and unknown sections from `incoming` are merged in.
    pub(crate) fn replace_partition(&mut self, partition_key: &str, incoming: CacheState) {
        let stale: Vec<EntryId> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(id, slot)| {
                let slot = slot.as_ref()?;
                (slot.owner() != Owner::Shared && slot.in_partition(partition_key))
                    .then_some(id as EntryId)
            })
            .collect();
        for id in stale {
            self.remove(id);
        }
        self.merge(incoming);
    }

    /// Adds every entry of `incoming`, replacing entries with the same keys.
    fn merge(&mut self, incoming: CacheState) {
        for (i, section) in incoming.sections.iter().enumerate() {
            self.sections[i].present |= section.present;
        }
        for slot in incoming.slots.into_iter().flatten() {
            self.insert_slot(slot);
        }
        self.unknown_sections.extend(incoming.unknown_sections);
        for name in incoming.section_order {
            if !self.section_order.contains(&name) {
                self.section_order.push(name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn id_list_grows_and_shrinks() {
        let mut l = IdList::default();
        l.push(1);
        l.push(2);
        assert_eq!(l.as_slice(), &[1, 2]);
        assert!(!l.remove(1));
        assert_eq!(l.as_slice(), &[2]);
        assert!(l.remove(2));
        assert!(l.as_slice().is_empty());
    }

    #[test]
    fn insert_replace_remove_keep_counts_and_index() {
        let mut s = CacheState::default();
        let at = json!({"credential_type": "AccessToken", "secret": "a", "home_account_id": null,
            "environment": "e", "client_id": "c", "realm": "r", "target": "s"});
        s.insert(CredentialType::AccessToken, "k", at.clone());
        s.insert(CredentialType::AccessToken, "k", at.clone());
        assert_eq!(s.count(CredentialType::AccessToken), 1);
        assert_eq!(s.all_app_access_tokens().len(), 1);
        let id = s.find_key(CredentialType::AccessToken, "k").unwrap();
        s.remove(id);
        assert_eq!(s.count(CredentialType::AccessToken), 0);
        assert!(s.all_app_access_tokens().is_empty());
        // The section stays, as `{}`.
        assert_eq!(
            serde_json::from_str::<Value>(&s.to_json()).unwrap(),
            json!({"AccessToken": {}})
        );
    }

    /// What each read makes of `doc`: the document it writes back, or that it failed.
    fn both_reads(doc: &str) -> (Option<String>, Option<String>) {
        let read = |read| CacheState::parse(doc, read).ok().map(|s| s.to_json());
        (read(Read::Fast), read(Read::Strict))
    }

    #[test]
    fn the_fast_read_agrees_with_the_strict_one_on_plain_strings() {
        let doc = r#"{"AccessToken": {"k-1": {"credential_type": "AccessToken", "secret": "eyJ.a.b",
            "home_account_id": null, "environment": "e", "client_id": "c", "realm": "r",
            "target": "s"}}, "RefreshToken": {"k-2": {"secret": "rt", "home_account_id": "u"}}}"#;
        let (fast, strict) = both_reads(doc);
        assert!(fast.is_some());
        assert_eq!(fast, strict);
        let state = CacheState::from_json(doc).unwrap();
        assert_eq!(state.to_json(), strict.unwrap());
    }

    #[test]
    fn secrets_and_keys_with_escapes_read_the_same_both_ways() {
        // An escape makes serde_json copy the string instead of lending it.
        let doc = r#"{"AccessToken": {"k\u00e9\"1": {"secret": "a\\b\u00e9\"\u20ac",
            "home_account_id": null, "environment": "e", "client_id": "c", "realm": "r",
            "target": "s"}}}"#;
        let (fast, strict) = both_reads(doc);
        assert!(fast.is_some());
        assert_eq!(fast, strict);
        let state = CacheState::from_json(doc).unwrap();
        assert_eq!(state.to_json(), strict.unwrap());
        assert!(state.to_json().contains(r#""secret": "a\\bé\"€""#));
        assert!(state.to_json().contains(r#""ké\"1": {"#));
    }

    #[test]
    fn what_the_fast_read_refuses_is_settled_by_the_strict_one() {
        // A secret that is not a string is kept as it is; only the strict read takes it.
        let number = r#"{"AccessToken": {"k": {"secret": 5, "realm": "r"}}}"#;
        assert_eq!(both_reads(number).0, None);
        let state = CacheState::from_json(number).unwrap();
        assert!(state.to_json().contains(r#""secret": 5"#));
        // A raw control character is not JSON: neither read accepts it, in a secret or a key.
        for doc in [
            "{\"AccessToken\": {\"k\": {\"secret\": \"a\u{1}b\"}}}",
            "{\"AccessToken\": {\"k\u{1f}\": {\"secret\": \"ab\"}}}",
            "{\"AccessToken\": {\"k\": {\"secret\": \"a\tb\"}}}",
        ] {
            assert_eq!(both_reads(doc), (None, None), "{doc:?}");
            assert!(CacheState::from_json(doc).is_err(), "{doc:?}");
        }
        // Escaped control characters are JSON: the fast read leaves them to the strict one.
        for escaped in [
            r#"{"AccessToken": {"k": {"secret": "a\u0001b", "realm": "r"}}}"#,
            r#"{"AccessToken": {"k\n": {"secret": "ab", "realm": "r"}}}"#,
        ] {
            let (fast, strict) = both_reads(escaped);
            assert_eq!(fast, None, "{escaped}");
            assert!(strict.is_some(), "{escaped}");
            assert_eq!(
                CacheState::from_json(escaped).unwrap().to_json(),
                strict.unwrap()
            );
        }
        // A raw control character after an escape arrives decoded with it: still refused.
        let mixed = "{\"AccessToken\": {\"k\": {\"secret\": \"a\\\"b\u{1}c\"}}}";
        assert_eq!(both_reads(mixed), (None, None));
        // Lone surrogates are not UTF-8: the fast read refuses them, and so does the strict one.
        for lone in [r#""a\ud800b""#, r#""\udc00""#, r#""\ud800\ud800\udc00""#] {
            let doc = format!(r#"{{"AccessToken": {{"k": {{"secret": {lone}, "realm": "r"}}}}}}"#);
            assert_eq!(both_reads(&doc), (None, None), "{doc}");
            assert!(CacheState::from_json(&doc).is_err(), "{doc}");
        }
    }

    #[test]
    fn pairs_empty_strings_and_other_secrets_read_the_same_both_ways() {
        // A surrogate pair, and an empty secret and key, take the fast read.
        for doc in [
            r#"{"AccessToken": {"k": {"secret": "a\ud83d\ude00b", "realm": "r"}}}"#,
            r#"{"AccessToken": {"": {"secret": "", "realm": "r"}}}"#,
        ] {
            let (fast, strict) = both_reads(doc);
            assert!(fast.is_some(), "{doc}");
            assert_eq!(fast, strict, "{doc}");
        }
        // Secrets that are not strings are the strict read's, and kept as they are.
        for secret in ["null", "[]", "{}", "[1, \"x\"]", "{\"a\": 1}", "true"] {
            let doc =
                format!(r#"{{"AccessToken": {{"k": {{"secret": {secret}, "realm": "r"}}}}}}"#);
            let (fast, strict) = both_reads(&doc);
            assert_eq!(fast, None, "{doc}");
            let written = CacheState::from_json(&doc).unwrap().to_json();
            assert_eq!(Some(&written), strict.as_ref(), "{doc}");
            let reread: Value = serde_json::from_str(&written).unwrap();
            let expected: Value = serde_json::from_str(secret).unwrap();
            assert_eq!(reread["AccessToken"]["k"]["secret"], expected, "{doc}");
        }
    }

    #[test]
    fn rejects_non_objects_but_keeps_odd_entries() {
        assert!(CacheState::from_json("[]").is_err());
        assert!(CacheState::from_json("{\"AccessToken\": 5}").is_err());
        assert!(CacheState::from_json("{").is_err());
        let s = CacheState::from_json("{\"AccessToken\": {\"k\": 5}, \"X\": [1]}").unwrap();
        assert_eq!(s.count(CredentialType::AccessToken), 1);
        assert_eq!(
            serde_json::from_str::<Value>(&s.to_json()).unwrap(),
            json!({"AccessToken": {"k": 5}, "X": [1]})
        );
        assert!(!s.changed);
    }

    #[test]
    fn check_accepts_exactly_what_from_json_accepts() {
        for text in [
            "",
            "  ",
            "{}",
            "[]",
            "{",
            "{} x",
            "null",
            "{\"AccessToken\": 5}",
            "{\"AppMetadata\": []}",
            "{\"AppMetadata\": null}",
            "{\"AccessToken\": {\"k\": 5}, \"X\": [1]}",
            "{\"RefreshToken\": {\"k\": {\"secret\": \"s\"}}, \"Account\": {}}",
        ] {
            let checked = CacheState::check(text).map_err(|e| e.to_string());
            let parsed = CacheState::from_json(text)
                .map(drop)
                .map_err(|e| e.to_string());
            assert_eq!(checked, parsed, "{text}");
        }
        let err = CacheState::check("{\"AppMetadata\": []}").unwrap_err();
        assert!(err.to_string().contains("`AppMetadata` section"), "{err}");
    }

    #[test]
    fn partitions_select_their_entries() {
        let mut s = CacheState::default();
        s.insert(
            CredentialType::AccessToken,
            "app",
            json!({"home_account_id": null,
            "client_id": "c", "realm": "t_x", "environment": "e"}),
        );
        s.insert(
            CredentialType::RefreshToken,
            "user",
            json!({"home_account_id": "h"}),
        );
        s.insert(CredentialType::AppMetadata, "m", json!({"client_id": "c"}));
        let app: Value = serde_json::from_str(&s.partition_to_json("c_t_x_AppTokenCache")).unwrap();
        assert!(app["AccessToken"].get("app").is_some());
        assert!(app["RefreshToken"].get("user").is_none());
        assert!(app["AppMetadata"].get("m").is_some());
        let user: Value = serde_json::from_str(&s.partition_to_json("h")).unwrap();
        assert!(user["AccessToken"].get("app").is_none());
        assert!(user["RefreshToken"].get("user").is_some());

        let incoming =
            CacheState::from_json(r#"{"RefreshToken": {"user2": {"home_account_id": "h"}}}"#)
                .unwrap();
        s.replace_partition("h", incoming);
        assert!(s.find_key(CredentialType::RefreshToken, "user").is_none());
        assert!(s.find_key(CredentialType::RefreshToken, "user2").is_some());
        assert!(s.find_key(CredentialType::AccessToken, "app").is_some());
    }
}
