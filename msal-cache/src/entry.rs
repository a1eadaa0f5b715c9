//! Typed, read-only views over cache entries.
//!
//! Each entry keeps its original JSON object (so unknown fields and JSON types survive a round
//! trip); the view holds the fields lookups need, parsed once when the entry is stored. Views are
//! shared through `Arc`, so a cache hit returns in O(1) without copying the secret.

use std::{
    sync::{Arc, OnceLock},
    time::{Duration, SystemTime},
};

use msal_core::{
    AccessToken, Account, AuthorityType, IdToken, IdTokenClaims, IdTokenError, RefreshToken,
    clock::from_unix_secs,
};
use serde_json::{Map, Value};

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
}

/// A string field; `None` when missing, `null` or not a string.
pub(crate) fn str_field<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    map.get(name).and_then(Value::as_str)
}

/// An id that may be `null` (MSAL Python) or `""` (msal-node) for "none": both become `None`.
pub(crate) fn id_field(map: &Map<String, Value>, name: &str) -> Option<Box<str>> {
    str_field(map, name)
        .filter(|s| !s.is_empty())
        .map(Box::from)
}

/// A string field, `""` when missing or `null`.
fn text_field(map: &Map<String, Value>, name: &str) -> Box<str> {
    Box::from(str_field(map, name).unwrap_or(""))
}

/// A Unix time stored as a string (as MSAL writes it), or as a number (very old MSAL Python wrote
/// floats).
pub(crate) fn time_field(map: &Map<String, Value>, name: &str) -> Option<u64> {
    time_value(map.get(name)?)
}

fn time_value(value: &Value) -> Option<u64> {
    match value {
        Value::String(s) => {
            let s = s.trim();
            s.parse::<u64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f as u64)
            })
        }
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        _ => None,
    }
}

/// `target` as a space-separated string; very old MSAL Python stored a list.
fn target_field(map: &Map<String, Value>) -> Box<str> {
    match map.get("target") {
        Some(Value::String(s)) => Box::from(s.as_str()),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" ")
            .into_boxed_str(),
        _ => Box::from(""),
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

/// An `Arc<str>` of `s`; the two values nearly every access token has (`""` and `Bearer`) are
/// shared instead of allocated per entry. (Interning every string was measured: it costs more
/// than it saves when most values are distinct, as tenants of a multi-tenant app are.)
fn shared(s: &str) -> Arc<str> {
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
    pub(crate) key: Box<str>,
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
    pub(crate) key_id: Option<Box<str>>,
    pub(crate) ext_cache_key: Option<Box<str>>,
    pub(crate) user_assertion_hash: Option<Box<str>>,
}

impl AccessTokenData {
    /// Reads the fields in one pass over the entry (a lookup per field would search the map a
    /// dozen times). The secret is set by the caller, who moves it out of the JSON.
    pub(crate) fn parse(key: &str, map: &Map<String, Value>) -> Self {
        let empty = shared("");
        let mut at = Self {
            key: Box::from(key),
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
        let owned = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(Box::from);
        for (name, value) in map {
            match name.as_str() {
                "token_type" => {
                    if let Some(t) = value.as_str() {
                        at.token_type = shared(t);
                    }
                }
                "home_account_id" => {
                    at.home_account_id = value.as_str().filter(|s| !s.is_empty()).map(shared);
                }
                "environment" => at.environment = shared(value.as_str().unwrap_or("")),
                "client_id" => at.client_id = shared(value.as_str().unwrap_or("")),
                "realm" => at.realm = shared(value.as_str().unwrap_or("")),
                "target" => {
                    at.target = match value {
                        Value::String(t) => shared(t),
                        _ => shared(&target_field(map)),
                    }
                }
                "cached_at" => at.cached_at = time_value(value),
                "expires_on" => at.expires_on = time_value(value),
                "extended_expires_on" => at.extended_expires_on = time_value(value),
                "refresh_on" => at.refresh_on = time_value(value),
                "key_id" => at.key_id = owned(value),
                "ext_cache_key" => at.ext_cache_key = owned(value),
                "user_assertion_hash" => at.user_assertion_hash = owned(value),
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
    pub(crate) key: Box<str>,
    pub(crate) secret: RefreshToken,
    pub(crate) home_account_id: Option<Box<str>>,
    pub(crate) environment: Box<str>,
    pub(crate) client_id: Box<str>,
    pub(crate) target: Box<str>,
    pub(crate) family_id: Option<Box<str>>,
    pub(crate) last_modification_time: Option<u64>,
    pub(crate) user_assertion_hash: Option<Box<str>>,
}

impl RefreshTokenData {
    pub(crate) fn parse(key: &str, map: &Map<String, Value>) -> Self {
        Self {
            key: Box::from(key),
            secret: RefreshToken::new(str_field(map, "secret").unwrap_or("")),
            home_account_id: id_field(map, "home_account_id"),
            environment: text_field(map, "environment"),
            client_id: text_field(map, "client_id"),
            target: text_field(map, "target"),
            family_id: id_field(map, "family_id"),
            last_modification_time: time_field(map, "last_modification_time"),
            user_assertion_hash: id_field(map, "user_assertion_hash"),
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
    pub(crate) key: Box<str>,
    pub(crate) secret: IdToken,
    pub(crate) home_account_id: Option<Box<str>>,
    pub(crate) environment: Box<str>,
    pub(crate) realm: Box<str>,
    pub(crate) client_id: Box<str>,
    /// Decoded on first use and kept: every silent cache hit reports the claims, and decoding a
    /// JWT (base64 + JSON) would otherwise be most of the hit's cost.
    pub(crate) claims: std::sync::OnceLock<Result<IdTokenClaims, IdTokenError>>,
}

impl IdTokenData {
    pub(crate) fn parse(key: &str, map: &Map<String, Value>) -> Self {
        Self {
            key: Box::from(key),
            secret: IdToken::new(str_field(map, "secret").unwrap_or("")),
            home_account_id: id_field(map, "home_account_id"),
            environment: text_field(map, "environment"),
            realm: text_field(map, "realm"),
            client_id: text_field(map, "client_id"),
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
#[derive(Debug)]
pub(crate) struct AccountData {
    pub(crate) home_account_id: Option<Box<str>>,
    pub(crate) account: Account,
}

impl AccountData {
    pub(crate) fn parse(map: &Map<String, Value>) -> Self {
        let text = |k: &str| str_field(map, k).unwrap_or("").to_owned();
        Self {
            home_account_id: id_field(map, "home_account_id"),
            account: Account {
                home_account_id: text("home_account_id"),
                environment: text("environment"),
                username: text("username"),
                local_account_id: text("local_account_id"),
                realm: text("realm"),
                authority_type: AuthorityType::parse(
                    str_field(map, "authority_type").unwrap_or(""),
                ),
                account_source: str_field(map, "account_source").map(str::to_owned),
            },
        }
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
    pub(crate) fn parse(map: &Map<String, Value>) -> Self {
        Self {
            client_id: str_field(map, "client_id").unwrap_or("").to_owned(),
            environment: str_field(map, "environment").unwrap_or("").to_owned(),
            family_id: id_field(map, "family_id").map(String::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn lenient_field_parsing() {
        let m = obj(
            json!({"a": "12", "b": 13, "c": "14.7", "d": "x", "e": null, "f": -1,
            "home_account_id": "", "target": ["s1 s2", "s3"]}),
        );
        assert_eq!(time_field(&m, "a"), Some(12));
        assert_eq!(time_field(&m, "b"), Some(13));
        assert_eq!(time_field(&m, "c"), Some(14));
        assert_eq!(time_field(&m, "d"), None);
        assert_eq!(time_field(&m, "e"), None);
        assert_eq!(time_field(&m, "f"), None);
        assert_eq!(id_field(&m, "home_account_id"), None);
        assert_eq!(&*target_field(&m), "s1 s2 s3");
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
        let mut at = AccessTokenData::parse("k", &obj(json!({})));
        at.secret = AccessToken::new("s3cr3t-value");
        let shown = format!("{:?}", CachedAccessToken(Arc::new(at)));
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
    }
}
