//! An entry's JSON object as the cache keeps it: every field, in its original order and with its
//! original JSON type, so that unknown fields and odd types survive a round trip.
//!
//! String values are `Arc<str>`, shared with the entry's typed view (which would otherwise hold a
//! second copy of every field) and, within one load, with the previous entry's equal value: a
//! cache repeats the same environment, client id, scopes and token type entry after entry, so a
//! load shares them instead of allocating each again. A string `secret` is not kept here at all: it lives only in the view
//! (one copy of every token in memory) and [`FieldValue::Secret`] marks where it goes back.
//!
//! Compared with a `serde_json::Map` per entry, which took two or three allocations per field
//! (plus the view's copies), an access token now costs about five allocations in all: its key,
//! this list, its secret, its view and the values it does not share with the previous entry.

use std::{fmt, sync::Arc};

use serde_json::{Map, Value};

use crate::fast_hash::FastMap;

/// The field names the cache schema uses, stored without an allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Known {
    CredentialType,
    Secret,
    HomeAccountId,
    Environment,
    ClientId,
    Target,
    Realm,
    TokenType,
    CachedAt,
    ExpiresOn,
    ExtendedExpiresOn,
    RefreshOn,
    KeyId,
    ExtCacheKey,
    UserAssertionHash,
    FamilyId,
    LastModificationTime,
    LocalAccountId,
    Username,
    AuthorityType,
    AccountSource,
    ClientInfo,
}

impl Known {
    /// How many there are: `ClientInfo` is the last (a new field goes before it, or this moves).
    const COUNT: usize = Known::ClientInfo as usize + 1;

    fn as_str(self) -> &'static str {
        match self {
            Known::CredentialType => "credential_type",
            Known::Secret => "secret",
            Known::HomeAccountId => "home_account_id",
            Known::Environment => "environment",
            Known::ClientId => "client_id",
            Known::Target => "target",
            Known::Realm => "realm",
            Known::TokenType => "token_type",
            Known::CachedAt => "cached_at",
            Known::ExpiresOn => "expires_on",
            Known::ExtendedExpiresOn => "extended_expires_on",
            Known::RefreshOn => "refresh_on",
            Known::KeyId => "key_id",
            Known::ExtCacheKey => "ext_cache_key",
            Known::UserAssertionHash => "user_assertion_hash",
            Known::FamilyId => "family_id",
            Known::LastModificationTime => "last_modification_time",
            Known::LocalAccountId => "local_account_id",
            Known::Username => "username",
            Known::AuthorityType => "authority_type",
            Known::AccountSource => "account_source",
            Known::ClientInfo => "client_info",
        }
    }

    fn from_name(name: &str) -> Option<Known> {
        Some(match name {
            "credential_type" => Known::CredentialType,
            "secret" => Known::Secret,
            "home_account_id" => Known::HomeAccountId,
            "environment" => Known::Environment,
            "client_id" => Known::ClientId,
            "target" => Known::Target,
            "realm" => Known::Realm,
            "token_type" => Known::TokenType,
            "cached_at" => Known::CachedAt,
            "expires_on" => Known::ExpiresOn,
            "extended_expires_on" => Known::ExtendedExpiresOn,
            "refresh_on" => Known::RefreshOn,
            "key_id" => Known::KeyId,
            "ext_cache_key" => Known::ExtCacheKey,
            "user_assertion_hash" => Known::UserAssertionHash,
            "family_id" => Known::FamilyId,
            "last_modification_time" => Known::LastModificationTime,
            "local_account_id" => Known::LocalAccountId,
            "username" => Known::Username,
            "authority_type" => Known::AuthorityType,
            "account_source" => Known::AccountSource,
            "client_info" => Known::ClientInfo,
            _ => return None,
        })
    }

    /// Whether values of this field repeat across a cache's entries (the same environment,
    /// client, scopes and account in many entries), so that sharing one with the previous
    /// entry's ([`Interner`]) saves memory and time. Times, ids of single entries and unknown
    /// fields are mostly distinct: comparing them would cost for nothing.
    pub(crate) fn repeats(self) -> bool {
        matches!(
            self,
            Known::CredentialType
                | Known::HomeAccountId
                | Known::Environment
                | Known::ClientId
                | Known::Target
                | Known::Realm
                | Known::TokenType
                | Known::FamilyId
                | Known::AuthorityType
                | Known::AccountSource
        )
    }

    /// Whether the field holds a Unix time (as a string of digits, the way MSAL writes it).
    pub(crate) fn is_time(self) -> bool {
        matches!(
            self,
            Known::CachedAt
                | Known::ExpiresOn
                | Known::ExtendedExpiresOn
                | Known::RefreshOn
                | Known::LastModificationTime
        )
    }

    /// The field's bit in a `u32` of fields met (there are fewer than 32, checked below).
    fn bit(self) -> u32 {
        1 << self as u32
    }
}

const _: () = assert!(Known::COUNT <= 32, "FieldsBuilder::seen is a u32");

/// A field name: one of the schema's, or any other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Name {
    Known(Known),
    Other(Box<str>),
}

impl Name {
    pub(crate) fn new(name: &str) -> Name {
        Known::from_name(name).map_or_else(|| Name::Other(Box::from(name)), Name::Known)
    }

    fn from_string(name: String) -> Name {
        Known::from_name(&name).map_or_else(|| Name::Other(name.into_boxed_str()), Name::Known)
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            Name::Known(k) => k.as_str(),
            Name::Other(name) => name,
        }
    }

    /// The schema field, if it is one.
    pub(crate) fn known(&self) -> Option<Known> {
        match self {
            Name::Known(k) => Some(*k),
            Name::Other(_) => None,
        }
    }
}

/// A field's value.
#[derive(Debug, Clone)]
pub(crate) enum FieldValue {
    /// A JSON string.
    Str(Arc<str>),
    /// A JSON string that is a Unix time written the way MSAL writes it (decimal digits, no
    /// leading zero), kept as a number: every token has three or four, and each would otherwise
    /// be an allocation.
    Time(u64),
    /// JSON `null` (MSAL Python's `home_account_id` of an app token).
    Null,
    /// The entry's secret, which the typed view holds.
    Secret,
    /// Any other JSON value (numbers, booleans, lists, objects).
    Other(Box<Value>),
}

impl FieldValue {
    /// A string value, unless it is held as a [`Time`](FieldValue::Time).
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Str(s) => Some(s),
            FieldValue::Other(v) => v.as_str(),
            FieldValue::Time(_) | FieldValue::Null | FieldValue::Secret => None,
        }
    }

    /// A string value of `field` as read, kept as a [`Time`](FieldValue::Time) when the field
    /// is a time and the string one.
    pub(crate) fn from_str(
        field: Option<Known>,
        s: &str,
        shared: impl FnOnce(&str) -> Arc<str>,
    ) -> FieldValue {
        match field
            .filter(|f| f.is_time())
            .and_then(|_| canonical_time(s))
        {
            Some(t) => FieldValue::Time(t),
            None => FieldValue::Str(shared(s)),
        }
    }

    /// A JSON value of `field` as read: strings as by [`from_str`](Self::from_str) (without
    /// sharing), `null` as [`Null`](Self::Null), anything else kept as it is.
    pub(crate) fn from_value(field: Option<Known>, value: Value) -> FieldValue {
        match value {
            Value::String(s) => FieldValue::from_str(field, &s, |_| Arc::from(s.as_str())),
            Value::Null => FieldValue::Null,
            other => FieldValue::Other(Box::new(other)),
        }
    }

    /// A string value, shared rather than copied; `None` as for [`as_str`](Self::as_str) and for
    /// a string held inside [`Other`](Self::Other) (strings read from JSON never are).
    pub(crate) fn shared(&self) -> Option<Arc<str>> {
        match self {
            FieldValue::Str(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// The value as JSON (the secret, which is not here, as `null`).
    pub(crate) fn to_value(&self) -> Value {
        match self {
            FieldValue::Str(s) => Value::String(s.to_string()),
            FieldValue::Time(t) => Value::String(t.to_string()),
            FieldValue::Null | FieldValue::Secret => Value::Null,
            FieldValue::Other(v) => (**v).clone(),
        }
    }

    /// Whether this is the JSON value `v`.
    pub(crate) fn equals(&self, v: &Value) -> bool {
        match (self, v) {
            (FieldValue::Str(s), Value::String(w)) => **s == **w,
            (FieldValue::Time(t), Value::String(w)) => canonical_time(w) == Some(*t),
            (FieldValue::Null, Value::Null) => true,
            (FieldValue::Other(mine), _) => **mine == *v,
            _ => false,
        }
    }
}

/// `s` as a number, if writing the number back gives exactly `s` (so a round trip is exact):
/// 1 to 19 ASCII digits (any 19 fit a `u64`) without a leading zero. One pass, since every token
/// has three or four times.
fn canonical_time(s: &str) -> Option<u64> {
    let bytes = s.as_bytes();
    if bytes.is_empty() || bytes.len() > 19 || (bytes[0] == b'0' && bytes.len() > 1) {
        return None;
    }
    bytes.iter().try_fold(0u64, |n, &c| {
        let digit = c.wrapping_sub(b'0');
        (digit <= 9).then(|| n * 10 + u64::from(digit))
    })
}

/// Shares a field's value with the previous entry's when they are equal, within one load.
///
/// Consecutive entries mostly repeat the same client, environment, scopes and token type, so one
/// comparison with the last value shares nearly all of them. A hash set of every value was
/// measured too: at 20k tokens it made the load 20 % slower (most realms and account ids are
/// distinct, so it hashed and stored each for nothing) and saved about 1 % of memory.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    last: [Option<Arc<str>>; Known::COUNT],
}

impl Interner {
    /// Longer strings (tokens, client info) are unique: comparing them would cost for nothing.
    const MAX_LEN: usize = 160;

    /// `s`, shared with the previous value of the `field` when equal.
    pub(crate) fn get(&mut self, field: Known, s: &str) -> Arc<str> {
        if s.len() > Self::MAX_LEN {
            return Arc::from(s);
        }
        let last = &mut self.last[field as usize];
        if let Some(last) = last
            && **last == *s
        {
            return last.clone();
        }
        let shared: Arc<str> = Arc::from(s);
        *last = Some(shared.clone());
        shared
    }
}

/// An entry's fields, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields(Vec<(Name, FieldValue)>);

impl Fields {
    /// The value of a schema field.
    pub(crate) fn get(&self, name: Known) -> Option<&FieldValue> {
        self.0
            .iter()
            .find(|(n, _)| *n == Name::Known(name))
            .map(|(_, v)| v)
    }

    /// The value of any field.
    pub(crate) fn get_named(&self, name: &str) -> Option<&FieldValue> {
        self.0
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    }

    /// A string field (a JSON string; `None` when missing, `null` or another type, and for a
    /// time field whose string is held as a number: read those with `crate::entry::time_field`).
    pub(crate) fn str(&self, name: Known) -> Option<&str> {
        self.get(name).and_then(FieldValue::as_str)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Name, &FieldValue)> {
        self.0.iter().map(|(n, v)| (n, v))
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret was taken into the view.
    pub(crate) fn has_secret_mark(&self) -> bool {
        self.0.iter().any(|(_, v)| matches!(v, FieldValue::Secret))
    }

    /// The names, in order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }

    /// The fields as a JSON object, with `secret` (when the view holds it) put back in place.
    pub(crate) fn to_map(&self, secret: Option<&str>) -> Map<String, Value> {
        let mut map = Map::new();
        for (name, value) in &self.0 {
            let value = match (value, secret) {
                (FieldValue::Secret, Some(secret)) => Value::String(secret.to_owned()),
                (FieldValue::Secret, None) => continue,
                (other, _) => other.to_value(),
            };
            map.insert(name.as_str().to_owned(), value);
        }
        map
    }

    /// Fields from a JSON object's fields; a string `secret` is taken out when `takes_secret` (the
    /// kinds whose view holds one) and returned.
    pub(crate) fn from_map(
        map: impl IntoIterator<Item = (String, Value)>,
        takes_secret: bool,
    ) -> (Fields, Option<String>) {
        let mut builder = FieldsBuilder::new(takes_secret);
        for (name, value) in map {
            builder.push_value(Name::from_string(name), value);
        }
        builder.finish()
    }
}

/// Collects fields as a parser meets them. A repeated name keeps its first position and its last
/// value (what a reader of JSON objects with repeated names most often does; the file MSAL wrote
/// never has any).
pub(crate) struct FieldsBuilder {
    fields: Vec<(Name, FieldValue)>,
    /// The schema fields met so far, one bit each.
    seen: u32,
    /// Where each name outside the schema is, once an entry has many: finding a repeat by
    /// scanning would make an entry of n unknown fields cost n² comparisons.
    other_positions: Option<FastMap<Box<str>, usize>>,
    takes_secret: bool,
    secret: Option<String>,
}

impl fmt::Debug for FieldsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldsBuilder")
            .field("fields", &self.fields.len())
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

impl FieldsBuilder {
    /// Unknown fields an entry may have before repeats are found through a map.
    const SCAN_LIMIT: usize = 16;

    pub(crate) fn new(takes_secret: bool) -> Self {
        Self {
            // MSAL Python writes eleven or twelve fields for an access token, fewer for the rest.
            fields: Vec::with_capacity(12),
            seen: 0,
            other_positions: None,
            takes_secret,
            secret: None,
        }
    }

    /// Whether a string under `name` is the secret the view takes.
    pub(crate) fn wants_secret(&self, name: &Name) -> bool {
        self.takes_secret && *name == Name::Known(Known::Secret)
    }

    /// The secret the view takes, read as a string.
    pub(crate) fn push_secret(&mut self, name: Name, secret: String) {
        debug_assert!(
            self.wants_secret(&name),
            "only a secret-holding kind's `secret`"
        );
        self.secret = Some(secret);
        self.push(name, FieldValue::Secret);
    }

    /// A field whose value is a whole JSON value: the secret the view takes (a string, for the
    /// kinds that hold one) is taken out, anything else is kept as by
    /// [`FieldValue::from_value`].
    pub(crate) fn push_value(&mut self, name: Name, value: Value) {
        match value {
            Value::String(secret) if self.wants_secret(&name) => self.push_secret(name, secret),
            other => {
                let value = FieldValue::from_value(name.known(), other);
                self.push(name, value);
            }
        }
    }

    /// Where a field of this name already is, if it is a repeat.
    fn position(&self, name: &Name) -> Option<usize> {
        match name {
            Name::Known(k) if self.seen & k.bit() == 0 => None,
            Name::Other(other) => match &self.other_positions {
                Some(positions) => positions.get(other).copied(),
                None => self.fields.iter().position(|(n, _)| n == name),
            },
            Name::Known(_) => self.fields.iter().position(|(n, _)| n == name),
        }
    }

    pub(crate) fn push(&mut self, name: Name, value: FieldValue) {
        if let Some(at) = self.position(&name) {
            let slot = &mut self.fields[at].1;
            // A later non-string secret replaces the secret taken before.
            if matches!(slot, FieldValue::Secret) && !matches!(value, FieldValue::Secret) {
                self.secret = None;
            }
            *slot = value;
            return;
        }
        match &name {
            Name::Known(k) => self.seen |= k.bit(),
            Name::Other(other) => {
                if let Some(positions) = &mut self.other_positions {
                    positions.insert(other.clone(), self.fields.len());
                } else if self.fields.len() >= Self::SCAN_LIMIT {
                    let positions =
                        self.fields
                            .iter()
                            .enumerate()
                            .filter_map(|(i, (n, _))| match n {
                                Name::Other(other) => Some((other.clone(), i)),
                                Name::Known(_) => None,
                            });
                    let mut positions: FastMap<Box<str>, usize> = positions.collect();
                    positions.insert(other.clone(), self.fields.len());
                    self.other_positions = Some(positions);
                }
            }
        }
        self.fields.push((name, value));
    }

    pub(crate) fn finish(self) -> (Fields, Option<String>) {
        (Fields(self.fields), self.secret)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test input is an object"),
        }
    }

    #[test]
    fn a_round_trip_keeps_every_field_and_type() {
        let original = map(
            json!({"secret": "s", "expires_on": 12, "target": ["a", "b"],
            "home_account_id": null, "x-custom": {"k": 1}, "realm": "r"}),
        );
        let (fields, secret) = Fields::from_map(original.clone(), true);
        assert_eq!(secret.as_deref(), Some("s"));
        assert!(fields.has_secret_mark());
        assert_eq!(fields.to_map(secret.as_deref()), original);
        // Without the secret (an inspection), the field is left out rather than invented.
        assert!(!fields.to_map(None).contains_key("secret"));
    }

    #[test]
    fn a_secret_is_only_taken_for_kinds_that_hold_one() {
        let (fields, secret) = Fields::from_map(map(json!({"secret": "s"})), false);
        assert_eq!(secret, None);
        assert_eq!(fields.str(Known::Secret), Some("s"));
    }

    #[test]
    fn a_repeated_name_keeps_its_place_and_the_last_value() {
        let mut b = FieldsBuilder::new(true);
        b.push_value(Name::new("secret"), Value::from("first"));
        b.push(Name::new("realm"), FieldValue::Str("r".into()));
        b.push(Name::new("secret"), FieldValue::Other(Box::new(json!(5))));
        b.push(Name::new("custom"), FieldValue::Str("a".into()));
        b.push(Name::new("custom"), FieldValue::Str("b".into()));
        let (fields, secret) = b.finish();
        assert_eq!(secret, None, "the later, non-string secret wins");
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["secret", "realm", "custom"]);
        assert_eq!(
            fields.get_named("custom").and_then(FieldValue::as_str),
            Some("b")
        );
        assert!(
            fields
                .get(Known::Secret)
                .is_some_and(|v| v.equals(&json!(5)))
        );
    }

    #[test]
    fn many_unknown_fields_still_find_their_repeats() {
        let mut b = FieldsBuilder::new(false);
        for round in 0..2 {
            for i in 0..100 {
                b.push(Name::new(&format!("x{i}")), FieldValue::Time(round));
            }
        }
        let (fields, _) = b.finish();
        assert_eq!(fields.len(), 100, "each name once");
        assert!(
            fields
                .get_named("x0")
                .is_some_and(|v| matches!(v, FieldValue::Time(1)))
        );
        assert!(
            fields
                .get_named("x99")
                .is_some_and(|v| matches!(v, FieldValue::Time(1)))
        );
    }

    #[test]
    fn a_builder_never_shows_the_secret() {
        let mut b = FieldsBuilder::new(true);
        b.push_value(Name::new("secret"), Value::from("s3cr3t-value"));
        let shown = format!("{b:?}");
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
    }

    #[test]
    fn equal_consecutive_values_are_shared() {
        let mut interner = Interner::default();
        let env = Known::Environment;
        let a = interner.get(env, "login.microsoftonline.com");
        let b = interner.get(env, "login.microsoftonline.com");
        assert!(Arc::ptr_eq(&a, &b));
        let other = interner.get(env, "login.microsoft.com");
        assert!(!Arc::ptr_eq(&a, &other));
        let realm = interner.get(Known::Realm, "login.microsoft.com");
        assert!(!Arc::ptr_eq(&realm, &other), "fields are remembered apart");
        let long = "x".repeat(Interner::MAX_LEN + 1);
        assert!(!Arc::ptr_eq(
            &interner.get(env, &long),
            &interner.get(env, &long)
        ));
    }

    #[test]
    fn times_are_numbers_only_when_they_round_trip() {
        let time = Some(Known::ExpiresOn);
        let read = |field, s| FieldValue::from_str(field, s, |s| Arc::from(s));
        assert!(matches!(
            read(time, "1796382376"),
            FieldValue::Time(1796382376)
        ));
        assert!(matches!(read(time, "0"), FieldValue::Time(0)));
        assert!(
            matches!(read(Some(Known::ClientId), "12"), FieldValue::Str(_)),
            "only times"
        );
        assert!(
            matches!(read(None, "12"), FieldValue::Str(_)),
            "only schema times"
        );
        for kept in ["", "0123", "12.5", " 12", "-1", "99999999999999999999"] {
            let value = read(time, kept);
            assert_eq!(value.as_str(), Some(kept), "{kept:?} stays a string");
            assert_eq!(value.to_value(), Value::String(kept.into()));
        }
        assert!(FieldValue::Time(12).equals(&Value::String("12".into())));
        assert!(!FieldValue::Time(12).equals(&Value::String("012".into())));
    }
}
