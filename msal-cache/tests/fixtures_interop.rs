//! Interop with caches written by MSAL Python 1.39.0 and msal-node 7.2.3 (the fixtures of
//! `msal-test-support`, whose `fixtures/README.md` says how each was made).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use msal_cache::{AccessTokenQuery, CredentialType, RefreshTokenQuery, TokenCache, TokenEvent};
use msal_core::{AuthorityType, TokenResponse};
use serde_json::{Value, json};

use msal_test_support::fixtures::{NODE_CACHE as NODE, PYTHON_CACHE as PYTHON};

const TENANT: &str = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490";
const HID: &str = "cee0e47c-b784-51a3-b4de-b7401e7c5c67.8eaef023-2b34-4da1-9baa-8bc8c9d6a490";
const OID: &str = "cee0e47c-b784-51a3-b4de-b7401e7c5c67";
const ENV: &str = "127.0.0.1";
const A1: &str = "00000000-0000-4000-8000-0000000000a1";
const A2: &str = "00000000-0000-4000-8000-0000000000a2";
const A3: &str = "00000000-0000-4000-8000-0000000000a3";
const USER_SCOPE: &str = "https://api.fake-entra.invalid/Data.Read";
const APP_SCOPE: &str = "https://api.fake-entra.invalid/.default";
const OBO_SCOPE: &str = "https://downstream.fake-entra.invalid/.default";
const MI_RESOURCE: &str = "https://management.fake-entra.invalid/";

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_670_000)
}

fn load(json: &str) -> TokenCache {
    let cache = TokenCache::new();
    cache.deserialize(json).unwrap();
    cache
}

fn usable(at: &msal_cache::CachedAccessToken) -> bool {
    at.freshness(now()) != msal_cache::Freshness::Expired
}

#[tokio::test]
async fn python_cache_finds_what_msal_python_finds() {
    let cache = load(PYTHON);
    assert_eq!(cache.count(CredentialType::AccessToken), 9);
    assert_eq!(cache.count(CredentialType::RefreshToken), 3);
    assert_eq!(cache.count(CredentialType::IdToken), 3);
    assert_eq!(cache.count(CredentialType::Account), 1);
    assert_eq!(cache.count(CredentialType::AppMetadata), 8);

    let accounts = cache.get_accounts([ENV], None, false).await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].username, "alice@contoso.example");
    assert_eq!(accounts[0].authority_type, AuthorityType::Mssts);
    assert_eq!(accounts[0].home_account_id, HID);
    assert_eq!(accounts[0].local_account_id, OID);
    // The username filter ignores case.
    assert_eq!(
        cache
            .get_accounts([ENV], Some("ALICE@contoso.example"), false)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        cache
            .get_accounts([ENV], Some("bob@contoso.example"), false)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        cache
            .get_accounts(["login.microsoftonline.com"], None, false)
            .await
            .unwrap()
            .is_empty()
    );

    // User ATs of a1, a2 and a3 (OBO).
    for (client, scope) in [(A1, USER_SCOPE), (A2, USER_SCOPE), (A3, OBO_SCOPE)] {
        let q = AccessTokenQuery::user(HID, client, TENANT, [ENV], [scope]);
        let at = cache
            .find_access_token(&q, now())
            .await
            .unwrap()
            .expect(client);
        assert!(usable(&at), "{client}");
        assert_eq!(at.client_id(), client);
        assert_eq!(at.token_type(), "Bearer");
    }
    // The app-only AT of a2 (home_account_id null).
    let q = AccessTokenQuery::app(A2, TENANT, [ENV], [APP_SCOPE]);
    let at = cache.find_access_token(&q, now()).await.unwrap().unwrap();
    assert_eq!(at.home_account_id(), None);
    assert_eq!(
        at.expires_on(),
        UNIX_EPOCH + Duration::from_secs(1_795_673_093)
    );
    // A user query never returns the app token and vice versa.
    let q = AccessTokenQuery::user(HID, A2, TENANT, [ENV], [APP_SCOPE]);
    assert!(cache.find_access_token(&q, now()).await.unwrap().is_none());

    // RTs, ID tokens for a1, a2, a3.
    for client in [A1, A2, A3] {
        let rts = cache
            .find_refresh_tokens(&RefreshTokenQuery::for_client(HID, [ENV], client))
            .await
            .unwrap();
        assert_eq!(rts.len(), 1, "{client}");
        assert!(rts[0].secret().secret().starts_with("rt."));
        let idt = cache
            .find_id_token(HID, [ENV], client, Some(TENANT))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(idt.claims().unwrap().oid.as_deref(), Some(OID));
        assert!(
            cache
                .find_app_metadata([ENV], client)
                .await
                .unwrap()
                .is_some()
        );
    }
    assert!(
        cache
            .find_account(HID, [ENV], Some(TENANT))
            .await
            .unwrap()
            .is_some()
    );

    // Five managed-identity ATs: system-assigned (client_id null) and b1..b4.
    for client in [
        "",
        "00000000-0000-4000-8000-0000000000b1",
        "00000000-0000-4000-8000-0000000000b2",
        "00000000-0000-4000-8000-0000000000b3",
        "00000000-0000-4000-8000-0000000000b4",
    ] {
        let q = AccessTokenQuery::app(client, "managed_identity", ["localhost"], [MI_RESOURCE]);
        let at = cache
            .find_access_token(&q, now())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("MI {client}"));
        assert_eq!(
            at.refresh_on(),
            Some(UNIX_EPOCH + Duration::from_secs(1_795_712_696))
        );
        assert_ne!(at.freshness(now()), msal_cache::Freshness::RefreshDue);
    }
    let system = cache
        .find_app_metadata(["localhost"], "")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(system.client_id, "");
    // Reading changed nothing.
    assert!(!cache.has_state_changed());
}

#[tokio::test]
async fn node_cache_is_read_too() {
    let cache = load(NODE);
    let accounts = cache.get_accounts([ENV], None, false).await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].username, "alice@contoso.example");

    let q = AccessTokenQuery::user(HID, A1, TENANT, [ENV], [USER_SCOPE]);
    assert!(usable(
        &cache.find_access_token(&q, now()).await.unwrap().unwrap()
    ));

    // msal-node writes `""` for app tokens; MSAL Python misses it (None != ""), we find it.
    let q = AccessTokenQuery::app(A2, TENANT, [ENV], [APP_SCOPE]);
    let app = cache.find_access_token(&q, now()).await.unwrap().unwrap();
    assert_eq!(app.home_account_id(), None);
    assert!(app.cache_key().ends_with(".default-"));

    // The RT has no target; RTs are scope-independent.
    let rts = cache
        .find_refresh_tokens(&RefreshTokenQuery::for_client(HID, [ENV], A1))
        .await
        .unwrap();
    assert_eq!(rts.len(), 1);
    assert_eq!(rts[0].target(), "");
    assert!(
        cache
            .find_id_token(HID, [ENV], A1, Some(TENANT))
            .await
            .unwrap()
            .is_some()
    );
    assert!(cache.find_app_metadata([ENV], A1).await.unwrap().is_none());
}

#[test]
fn both_files_round_trip_as_json_values() {
    for (name, json) in [("python", PYTHON), ("node", NODE)] {
        let cache = load(json);
        let out = cache.serialize();
        let before: Value = serde_json::from_str(json).unwrap();
        let after: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(before, after, "{name}");
        // And again, from our own output.
        assert_eq!(
            serde_json::from_str::<Value>(&load(&out).serialize()).unwrap(),
            before
        );
    }
}

/// Sections and each entry's fields keep their order, types and text, so a file MSAL Python wrote
/// (ASCII, flat entries, as MSAL writes them) comes back byte for byte: a tool that diffs cache
/// files, or a cache read and written back without a change, sees no churn.
#[test]
fn a_python_file_round_trips_byte_for_byte() {
    assert_eq!(load(PYTHON).serialize().trim_end(), PYTHON.trim_end());
}

/// An edit goes through a JSON object (whose keys serde_json sorts); the entry still keeps its
/// fields where they were.
#[tokio::test]
async fn an_edit_keeps_the_entrys_field_order() {
    let cache = load(PYTHON);
    let query = msal_cache::EntryQuery::new(CredentialType::RefreshToken);
    for entry in cache.search(&query).await.unwrap() {
        let mut same = serde_json::Map::new();
        same.insert("target".into(), entry.field("target").cloned().unwrap());
        assert!(cache.modify(&entry, same).await.unwrap());
    }
    assert_eq!(cache.serialize().trim_end(), PYTHON.trim_end());
}

#[test]
fn a_repeated_section_is_written_once() {
    let json = r#"{"AccessToken": {"a": {"x": 1}}, "Other": 1, "AccessToken": {"b": {"x": 2}},
        "Other": 2}"#;
    let out: Value = serde_json::from_str(&load(json).serialize()).unwrap();
    assert_eq!(
        out,
        json!({"AccessToken": {"a": {"x": 1}, "b": {"x": 2}}, "Other": 2})
    );
    let text = load(json).serialize();
    assert_eq!(text.matches("\"AccessToken\"").count(), 1, "{text}");
    assert_eq!(text.matches("\"Other\"").count(), 1, "{text}");
}

#[test]
fn unknown_sections_entries_fields_and_types_survive() {
    let json = json!({
        "AccessToken": {"weird": {"credential_type": "AccessToken", "home_account_id": null,
            "x": "", "y": null, "z": 1.5, "n": [1, {"a": null}], "expires_on": 17}},
        "Account": {"k": "not an object"},
        "AppMetadata": {},
        "FutureSection": {"a": [true, null, ""]},
        "Empty": {}
    });
    let cache = load(&json.to_string());
    assert_eq!(
        serde_json::from_str::<Value>(&cache.serialize()).unwrap(),
        json
    );
}

#[test]
fn deserialize_errors_keep_the_old_state() {
    let cache = load(PYTHON);
    for bad in ["{", "[1]", "{\"AccessToken\": []}", "null", "\"x\""] {
        assert!(cache.deserialize(bad).is_err(), "{bad}");
        assert_eq!(cache.count(CredentialType::AccessToken), 9);
    }
    cache.deserialize("").unwrap();
    assert_eq!(cache.count(CredentialType::AccessToken), 0);
    assert_eq!(cache.serialize(), "{}");
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

fn fixture() -> Value {
    serde_json::from_str(PYTHON).unwrap()
}

fn entry<'a>(v: &'a Value, section: &str, key: &str) -> &'a Value {
    v.get(section)
        .and_then(|s| s.get(key))
        .unwrap_or_else(|| panic!("{section} {key}"))
}

/// The a1 public-client user flow, written by us from a token response built like the fake
/// service's, reproduces MSAL Python's entries key by key and field by field.
#[tokio::test]
async fn writes_the_a1_user_flow_like_msal_python() {
    let fx = fixture();
    let at_key = format!(
        "{HID}-{ENV}-accesstoken-{A1}-{TENANT}-https://api.fake-entra.invalid/data.read openid profile"
    );
    let rt_key = format!(
        "{HID}-{ENV}-refreshtoken-{A1}--https://api.fake-entra.invalid/data.read openid profile"
    );
    let idt_key = format!("{HID}-{ENV}-idtoken-{A1}-{TENANT}-");
    let account_key = format!("{HID}-{ENV}-{TENANT}");
    let meta_key = format!("appmetadata-{ENV}-{A1}");
    let secret = |section: &str, key: &str| {
        entry(&fx, section, key)["secret"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    let mut response = TokenResponse::default();
    response.access_token = secret("AccessToken", &at_key).into();
    response.refresh_token = Some(secret("RefreshToken", &rt_key).into());
    response.id_token = Some(secret("IdToken", &idt_key).into());
    response.expires_in = Some(3599);
    response.ext_expires_in = Some(3599);
    response.scope = Some(format!("{USER_SCOPE} openid profile"));
    response.client_info = Some(b64(&format!(r#"{{"uid":"{OID}","utid":"{TENANT}"}}"#)));

    let cache = TokenCache::new();
    let written_at = UNIX_EPOCH + Duration::from_secs(1_795_669_496);
    let requested = [USER_SCOPE, "offline_access", "openid", "profile"];
    // MSAL Python's last write of the account came from OBO (no account_source); an auth-code
    // write adds `account_source` and is otherwise identical (checked below).
    let account = cache
        .add_token_response(
            TokenEvent::new(
                A1,
                ENV,
                TENANT,
                requested,
                &response,
                "urn:ietf:params:oauth:grant-type:jwt-bearer",
            ),
            written_at,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.username, "alice@contoso.example");
    assert!(cache.has_state_changed());

    let ours: Value = serde_json::from_str(&cache.serialize()).unwrap();
    for (section, key) in [
        ("AccessToken", &at_key),
        ("RefreshToken", &rt_key),
        ("IdToken", &idt_key),
        ("Account", &account_key),
        ("AppMetadata", &meta_key),
    ] {
        assert_eq!(
            entry(&ours, section, key),
            entry(&fx, section, key),
            "{section}"
        );
        assert_eq!(ours[section].as_object().unwrap().len(), 1, "{section}");
    }

    let account = cache
        .add_token_response(
            TokenEvent::new(A1, ENV, TENANT, requested, &response, "authorization_code"),
            written_at,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        account.account_source.as_deref(),
        Some("authorization_code")
    );
    let ours: Value = serde_json::from_str(&cache.serialize()).unwrap();
    let mut expected = entry(&fx, "Account", &account_key).clone();
    expected["account_source"] = json!("authorization_code");
    assert_eq!(entry(&ours, "Account", &account_key), &expected);
}

/// The a2 client-credentials flow reproduces MSAL Python's app-only AT and AppMetadata.
#[tokio::test]
async fn writes_the_a2_client_credentials_flow_like_msal_python() {
    let fx = fixture();
    let at_key = format!("-{ENV}-accesstoken-{A2}-{TENANT}-{APP_SCOPE}");
    let meta_key = format!("appmetadata-{ENV}-{A2}");
    let mut response = TokenResponse::default();
    response.access_token = entry(&fx, "AccessToken", &at_key)["secret"]
        .as_str()
        .unwrap()
        .into();
    response.expires_in = Some(3599);
    response.ext_expires_in = Some(3599);

    let cache = TokenCache::new();
    let written_at = UNIX_EPOCH + Duration::from_secs(1_795_669_494);
    let account = cache
        .add_token_response(
            TokenEvent::new(
                A2,
                ENV,
                TENANT,
                [APP_SCOPE],
                &response,
                "client_credentials",
            ),
            written_at,
        )
        .await
        .unwrap();
    assert!(account.is_none());
    let ours: Value = serde_json::from_str(&cache.serialize()).unwrap();
    assert_eq!(
        entry(&ours, "AccessToken", &at_key),
        entry(&fx, "AccessToken", &at_key)
    );
    assert_eq!(
        entry(&ours, "AppMetadata", &meta_key),
        entry(&fx, "AppMetadata", &meta_key)
    );
    assert_eq!(
        ours.as_object().unwrap().len(),
        2,
        "only AccessToken and AppMetadata: {ours}"
    );

    // And a managed-identity token like MSAL Python's system-assigned one.
    let mi_key = format!("-localhost-accesstoken--managed_identity-{MI_RESOURCE}");
    let mut mi = TokenResponse::default();
    mi.access_token = entry(&fx, "AccessToken", &mi_key)["secret"]
        .as_str()
        .unwrap()
        .into();
    mi.expires_in = Some(86399);
    mi.refresh_in = Some(43199);
    let mi_at = UNIX_EPOCH + Duration::from_secs(1_795_669_497);
    cache
        .add_token_response(
            TokenEvent::new(
                "",
                "localhost",
                "managed_identity",
                [MI_RESOURCE],
                &mi,
                "managed_identity",
            ),
            mi_at,
        )
        .await
        .unwrap();
    let ours: Value = serde_json::from_str(&cache.serialize()).unwrap();
    assert_eq!(
        entry(&ours, "AccessToken", &mi_key),
        entry(&fx, "AccessToken", &mi_key)
    );
    assert_eq!(
        entry(&ours, "AppMetadata", "appmetadata-localhost-"),
        entry(&fx, "AppMetadata", "appmetadata-localhost-")
    );
}
