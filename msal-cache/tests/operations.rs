//! The operations the app layer calls: isolation rules, refresh-token updates, sign-out,
//! pruning, and the store protocol (plain and partitioned).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::Engine as _;
use msal_cache::{
    AccessKind, AccessTokenQuery, CacheAccess, CacheLock, CacheStore, CredentialType,
    RefreshTokenQuery, TokenCache, TokenEvent, keys,
};
use msal_core::{AuthorityType, CacheError, TokenResponse};
use serde_json::Value;

const ENV: &str = "login.microsoftonline.com";
const ALIAS: &str = "login.windows.net";
const TENANT: &str = "contoso";
const CLIENT: &str = "client-1";
const SCOPE: &str = "https://graph.microsoft.com/User.Read";

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

fn id_token(oid: &str, username: &str) -> String {
    format!(
        "{}.{}.sig",
        b64(r#"{"alg":"none"}"#),
        b64(&format!(
            r#"{{"oid":"{oid}","sub":"sub-{oid}","preferred_username":"{username}","tid":"{TENANT}"}}"#
        ))
    )
}

fn user_response(uid: &str, at_secret: &str, rt_secret: &str, foci: Option<&str>) -> TokenResponse {
    let mut r = TokenResponse::default();
    r.access_token = at_secret.into();
    r.refresh_token = Some(rt_secret.into());
    r.id_token = Some(id_token(uid, &format!("{uid}@contoso.example")).into());
    r.client_info = Some(b64(&format!(r#"{{"uid":"{uid}","utid":"utid"}}"#)));
    r.expires_in = Some(3600);
    r.scope = Some(format!("{SCOPE} openid profile"));
    r.foci = foci.map(str::to_owned);
    r
}

fn app_response(secret: &str, expires_in: u64) -> TokenResponse {
    let mut r = TokenResponse::default();
    r.access_token = secret.into();
    r.expires_in = Some(expires_in);
    r
}

#[tokio::test]
async fn pop_tokens_never_overwrite_or_answer_bearer_queries() {
    let cache = TokenCache::new();
    let now = at(1_000_000);
    let bearer = app_response("bearer-at", 3600);
    let mut pop = app_response("pop-at", 3600);
    pop.token_type = "pop".into();
    cache
        .add_token_response(
            TokenEvent::new(CLIENT, ENV, TENANT, [SCOPE], &bearer, "client_credentials"),
            now,
        )
        .await
        .unwrap();
    for kid in ["key-1", "key-2"] {
        cache
            .add_token_response(
                TokenEvent::new(CLIENT, ENV, TENANT, [SCOPE], &pop, "client_credentials")
                    .key_id(kid),
                now,
            )
            .await
            .unwrap();
    }
    assert_eq!(cache.count(CredentialType::AccessToken), 3);
    let q = AccessTokenQuery::app(CLIENT, TENANT, [ENV], [SCOPE]);
    assert_eq!(
        cache
            .find_access_token(&q, now)
            .await
            .unwrap()
            .unwrap()
            .secret()
            .secret(),
        "bearer-at"
    );
    let pq = q.clone().bound_to_key("key-2", "pop");
    let hit = cache.find_access_token(&pq, now).await.unwrap().unwrap();
    assert_eq!(
        (hit.secret().secret(), hit.token_type(), hit.key_id()),
        ("pop-at", "pop", Some("key-2"))
    );
    assert!(hit.cache_key().contains("-atext-"));
    assert!(
        cache
            .find_access_token(&q.bound_to_key("key-3", "pop"), now)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn ext_cache_data_isolates_tokens() {
    let cache = TokenCache::new();
    let now = at(1_000_000);
    let fmi = BTreeMap::from([("fmi_path".to_string(), "A/B".to_string())]);
    cache
        .add_token_response(
            TokenEvent::new(
                CLIENT,
                ENV,
                TENANT,
                [SCOPE],
                &app_response("fmi", 3600),
                "client_credentials",
            )
            .ext_cache_data(fmi.clone()),
            now,
        )
        .await
        .unwrap();
    let plain = AccessTokenQuery::app(CLIENT, TENANT, [ENV], [SCOPE]);
    assert!(
        cache
            .find_access_token(&plain, now)
            .await
            .unwrap()
            .is_none()
    );
    let hit = cache
        .find_access_token(&plain.clone().ext_cache_data(fmi), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hit.secret().secret(), "fmi");
    assert!(hit.ext_cache_key().is_some());
}

#[tokio::test]
async fn obo_tokens_are_keyed_by_assertion_hash() {
    let cache = TokenCache::new();
    let now = at(1_000_000);
    let hash = keys::user_assertion_hash("incoming.user.assertion");
    let r = user_response("u1", "obo-at", "obo-rt", None);
    cache
        .add_token_response(
            TokenEvent::new(
                CLIENT,
                ENV,
                TENANT,
                [SCOPE],
                &r,
                "urn:ietf:params:oauth:grant-type:jwt-bearer",
            )
            .user_assertion_hash(&hash),
            now,
        )
        .await
        .unwrap();
    let q = AccessTokenQuery::user("u1.utid", CLIENT, TENANT, [ENV], [SCOPE]);
    assert!(cache.find_access_token(&q, now).await.unwrap().is_none());
    assert!(
        cache
            .find_access_token(
                &q.clone()
                    .user_assertion_hash(keys::user_assertion_hash("other")),
                now
            )
            .await
            .unwrap()
            .is_none()
    );
    let hit = cache
        .find_access_token(&q.user_assertion_hash(&hash), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hit.secret().secret(), "obo-at");
    let rts = RefreshTokenQuery::for_client("u1.utid", [ENV], CLIENT);
    assert!(cache.find_refresh_tokens(&rts).await.unwrap().is_empty());
    assert_eq!(
        cache
            .find_refresh_tokens(&rts.user_assertion_hash(&hash))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(!cache.serialize().contains("incoming.user.assertion"));
}

#[tokio::test]
async fn expired_tokens_are_reported_then_pruned_by_writes() {
    let cache = TokenCache::new();
    let q = AccessTokenQuery::app(CLIENT, TENANT, [ENV], [SCOPE]);
    cache
        .add_token_response(
            TokenEvent::new(
                CLIENT,
                ENV,
                TENANT,
                [SCOPE],
                &app_response("old", 100),
                "client_credentials",
            ),
            at(1_000),
        )
        .await
        .unwrap();
    // Within the 300 s skew: returned, and the caller sees it is not usable.
    let hit = cache
        .find_access_token(&q, at(1_050))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hit.freshness(at(1_050)), msal_cache::Freshness::Expired);
    // Past expiry: still returned by a read (reads never delete) ...
    assert!(
        cache
            .find_access_token(&q, at(5_000))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(cache.count(CredentialType::AccessToken), 1);
    // ... and pruned by the next write to the same partition.
    let other_scope = "https://other/.default";
    cache
        .add_token_response(
            TokenEvent::new(
                CLIENT,
                ENV,
                TENANT,
                [other_scope],
                &app_response("new", 3600),
                "client_credentials",
            ),
            at(5_000),
        )
        .await
        .unwrap();
    assert_eq!(cache.count(CredentialType::AccessToken), 1);
    assert!(
        cache
            .find_access_token(&q, at(5_000))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn superset_match_aliases_and_usable_token_preferred() {
    let cache = TokenCache::new();
    let now = at(1_000_000);
    let mut wide = app_response("wide", 3600);
    wide.scope = Some("b a c".into());
    cache
        .add_token_response(
            TokenEvent::new(CLIENT, ALIAS, TENANT, ["x"], &wide, "client_credentials"),
            now,
        )
        .await
        .unwrap();
    let stored: Value = serde_json::from_str(&cache.serialize()).unwrap();
    let key = format!("-{ALIAS}-accesstoken-{CLIENT}-{TENANT}-a b c");
    assert_eq!(stored["AccessToken"][&key]["target"], "a b c");
    // A subset, in any case, under an alias listed second.
    let q = AccessTokenQuery::app(CLIENT, TENANT, [ENV, ALIAS], ["C", "a"]);
    assert_eq!(
        cache
            .find_access_token(&q, now)
            .await
            .unwrap()
            .unwrap()
            .secret()
            .secret(),
        "wide"
    );
    assert!(
        cache
            .find_access_token(&AccessTokenQuery::app(CLIENT, TENANT, [ENV], ["a"]), now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        cache
            .find_access_token(
                &AccessTokenQuery::app(CLIENT, TENANT, [ALIAS], ["a", "d"]),
                now
            )
            .await
            .unwrap()
            .is_none()
    );
    // An exact-key AT that is nearly expired loses to a usable superset one.
    cache
        .add_token_response(
            TokenEvent::new(
                CLIENT,
                ALIAS,
                TENANT,
                ["a"],
                &app_response("aging", 60),
                "client_credentials",
            ),
            now,
        )
        .await
        .unwrap();
    let q = AccessTokenQuery::app(CLIENT, TENANT, [ALIAS], ["a"]);
    assert_eq!(
        cache
            .find_access_token(&q, now)
            .await
            .unwrap()
            .unwrap()
            .secret()
            .secret(),
        "wide"
    );
}

#[tokio::test]
async fn refresh_grant_updates_the_redeemed_rt_in_place() {
    let cache = TokenCache::new();
    let r = user_response("u1", "at1", "rt1", Some("1"));
    cache
        .add_token_response(
            TokenEvent::new(CLIENT, ENV, TENANT, [SCOPE], &r, "authorization_code"),
            at(1_000),
        )
        .await
        .unwrap();
    let q = RefreshTokenQuery::for_client("u1.utid", [ENV], CLIENT);
    let rt = cache.find_refresh_tokens(&q).await.unwrap().remove(0);
    assert_eq!(rt.family_id(), Some("1"));
    let family = cache
        .find_refresh_tokens(&RefreshTokenQuery::for_family("u1.utid", [ENV], "1"))
        .await
        .unwrap();
    assert_eq!(family.len(), 1);
    assert_eq!(
        cache
            .find_app_metadata([ENV], CLIENT)
            .await
            .unwrap()
            .unwrap()
            .family_id
            .as_deref(),
        Some("1")
    );

    let mut refreshed = user_response("u1", "at2", "rt2", Some("1"));
    refreshed.scope = Some("https://other/Scope openid profile".into());
    let account = cache
        .add_token_response(
            TokenEvent::new(
                CLIENT,
                ENV,
                TENANT,
                ["https://other/Scope"],
                &refreshed,
                "refresh_token",
            )
            .skip_account_creation(true)
            .redeemed_refresh_token(rt.clone()),
            at(2_000),
        )
        .await
        .unwrap();
    assert!(account.is_none());
    let rts = cache.find_refresh_tokens(&q).await.unwrap();
    assert_eq!(rts.len(), 1);
    assert_eq!(rts[0].secret().secret(), "rt2");
    assert_eq!(rts[0].cache_key(), rt.cache_key());
    assert_eq!(rts[0].last_modification_time(), Some(at(2_000)));

    assert!(
        cache
            .update_refresh_token(&rts[0], &"rt3".into(), at(3_000))
            .await
            .unwrap()
    );
    assert_eq!(
        cache.find_refresh_tokens(&q).await.unwrap()[0]
            .secret()
            .secret(),
        "rt3"
    );
    assert!(cache.remove_refresh_token(&rts[0]).await.unwrap());
    assert!(cache.find_refresh_tokens(&q).await.unwrap().is_empty());
    assert!(
        !cache
            .update_refresh_token(&rts[0], &"rt4".into(), at(3_000))
            .await
            .unwrap()
    );
    assert!(!cache.remove_refresh_token(&rts[0]).await.unwrap());
}

#[tokio::test]
async fn accounts_grouping_types_and_removal() {
    let cache = TokenCache::new();
    let now = at(1_000_000);
    for (uid, realm) in [("u1", TENANT), ("u1", "other-tenant"), ("u2", TENANT)] {
        let r = user_response(
            uid,
            &format!("at-{uid}-{realm}"),
            &format!("rt-{uid}"),
            Some("1"),
        );
        cache
            .add_token_response(
                TokenEvent::new(CLIENT, ENV, realm, [SCOPE], &r, "authorization_code"),
                now,
            )
            .await
            .unwrap();
    }
    // A family sibling's RT and a stranger's RT for u1.
    let sibling = user_response("u1", "sib-at", "sib-rt", Some("1"));
    cache
        .add_token_response(
            TokenEvent::new(
                "sibling",
                ENV,
                TENANT,
                [SCOPE],
                &sibling,
                "authorization_code",
            ),
            now,
        )
        .await
        .unwrap();
    let stranger = user_response("u1", "str-at", "str-rt", None);
    cache
        .add_token_response(
            TokenEvent::new(
                "stranger",
                ENV,
                TENANT,
                [SCOPE],
                &stranger,
                "authorization_code",
            ),
            now,
        )
        .await
        .unwrap();
    // (AppMetadata is rewritten on every add, as in MSAL Python: keep the family in this one.)
    let cloud_shell = user_response("u3", "cs-at", "cs-rt", Some("1"));
    cache
        .add_token_response(
            TokenEvent::new(
                CLIENT,
                ENV,
                TENANT,
                [SCOPE],
                &cloud_shell,
                "authorization_code",
            )
            .authority_type(AuthorityType::CloudShell),
            now,
        )
        .await
        .unwrap();

    let accounts = cache.get_accounts([ENV], None, false).await.unwrap();
    assert_eq!(
        accounts
            .iter()
            .map(|a| a.home_account_id.as_str())
            .collect::<Vec<_>>(),
        ["u1.utid", "u2.utid"]
    );
    assert_eq!(
        cache.get_accounts([ENV], None, true).await.unwrap().len(),
        3
    );
    assert_eq!(
        accounts[0].account_source.as_deref(),
        Some("authorization_code")
    );
    assert_eq!(accounts[0].username, "u1@contoso.example");
    assert!(
        cache
            .find_account("u1.utid", [ENV], Some("other-tenant"))
            .await
            .unwrap()
            .is_some()
    );

    let removed = cache.remove_account(&accounts[0], CLIENT).await.unwrap();
    // ATs: 2 of CLIENT + sibling + stranger; RTs: own + sibling (family); IDTs: 4; Accounts: 2.
    assert_eq!(removed, 4 + 2 + 4 + 2);
    let left = cache
        .find_refresh_tokens(&RefreshTokenQuery::for_client("u1.utid", [ENV], "stranger"))
        .await
        .unwrap();
    assert_eq!(left.len(), 1, "a non-family client's RT stays");
    assert!(
        cache
            .find_account("u1.utid", [ENV], None)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        cache.get_accounts([ENV], None, false).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn remove_tokens_for_client_takes_only_its_app_tokens() {
    let cache = TokenCache::new();
    let now = at(1_000_000);
    for (client, realm, env) in [
        (CLIENT, "t1", ENV),
        (CLIENT, "t2", ALIAS),
        ("other", "t1", ENV),
        (CLIENT, "t3", "elsewhere"),
    ] {
        cache
            .add_token_response(
                TokenEvent::new(
                    client,
                    env,
                    realm,
                    [SCOPE],
                    &app_response("x", 3600),
                    "client_credentials",
                ),
                now,
            )
            .await
            .unwrap();
    }
    let user = user_response("u1", "user-at", "rt", None);
    cache
        .add_token_response(
            TokenEvent::new(CLIENT, ENV, TENANT, [SCOPE], &user, "authorization_code"),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        cache
            .remove_tokens_for_client(CLIENT, [ENV, ALIAS])
            .await
            .unwrap(),
        2
    );
    assert_eq!(cache.count(CredentialType::AccessToken), 3);
}

/// A store that records calls and keeps blobs per partition (or one blob).
#[derive(Debug, Default)]
struct RecordingStore {
    partitioned: bool,
    blobs: Mutex<BTreeMap<String, String>>,
    calls: Mutex<Vec<String>>,
    fresh: Mutex<bool>,
}

#[async_trait::async_trait]
impl CacheStore for RecordingStore {
    async fn load(&self, access: &CacheAccess) -> Result<Option<String>, CacheError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("load {:?} {}", access.kind, access.partition_key));
        if !std::mem::take(&mut *self.fresh.lock().unwrap()) {
            return Ok(None);
        }
        let key = if self.partitioned {
            access.partition_key.clone()
        } else {
            String::new()
        };
        Ok(self.blobs.lock().unwrap().get(&key).cloned())
    }
    async fn save(&self, access: &CacheAccess, state: &str) -> Result<(), CacheError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("save {}", access.partition_key));
        let key = if self.partitioned {
            access.partition_key.clone()
        } else {
            String::new()
        };
        self.blobs.lock().unwrap().insert(key, state.to_owned());
        Ok(())
    }
    async fn lock(&self, access: &CacheAccess) -> Result<CacheLock, CacheError> {
        assert_eq!(access.kind, AccessKind::Write);
        self.calls.lock().unwrap().push("lock".into());
        Ok(CacheLock::none())
    }
    fn partitioned(&self) -> bool {
        self.partitioned
    }
}

#[tokio::test]
async fn store_protocol_reads_load_writes_lock_load_save() {
    let store = Arc::new(RecordingStore::default());
    let cache = TokenCache::with_store(store.clone());
    let now = at(1_000_000);
    let q = AccessTokenQuery::app(CLIENT, TENANT, [ENV], [SCOPE]).correlation_id("corr");
    assert!(cache.find_access_token(&q, now).await.unwrap().is_none());
    cache
        .add_token_response(
            TokenEvent::new(
                CLIENT,
                ENV,
                TENANT,
                [SCOPE],
                &app_response("x", 3600),
                "client_credentials",
            ),
            now,
        )
        .await
        .unwrap();
    // A write that changes nothing does not save.
    cache
        .remove_tokens_for_client("nobody", [ENV])
        .await
        .unwrap();
    let partition = keys::app_partition_key(CLIENT, TENANT);
    assert_eq!(
        *store.calls.lock().unwrap(),
        [
            format!("load Read {partition}"),
            "lock".to_string(),
            format!("load Write {partition}"),
            format!("save {partition}"),
            "lock".to_string(),
            "load Write ".to_string(),
        ]
    );
    // Another process's view: a fresh cache loading the saved blob finds the token.
    let other = TokenCache::new();
    other.deserialize(&store.blobs.lock().unwrap()[""]).unwrap();
    assert!(other.find_access_token(&q, now).await.unwrap().is_some());
    // When the store reports a change, the cache takes it (here: an emptied cache).
    store
        .blobs
        .lock()
        .unwrap()
        .insert(String::new(), "{}".into());
    *store.fresh.lock().unwrap() = true;
    assert!(cache.find_access_token(&q, now).await.unwrap().is_none());
}

#[tokio::test]
async fn partitioned_store_saves_and_loads_one_partition() {
    let store = Arc::new(RecordingStore {
        partitioned: true,
        ..Default::default()
    });
    let cache = TokenCache::with_store(store.clone());
    let now = at(1_000_000);
    cache
        .add_token_response(
            TokenEvent::new(
                CLIENT,
                ENV,
                TENANT,
                [SCOPE],
                &app_response("app", 3600),
                "client_credentials",
            ),
            now,
        )
        .await
        .unwrap();
    let user = user_response("u1", "user-at", "rt", None);
    cache
        .add_token_response(
            TokenEvent::new(CLIENT, ENV, TENANT, [SCOPE], &user, "authorization_code"),
            now,
        )
        .await
        .unwrap();
    let blobs = store.blobs.lock().unwrap().clone();
    let app: Value =
        serde_json::from_str(&blobs[&keys::app_partition_key(CLIENT, TENANT)]).unwrap();
    let mine: Value = serde_json::from_str(&blobs["u1.utid"]).unwrap();
    assert_eq!(app["AccessToken"].as_object().unwrap().len(), 1);
    assert!(
        app.get("RefreshToken")
            .is_none_or(|s| s.as_object().unwrap().is_empty())
    );
    assert_eq!(mine["AccessToken"].as_object().unwrap().len(), 1);
    assert_eq!(mine["RefreshToken"].as_object().unwrap().len(), 1);
    assert_eq!(mine["Account"].as_object().unwrap().len(), 1);
    assert!(mine["AppMetadata"].as_object().unwrap().len() == 1);

    // A fresh process loads only the user's partition on a user lookup.
    let other = TokenCache::with_store(store.clone());
    *store.fresh.lock().unwrap() = true;
    let q = AccessTokenQuery::user("u1.utid", CLIENT, TENANT, [ENV], [SCOPE]);
    assert_eq!(
        other
            .find_access_token(&q, now)
            .await
            .unwrap()
            .unwrap()
            .secret()
            .secret(),
        "user-at"
    );
    assert_eq!(other.count(CredentialType::AccessToken), 1);
}

#[tokio::test]
async fn clones_share_state_and_serialize_resets_the_flag() {
    let cache = TokenCache::new();
    let clone = cache.clone();
    clone
        .add_token_response(
            TokenEvent::new(
                CLIENT,
                ENV,
                TENANT,
                [SCOPE],
                &app_response("x", 3600),
                "client_credentials",
            ),
            at(1),
        )
        .await
        .unwrap();
    assert_eq!(cache.count(CredentialType::AccessToken), 1);
    assert!(cache.has_state_changed());
    let _ = cache.serialize();
    assert!(!clone.has_state_changed());
    cache.clear();
    assert_eq!(clone.count(CredentialType::AccessToken), 0);
    assert!(clone.has_state_changed());
    assert!(format!("{cache:?}").contains("TokenCache"));
}
