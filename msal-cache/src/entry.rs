//! Typed, read-only views over cache entries.
//!
//! Each entry keeps its JSON object's fields as read (so unknown fields and JSON types survive a
//! round trip; see `crate::fields`); the view holds the fields lookups need, parsed once when the
//! entry is stored and sharing their strings. Views are
//! shared through `Arc`, so a cache hit returns in O(1) without copying the secret.

use std::{
    sync::{Arc, OnceLock},
    time::{Duration, SystemTime},
};

use msal_core::{
    AccessToken, Account, AuthorityType, IdToken, IdTokenClaims, IdTokenError, RefreshToken,
    clock::from_unix_secs,
};
use serde_json::Value;

use crate::fields::{FieldValue, Fields, Known};

/// The five sections of the unified cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[expect(
    clippy::exhaustive_enums,
    reason = "the five sections of the cache schema MSAL Python 1.39 writes"
)]
pub enum CredentialType {
    /// `AccessToken` (bearer entries and `atext` extended entries alike).
    AccessToken,
    /// `RefreshToken`.
    RefreshToken,
    /// `IdToken`.
    IdToken,
    /// `Account`.
    Account,
    /// `AppMetadata`.
    AppMetadata,
}

impl CredentialType {
    /// Every section, in a fixed order.
    pub const ALL: [CredentialType; 5] = [
        CredentialType::AccessToken,
        CredentialType::RefreshToken,
        CredentialType::IdToken,
        CredentialType::Account,
        CredentialType::AppMetadata,
    ];

    /// The section name in the serialized cache (`"AccessToken"`, ...).
    pub fn section_name(self) -> &'static str {
        match self {
            Self::AccessToken => "AccessToken",
            Self::RefreshToken => "RefreshToken",
            Self::IdToken => "IdToken",
            Self::Account => "Account",
            Self::AppMetadata => "AppMetadata",
        }
    }

    /// The section with this name, if it is one of the five.
    pub fn from_section_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.section_name() == name)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Whether entries of this kind carry a secret (which the typed view holds).
    pub(crate) fn holds_secret(self) -> bool {
        matches!(self, Self::AccessToken | Self::RefreshToken | Self::IdToken)
    }
}

/// An id that may be `null` (MSAL Python) or `""` (msal-node) for "none": both become `None`.
pub(crate) fn id_field(fields: &Fields, name: Known) -> Option<Arc<str>> {
    id_value(fields.get(name)?)
}

fn id_value(value: &FieldValue) -> Option<Arc<str>> {
    value.shared().filter(|s| !s.is_empty())
}

/// A string field, `""` when missing, `null` or not a string.
fn text_field(fields: &Fields, name: Known) -> Arc<str> {
    fields.get(name).map_or_else(|| shared(""), text_value)
}

fn text_value(value: &FieldValue) -> Arc<str> {
    value.shared().unwrap_or_else(|| shared(""))
}

/// A Unix time stored as a string (as MSAL writes it), or as a number (very old MSAL Python wrote
/// floats).
pub(crate) fn time_field(fields: &Fields, name: Known) -> Option<u64> {
    time_value(fields.get(name)?)
}

fn time_value(value: &FieldValue) -> Option<u64> {
    let from_str = |s: &str| -> Option<u64> {
        let s = s.trim();
        s.parse::<u64>().ok().or_else(|| {
            s.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64)
        })
    };
    match value {
        FieldValue::Str(s) => from_str(s),
        FieldValue::Other(v) => match &**v {
            Value::String(s) => from_str(s),
            Value::Number(n) => n
                .as_u64()
                .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
            _ => None,
        },
        FieldValue::Time(t) => Some(*t),
        FieldValue::Null | FieldValue::Secret => None,
    }
}

/// `target` as a space-separated string; very old MSAL Python stored a list.
fn target_value(value: &FieldValue) -> Arc<str> {
    match value {
        FieldValue::Other(v) => match &**v {
            Value::Array(items) => Arc::from(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            _ => shared(""),
        },
        other => text_value(other),
    }
}

/// Whether every wanted scope is among the `granted` target's, ignoring ASCII case as MSAL does.
pub(crate) fn scopes_cover<S: AsRef<str>>(granted: &str, wanted: &[S]) -> bool {
    // Split on ASCII whitespace bytes: MSAL writes single spaces, and a byte split is much
    // cheaper than Unicode whitespace detection on the lookup path.
    wanted.iter().all(|w| {
        let w = w.as_ref().as_bytes();
        // A target that is exactly the wanted scope (client credentials' `.default`) needs no split.
        if granted.len() == w.len() {
            return granted.as_bytes().eq_ignore_ascii_case(w);
        }
        granted
            .as_bytes()
            .split(u8::is_ascii_whitespace)
            .any(|g| !g.is_empty() && (g == w || g.eq_ignore_ascii_case(w)))
    })
}

/// An `Arc<str>` of `s`; the defaults an entry without the field gets (`""` and `Bearer`) are
/// shared instead of allocated per entry. (Values read from JSON are shared by the load's
/// interner, `crate::fields::Interner`.)
pub(crate) fn shared(s: &str) -> Arc<str> {
    static EMPTY: OnceLock<Arc<str>> = OnceLock::new();
    static BEARER: OnceLock<Arc<str>> = OnceLock::new();
    match s {
        "" => EMPTY.get_or_init(|| Arc::from("")).clone(),
        "Bearer" => BEARER.get_or_init(|| Arc::from("Bearer")).clone(),
        other => Arc::from(other),
    }
}

/// An access token as stored.
#[derive(Debug)]
pub(crate) struct AccessTokenData {
    pub(crate) key: Arc<str>,
    pub(crate) secret: AccessToken,
    pub(crate) token_type: Arc<str>,
    pub(crate) home_account_id: Option<Arc<str>>,
    pub(crate) environment: Arc<str>,
    pub(crate) client_id: Arc<str>,
    pub(crate) realm: Arc<str>,
    /// Space-separated scopes (split on demand: there are usually one to four).
    pub(crate) target: Arc<str>,
    pub(crate) cached_at: Option<u64>,
    pub(crate) expires_on: Option<u64>,
    pub(crate) extended_expires_on: Option<u64>,
    pub(crate) refresh_on: Option<u64>,
    pub(crate) key_id: Option<Arc<str>>,
    pub(crate) ext_cache_key: Option<Arc<str>>,
    pub(crate) user_assertion_hash: Option<Arc<str>>,
}

impl AccessTokenData {
    /// Reads the fields in one pass over the entry (a lookup per field would search the map a
    /// dozen times). The secret is set by the caller, who moves it out of the JSON.
    pub(crate) fn parse(key: &Arc<str>, fields: &Fields) -> Self {
        let empty = shared("");
        let mut at = Self {
            key: key.clone(),
            secret: AccessToken::default(),
            token_type: shared("Bearer"),
            home_account_id: None,
            environment: empty.clone(),
            client_id: empty.clone(),
            realm: empty.clone(),
            target: empty,
            cached_at: None,
            expires_on: None,
            extended_expires_on: None,
            refresh_on: None,
            key_id: None,
            ext_cache_key: None,
            user_assertion_hash: None,
        };
        for (name, value) in fields.iter() {
            let crate::fields::Name::Known(name) = name else {
                continue;
            };
            match name {
                Known::TokenType => {
                    if let Some(t) = value.shared() {
                        at.token_type = t;
                    }
                }
                Known::HomeAccountId => at.home_account_id = id_value(value),
                Known::Environment => at.environment = text_value(value),
                Known::ClientId => at.client_id = text_value(value),
                Known::Realm => at.realm = text_value(value),
                Known::Target => at.target = target_value(value),
                Known::CachedAt => at.cached_at = time_value(value),
                Known::ExpiresOn => at.expires_on = time_value(value),
                Known::ExtendedExpiresOn => at.extended_expires_on = time_value(value),
                Known::RefreshOn => at.refresh_on = time_value(value),
                Known::KeyId => at.key_id = id_value(value),
                Known::ExtCacheKey => at.ext_cache_key = id_value(value),
                Known::UserAssertionHash => at.user_assertion_hash = id_value(value),
                _ => {}
            }
        }
        at
    }
}

/// A cached access token, as a lookup returns it. Cheap to clone (shared).
///
/// `Debug` never shows the secret.
#[derive(Debug, Clone)]
pub struct CachedAccessToken(pub(crate) Arc<AccessTokenData>);

impl CachedAccessToken {
    /// The access token.
    pub fn secret(&self) -> &AccessToken {
        &self.0.secret
    }
    /// `token_type` (`Bearer` when the entry has none).
    pub fn token_type(&self) -> &str {
        &self.0.token_type
    }
    /// When the token expires. An entry without a readable `expires_on` counts as already expired
    /// (the Unix epoch).
    pub fn expires_on(&self) -> SystemTime {
        from_unix_secs(self.0.expires_on.unwrap_or(0))
    }
    /// `extended_expires_on`, if stored.
    pub fn ext_expires_on(&self) -> Option<SystemTime> {
        self.0.extended_expires_on.map(from_unix_secs)
    }
    /// When a proactive refresh is due (`refresh_on`), if stored.
    pub fn refresh_on(&self) -> Option<SystemTime> {
        self.0.refresh_on.map(from_unix_secs)
    }
    /// When the token was cached, if stored.
    pub fn cached_at(&self) -> Option<SystemTime> {
        self.0.cached_at.map(from_unix_secs)
    }
    /// Whether the token expires within `skew` of `now` (MSAL uses 300 s).
    #[deprecated(note = "use `freshness(now)`: the one freshness rule, with MSAL's buffer")]
    pub fn expires_within(&self, now: SystemTime, skew: Duration) -> bool {
        self.expires_on() <= now + skew
    }
    /// Whether `refresh_on` has passed.
    #[deprecated(note = "use `freshness(now)`, which says `RefreshDue`")]
    pub fn refresh_due(&self, now: SystemTime) -> bool {
        self.refresh_on().is_some_and(|r| r < now)
    }
    /// The granted scopes (`target` split on spaces).
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.0.target.split_ascii_whitespace()
    }
    /// `target` as stored.
    pub fn target(&self) -> &str {
        &self.0.target
    }
    /// The user's home account id; `None` for app-only and managed-identity tokens.
    pub fn home_account_id(&self) -> Option<&str> {
        self.0.home_account_id.as_deref()
    }
    /// The authority host.
    pub fn environment(&self) -> &str {
        &self.0.environment
    }
    /// The client id (`""` for a system-assigned managed identity).
    pub fn client_id(&self) -> &str {
        &self.0.client_id
    }
    /// The tenant.
    pub fn realm(&self) -> &str {
        &self.0.realm
    }
    /// The PoP/SSH key id, if any.
    pub fn key_id(&self) -> Option<&str> {
        self.0.key_id.as_deref()
    }
    /// The extended cache key, if any.
    pub fn ext_cache_key(&self) -> Option<&str> {
        self.0.ext_cache_key.as_deref()
    }
    /// The key the entry is stored under.
    pub fn cache_key(&self) -> &str {
        &self.0.key
    }
}

/// A refresh token as stored.
#[derive(Debug)]
pub(crate) struct RefreshTokenData {
    pub(crate) key: Arc<str>,
    pub(crate) secret: RefreshToken,
    pub(crate) home_account_id: Option<Arc<str>>,
    pub(crate) environment: Arc<str>,
    pub(crate) client_id: Arc<str>,
    pub(crate) target: Arc<str>,
    pub(crate) family_id: Option<Arc<str>>,
    pub(crate) last_modification_time: Option<u64>,
    pub(crate) user_assertion_hash: Option<Arc<str>>,
}

impl RefreshTokenData {
    /// The secret is set by the caller, who takes it out of the JSON.
    pub(crate) fn parse(key: &Arc<str>, fields: &Fields) -> Self {
        Self {
            key: key.clone(),
            secret: RefreshToken::default(),
            home_account_id: id_field(fields, Known::HomeAccountId),
            environment: text_field(fields, Known::Environment),
            client_id: text_field(fields, Known::ClientId),
            target: text_field(fields, Known::Target),
            family_id: id_field(fields, Known::FamilyId),
            last_modification_time: time_field(fields, Known::LastModificationTime),
            user_assertion_hash: id_field(fields, Known::UserAssertionHash),
        }
    }
}

/// A cached refresh token. Cheap to clone; `Debug` never shows the secret.
#[derive(Debug, Clone)]
pub struct CachedRefreshToken(pub(crate) Arc<RefreshTokenData>);

impl CachedRefreshToken {
    /// The refresh token.
    pub fn secret(&self) -> &RefreshToken {
        &self.0.secret
    }
    /// The user's home account id.
    pub fn home_account_id(&self) -> Option<&str> {
        self.0.home_account_id.as_deref()
    }
    /// The authority host.
    pub fn environment(&self) -> &str {
        &self.0.environment
    }
    /// The client the token was issued to.
    pub fn client_id(&self) -> &str {
        &self.0.client_id
    }
    /// `target` as stored (msal-node stores none).
    pub fn target(&self) -> &str {
        &self.0.target
    }
    /// The family (FOCI) id, `"1"` for Microsoft's first-party family.
    pub fn family_id(&self) -> Option<&str> {
        self.0.family_id.as_deref()
    }
    /// When the secret was last written.
    pub fn last_modification_time(&self) -> Option<SystemTime> {
        self.0.last_modification_time.map(from_unix_secs)
    }
    /// The key the entry is stored under.
    pub fn cache_key(&self) -> &str {
        &self.0.key
    }
}

/// An ID token as stored.
#[derive(Debug)]
pub(crate) struct IdTokenData {
    pub(crate) key: Arc<str>,
    pub(crate) secret: IdToken,
    pub(crate) home_account_id: Option<Arc<str>>,
    pub(crate) environment: Arc<str>,
    pub(crate) realm: Arc<str>,
    pub(crate) client_id: Arc<str>,
    /// Decoded on first use and kept: every silent cache hit reports the claims, and decoding a
    /// JWT (base64 + JSON) would otherwise be most of the hit's cost.
    pub(crate) claims: std::sync::OnceLock<Result<IdTokenClaims, IdTokenError>>,
}

impl IdTokenData {
    /// The secret is set by the caller, who takes it out of the JSON.
    pub(crate) fn parse(key: &Arc<str>, fields: &Fields) -> Self {
        Self {
            key: key.clone(),
            secret: IdToken::default(),
            home_account_id: id_field(fields, Known::HomeAccountId),
            environment: text_field(fields, Known::Environment),
            realm: text_field(fields, Known::Realm),
            client_id: text_field(fields, Known::ClientId),
            claims: std::sync::OnceLock::new(),
        }
    }
}

/// A cached ID token. Cheap to clone; `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct CachedIdToken(pub(crate) Arc<IdTokenData>);

impl CachedIdToken {
    /// The raw ID token.
    pub fn secret(&self) -> &IdToken {
        &self.0.secret
    }
    /// Its claims, decoded without validation (as MSAL Python does).
    pub fn claims(&self) -> Result<IdTokenClaims, IdTokenError> {
        self.0
            .claims
            .get_or_init(|| msal_core::id_token::decode_unverified(self.0.secret.secret()))
            .clone()
    }
    /// The user's home account id.
    pub fn home_account_id(&self) -> Option<&str> {
        self.0.home_account_id.as_deref()
    }
    /// The authority host.
    pub fn environment(&self) -> &str {
        &self.0.environment
    }
    /// The tenant.
    pub fn realm(&self) -> &str {
        &self.0.realm
    }
    /// The client the token was issued to.
    pub fn client_id(&self) -> &str {
        &self.0.client_id
    }
    /// The key the entry is stored under.
    pub fn cache_key(&self) -> &str {
        &self.0.key
    }
}

/// An `Account` entry as stored (`home_account_id` kept as `Option` for matching).
///
/// The public [`Account`] (six owned strings) is built on first use: a load of a large cache
/// would otherwise copy every account's strings once more, for accounts nobody asks for.
#[derive(Debug)]
pub(crate) struct AccountData {
    pub(crate) home_account_id: Option<Arc<str>>,
    fields: Fields,
    account: OnceLock<Account>,
}

impl AccountData {
    pub(crate) fn parse(fields: &Fields) -> Self {
        Self {
            home_account_id: id_field(fields, Known::HomeAccountId),
            // Shares every string with the entry.
            fields: fields.clone(),
            account: OnceLock::new(),
        }
    }

    /// The account as the public API shows it.
    pub(crate) fn account(&self) -> &Account {
        self.account.get_or_init(|| {
            let text = |k: Known| self.fields.str(k).unwrap_or("").to_owned();
            Account {
                home_account_id: text(Known::HomeAccountId),
                environment: text(Known::Environment),
                username: text(Known::Username),
                local_account_id: text(Known::LocalAccountId),
                realm: text(Known::Realm),
                authority_type: AuthorityType::parse(
                    self.fields.str(Known::AuthorityType).unwrap_or(""),
                ),
                account_source: self.fields.str(Known::AccountSource).map(str::to_owned),
            }
        })
    }

    /// The authority host, without building the account.
    pub(crate) fn environment(&self) -> &str {
        self.fields.str(Known::Environment).unwrap_or("")
    }

    /// The tenant, without building the account.
    pub(crate) fn realm(&self) -> &str {
        self.fields.str(Known::Realm).unwrap_or("")
    }
}

/// An `AppMetadata` entry: which client has used which environment, and its family.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppMetadata {
    /// The client id (`""` for a system-assigned managed identity).
    pub client_id: String,
    /// The authority host.
    pub environment: String,
    /// The family (FOCI) id, if the client is a family member.
    pub family_id: Option<String>,
}

impl AppMetadata {
    pub(crate) fn parse(fields: &Fields) -> Self {
        Self {
            client_id: fields.str(Known::ClientId).unwrap_or("").to_owned(),
            environment: fields.str(Known::Environment).unwrap_or("").to_owned(),
            family_id: id_field(fields, Known::FamilyId).map(|f| String::from(&*f)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Fields {
        Fields::from_map(v.as_object().cloned().unwrap(), false).0
    }

    #[test]
    fn lenient_field_parsing() {
        let time = |v: Value| time_field(&obj(json!({ "expires_on": v })), Known::ExpiresOn);
        assert_eq!(time(json!("12")), Some(12));
        assert_eq!(time(json!(13)), Some(13));
        assert_eq!(time(json!("14.7")), Some(14));
        assert_eq!(time(json!("x")), None);
        assert_eq!(time(json!(null)), None);
        assert_eq!(time(json!(-1)), None);
        let m = obj(json!({"home_account_id": "", "target": ["s1 s2", "s3"]}));
        assert_eq!(id_field(&m, Known::HomeAccountId), None);
        let target = m.get(Known::Target).map(target_value);
        assert_eq!(target.as_deref(), Some("s1 s2 s3"));
    }

    #[test]
    fn scope_cover_is_ascii_case_insensitive() {
        let granted = "Data.Read  openid";
        assert!(scopes_cover(granted, &["data.read"]));
        assert!(scopes_cover::<&str>(granted, &[]));
        assert!(!scopes_cover(granted, &["data.write"]));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let mut at = AccessTokenData::parse(&Arc::from("k"), &obj(json!({})));
        at.secret = AccessToken::new("s3cr3t-value");
        let shown = format!("{:?}", CachedAccessToken(Arc::new(at)));
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
    }
}
