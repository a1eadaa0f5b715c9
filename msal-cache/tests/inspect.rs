//! The low-level entry API (MSAL Python's `TokenCache.search`, `modify`, `remove_at`,
//! `remove_rt`, `remove_idt`): what it finds, what it changes, and that it goes through stores.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::{
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::Engine as _;
use msal_cache::{
    AccessTokenQuery, CacheAccess, CacheStore, CredentialType, EntryQuery, Freshness,
    RefreshTokenQuery, TokenCache, TokenEvent,
};
use msal_core::{CacheError, TokenResponse};
use serde_json::{Map, Value, json};

const ENV: &str = "login.microsoftonline.com";
const TENANT: &str = "contoso";
const CLIENT: &str = "client-1";
const SCOPE: &str = "https://graph.microsoft.com/User.Read";
const APP_SCOPE: &str = "https://graph.microsoft.com/.default";

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

fn user_response(uid: &str) -> TokenResponse {
    let mut r = TokenResponse::default();
    r.access_token = format!("at-{uid}").into();
    r.refresh_token = Some(format!("rt-{uid}").into());
    r.id_token = Some(
        format!(
            "{}.{}.sig",
            b64(r#"{"alg":"none"}"#),
            b64(&format!(
                r#"{{"oid":"{uid}","sub":"s","preferred_username":"{uid}@contoso.example","tid":"{TENANT}"}}"#
            ))
        )
        .into(),
    );
    r.client_info = Some(b64(&format!(r#"{{"uid":"{uid}","utid":"utid"}}"#)));
    r.expires_in = Some(3600);
    r.scope = Some(format!("{SCOPE} openid profile"));
    r
}

fn home(uid: &str) -> String {
    format!("{uid}.utid")
}

/// Two users' tokens and one app token.
async fn filled(cache: &TokenCache) {
    let now = at(1_000_000);
    for uid in ["u1", "u2"] {
        let r = user_response(uid);
        cache
            .add_token_response(
                TokenEvent::new(CLIENT, ENV, TENANT, [SCOPE], &r, "authorization_code"),
                now,
            )
            .await
            .unwrap();
    }
    let mut app = TokenResponse::default();
    app.access_token = "at-app".into();
    app.expires_in = Some(3600);
    cache
        .add_token_response(
            TokenEvent::new(CLIENT, ENV, TENANT, [APP_SCOPE], &app, "client_credentials"),
            now,
        )
        .await
        .unwrap();
}

fn keys(entries: &[msal_cache::CacheEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.key()).collect()
}

#[tokio::test]
async fn search_filters_a_section_by_fields_and_target() {
    let cache = TokenCache::new();
    filled(&cache).await;
    let all = cache
        .search(&EntryQuery::new(CredentialType::AccessToken))
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    let mut sorted = keys(&all);
    sorted.sort_unstable();
    assert_eq!(keys(&all), sorted, "sorted by key");

    let u1 = cache
        .search(&EntryQuery::new(CredentialType::AccessToken).field("home_account_id", home("u1")))
        .await
        .unwrap();
    assert_eq!(u1.len(), 1);
    assert_eq!(u1[0].secret(), Some("at-u1"));
    assert_eq!(
        u1[0].field_str("home_account_id"),
        Some(home("u1").as_str())
    );

    // Environment compared ignoring case, as MSAL Python lower-cases it; "" is app-only.
    let app = cache
        .search(
            &EntryQuery::new(CredentialType::AccessToken)
                .field("environment", ENV.to_uppercase())
                .field("home_account_id", ""),
        )
        .await
        .unwrap();
    assert_eq!(app.len(), 1);
    assert_eq!(app[0].secret(), Some("at-app"));

    // Target: every wanted scope must be held (ignoring case), so the app token drops out.
    let user_scoped = cache
        .search(&EntryQuery::new(CredentialType::AccessToken).target([SCOPE.to_uppercase()]))
        .await
        .unwrap();
    assert_eq!(user_scoped.len(), 2);
    let none = cache
        .search(&EntryQuery::new(CredentialType::AccessToken).target([SCOPE, "Mail.Read"]))
        .await
        .unwrap();
    assert!(none.is_empty());

    // A field the entry lacks never matches, and other sections are separate.
    let missing = cache
        .search(&EntryQuery::new(CredentialType::AccessToken).field("no_such_field", Value::Null))
        .await
        .unwrap();
    assert!(missing.is_empty());
    for kind in CredentialType::ALL {
        let found = cache.search(&EntryQuery::new(kind)).await.unwrap();
        assert_eq!(found.len(), cache.count(kind), "{kind:?}");
        assert!(found.iter().all(|e| e.credential_type() == kind));
    }
}

#[tokio::test]
async fn entries_keep_their_secret_apart_from_fields_and_debug() {
    let cache = TokenCache::new();
    filled(&cache).await;
    let rts = cache
        .search(&EntryQuery::new(CredentialType::RefreshToken).field("secret", "rt-u2"))
        .await
        .unwrap();
    assert_eq!(rts.len(), 1, "the secret is searchable, as in MSAL Python");
    let rt = &rts[0];
    assert_eq!(rt.secret(), Some("rt-u2"));
    assert!(rt.field("secret").is_none());
    assert!(
        !serde_json::to_string(rt.fields())
            .unwrap()
            .contains("rt-u2")
    );
    let debug = format!("{rt:?}");
    assert!(
        !debug.contains("rt-u2") && debug.contains("[redacted]"),
        "{debug}"
    );
    let accounts = cache
        .search(&EntryQuery::new(CredentialType::Account))
        .await
        .unwrap();
    assert!(accounts.iter().all(|a| a.secret().is_none()));
}

#[tokio::test]
async fn removals_take_exactly_one_entry_and_say_whether_it_was_there() {
    let cache = TokenCache::new();
    filled(&cache).await;
    let now = at(1_000_000);

    let rt = cache
        .search(&EntryQuery::new(CredentialType::RefreshToken).field("home_account_id", home("u1")))
        .await
        .unwrap()
        .remove(0);
    assert!(cache.remove_entry(&rt).await.unwrap());
    assert!(!cache.remove_entry(&rt).await.unwrap());
    assert_eq!(cache.count(CredentialType::RefreshToken), 1);
    let left = cache
        .find_refresh_tokens(&RefreshTokenQuery::for_client(home("u2"), [ENV], CLIENT))
        .await
        .unwrap();
    assert_eq!(left.len(), 1, "the other user's RT stays");

    let app_query = AccessTokenQuery::app(CLIENT, TENANT, [ENV], [APP_SCOPE]);
    let app_at = cache
        .find_access_token(&app_query, now)
        .await
        .unwrap()
        .unwrap();
    assert!(cache.remove_access_token(&app_at).await.unwrap());
    assert!(!cache.remove_access_token(&app_at).await.unwrap());
    assert!(
        cache
            .find_access_token(&app_query, now)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(cache.count(CredentialType::AccessToken), 2);

    let idt = cache
        .find_id_token(&home("u2"), [ENV], CLIENT, None)
        .await
        .unwrap()
        .unwrap();
    assert!(cache.remove_id_token(&idt).await.unwrap());
    assert!(!cache.remove_id_token(&idt).await.unwrap());
    assert_eq!(cache.count(CredentialType::IdToken), 1);

    let rt2 = cache
        .find_refresh_tokens(&RefreshTokenQuery::for_client(home("u2"), [ENV], CLIENT))
        .await
        .unwrap()
        .remove(0);
    assert!(cache.remove_refresh_token(&rt2).await.unwrap());
    assert_eq!(cache.count(CredentialType::RefreshToken), 0);
}

#[tokio::test]
async fn modify_sets_fields_keeps_the_rest_and_never_resurrects() {
    let cache = TokenCache::new();
    filled(&cache).await;
    let now = at(1_000_000);
    let query = AccessTokenQuery::user(home("u1"), CLIENT, TENANT, [ENV], [SCOPE]);
    assert_eq!(
        cache
            .find_access_token(&query, now)
            .await
            .unwrap()
            .unwrap()
            .freshness(now),
        Freshness::Fresh
    );
    let entry = cache
        .search(&EntryQuery::new(CredentialType::AccessToken).field("home_account_id", home("u1")))
        .await
        .unwrap()
        .remove(0);
    let mut changes = Map::new();
    changes.insert("expires_on".into(), json!("999000"));
    changes.insert("x_custom".into(), json!(["kept", 1]));
    assert!(cache.modify(&entry, changes).await.unwrap());
    let changed = cache.find_access_token(&query, now).await.unwrap().unwrap();
    assert_eq!(changed.freshness(now), Freshness::Expired);
    assert_eq!(changed.secret().secret(), "at-u1", "untouched fields stay");
    let again = cache
        .search(&EntryQuery::new(CredentialType::AccessToken).field("x_custom", json!(["kept", 1])))
        .await
        .unwrap();
    assert_eq!(keys(&again), [entry.key()]);
    assert!(cache.serialize().contains("x_custom"));

    // A new refresh-token secret, as MSAL Python's update_rt does through modify.
    let rt = cache
        .search(&EntryQuery::new(CredentialType::RefreshToken).field("home_account_id", home("u2")))
        .await
        .unwrap()
        .remove(0);
    let mut changes = Map::new();
    changes.insert("secret".into(), json!("rt-u2-new"));
    assert!(cache.modify(&rt, changes).await.unwrap());
    let found = cache
        .find_refresh_tokens(&RefreshTokenQuery::for_client(home("u2"), [ENV], CLIENT))
        .await
        .unwrap();
    assert_eq!(found[0].secret().secret(), "rt-u2-new");

    // Removed meanwhile: modify says so and writes nothing back.
    assert!(cache.remove_entry(&rt).await.unwrap());
    let mut changes = Map::new();
    changes.insert("secret".into(), json!("resurrected"));
    assert!(!cache.modify(&rt, changes).await.unwrap());
    assert!(!cache.serialize().contains("resurrected"));
}

/// A store that counts saves and keeps the last blob.
#[derive(Debug, Default)]
struct Recorder {
    saved: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl CacheStore for Recorder {
    async fn load(&self, _access: &CacheAccess) -> Result<Option<String>, CacheError> {
        Ok(self.saved.lock().unwrap().last().cloned())
    }
    async fn save(&self, _access: &CacheAccess, state: &str) -> Result<(), CacheError> {
        self.saved.lock().unwrap().push(state.to_owned());
        Ok(())
    }
}

#[tokio::test]
async fn changes_are_saved_through_the_store_and_searches_load_it() {
    let store = Arc::new(Recorder::default());
    let writer = TokenCache::with_store(store.clone());
    filled(&writer).await;
    let saves = store.saved.lock().unwrap().len();

    // Another cache on the same store sees the entries, and its removal is saved.
    let other = TokenCache::with_store(store.clone());
    let entry = other
        .search(&EntryQuery::new(CredentialType::AccessToken).field("home_account_id", home("u2")))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        store.saved.lock().unwrap().len(),
        saves,
        "a search never saves"
    );
    assert!(other.remove_entry(&entry).await.unwrap());
    assert_eq!(store.saved.lock().unwrap().len(), saves + 1);
    assert!(
        !store
            .saved
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .contains("at-u2")
    );
    // Nothing to remove: nothing saved.
    assert!(!other.remove_entry(&entry).await.unwrap());
    assert_eq!(store.saved.lock().unwrap().len(), saves + 1);
    // The first cache reloads and no longer finds it.
    assert!(
        writer
            .search(&EntryQuery::new(CredentialType::AccessToken).field("secret", "at-u2"))
            .await
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_query_by_secret_never_prints_the_secret() {
    let query = msal_cache::EntryQuery::new(msal_cache::CredentialType::AccessToken)
        .field("secret", "TOKEN-CANARY")
        .field("client_id", "my-client");
    let debug = format!("{query:?}");
    assert!(!debug.contains("TOKEN-CANARY"), "{debug}");
    assert!(debug.contains("my-client"), "{debug}");
}
