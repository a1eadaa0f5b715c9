//! The low-level entry API MSAL Python apps use to inspect and prune a cache
//! (`TokenCache.search`, `modify`, `remove_at`, `remove_rt`, `remove_idt` in
//! `msal/token_cache.py`), typed: entries come back as [`CacheEntry`], queries are
//! [`EntryQuery`].

use std::fmt;

use msal_core::ClientSecret;
use serde_json::{Map, Value};

use crate::{
    entry::{CredentialType, scopes_cover},
    fields::{FieldValue, Known},
    state::Slot,
};

/// One cache entry, as MSAL Python's `TokenCache.search` yields it: its section, the key it is
/// stored under, and its JSON fields.
///
/// The secret (the token itself) is kept apart from the other fields, so that printing
/// [`fields`](Self::fields) or the entry's `Debug` never shows it; [`secret`](Self::secret)
/// returns it.
#[derive(Clone)]
pub struct CacheEntry {
    kind: CredentialType,
    key: String,
    fields: Map<String, Value>,
    /// `ClientSecret` only for its redaction and zeroizing; the value may be any token.
    secret: Option<ClientSecret>,
    pub(crate) partition_key: String,
}

impl fmt::Debug for CacheEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheEntry")
            .field("credential_type", &self.kind)
            .field("key", &self.key)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

impl CacheEntry {
    pub(crate) fn from_slot(slot: &Slot) -> Self {
        // An entry that is not a JSON object is kept verbatim by the cache; it has no fields.
        let fields = slot.fields().map(|f| f.to_map(None)).unwrap_or_default();
        Self {
            kind: slot.kind,
            key: slot.key.to_string(),
            fields,
            secret: slot.secret().map(ClientSecret::new),
            partition_key: slot.partition_key(),
        }
    }

    /// The section the entry is in.
    pub fn credential_type(&self) -> CredentialType {
        self.kind
    }

    /// The key the entry is stored under (`{home_account_id}-{environment}-accesstoken-…`).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// One field of the entry's JSON (`"client_id"`, `"expires_on"`, …), never the secret.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }

    /// One string field of the entry's JSON, never the secret.
    pub fn field_str(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }

    /// Every field of the entry's JSON but the secret, unknown ones included.
    pub fn fields(&self) -> &Map<String, Value> {
        &self.fields
    }

    /// The token of an access-token, refresh-token or ID-token entry.
    ///
    /// **Security hazard**: whatever you do with it (log it, send it to the wrong host) is no
    /// longer protected by this type.
    pub fn secret(&self) -> Option<&str> {
        self.secret.as_ref().map(ClientSecret::secret)
    }
}

/// What [`TokenCache::search`](crate::TokenCache::search) looks for: the entries of one section
/// whose fields equal the query's and whose `target` holds the query's scopes (MSAL Python's
/// `search(credential_type, target=…, query={…})`).
///
/// Field values are compared as JSON values, except `environment` and `realm`, compared ignoring
/// ASCII case, and `home_account_id`, where `""` also matches `null` (both mean "app-only"
/// throughout this crate). A field the entry lacks never matches. Scopes are compared ignoring
/// ASCII case, as every lookup of this crate does.
///
/// ```
/// use msal_cache::{CredentialType, EntryQuery};
/// let q = EntryQuery::new(CredentialType::AccessToken)
///     .field("client_id", "my-client")
///     .target(["User.Read"]);
/// # let _ = q;
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct EntryQuery {
    /// The section searched.
    pub credential_type: CredentialType,
    /// Fields the entry must have, with these values.
    pub fields: Map<String, Value>,
    /// Scopes the entry's `target` must hold (empty: any).
    pub target: Vec<String>,
}

/// Field names whose values are shown only as `[redacted]`: a query may look an entry up by its
/// token (`secret`), and a token must never reach a log.
impl std::fmt::Debug for EntryQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: Map<String, Value> = self
            .fields
            .iter()
            .map(|(k, v)| {
                let shown = if k == "secret" {
                    Value::String("[redacted]".into())
                } else {
                    v.clone()
                };
                (k.clone(), shown)
            })
            .collect();
        f.debug_struct("EntryQuery")
            .field("credential_type", &self.credential_type)
            .field("fields", &fields)
            .field("target", &self.target)
            .finish()
    }
}

impl EntryQuery {
    /// Every entry of the section `credential_type`.
    pub fn new(credential_type: CredentialType) -> Self {
        Self {
            credential_type,
            fields: Map::new(),
            target: Vec::new(),
        }
    }

    /// Only entries whose field `name` equals `value`.
    pub fn field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.fields.insert(name.into(), value.into());
        self
    }

    /// Only entries whose `target` holds all of `scopes`.
    pub fn target(mut self, scopes: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        self.target = crate::query::strings(scopes);
        self
    }

    /// The home account id the query names, if any: its partition is the one to load.
    pub(crate) fn home_account_id(&self) -> Option<&str> {
        self.fields
            .get("home_account_id")
            .and_then(Value::as_str)
            .filter(|h| !h.is_empty())
    }

    pub(crate) fn matches(&self, slot: &Slot) -> bool {
        if slot.kind != self.credential_type {
            return false;
        }
        let Some(raw) = slot.fields() else {
            return false;
        };
        let fields_match = self.fields.iter().all(|(name, wanted)| {
            if name == "secret" {
                return slot.secret().map(Value::from).as_ref() == Some(wanted)
                    || raw.get_named(name).is_some_and(|have| have.equals(wanted));
            }
            let have = raw.get_named(name);
            match (name.as_str(), have.and_then(FieldValue::as_str), wanted) {
                ("environment" | "realm", Some(h), Value::String(w)) => h.eq_ignore_ascii_case(w),
                ("home_account_id", None, Value::String(w))
                    if have.is_none_or(|h| h.equals(&Value::Null)) =>
                {
                    w.is_empty()
                }
                _ => have.is_some_and(|h| h.equals(wanted)),
            }
        });
        fields_match
            && (self.target.is_empty()
                || raw
                    .str(Known::Target)
                    .is_some_and(|t| scopes_cover(t, &self.target)))
    }
}
