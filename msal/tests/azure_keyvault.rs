//! msal as the credential of a real Azure SDK client: azure_security_keyvault_secrets'
//! `SecretClient` with `msal::azure::MsalCredential`, against the emulator's Key Vault stand-in
//! over HTTPS (its CA, `emulator.vault.azure.net` resolved to loopback), on msal's own transport.
//!
//! The stand-in behaves as Key Vault does for the client: the first request, sent without a
//! token, gets a 401 whose challenge names the resource; the client then asks the credential
//! for `https://vault.azure.net/.default`, and the stand-in checks the token's signature,
//! audience and expiry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../examples/support/azure_transport.rs"]
mod azure_transport;
mod support;

use std::sync::Arc;

use azure_core::{
    credentials::{TokenCredential, TokenRequestOptions},
    error::ErrorKind,
    http::{ClientMethodOptions, ClientOptions, request::options::ClientRequestId},
};
use azure_security_keyvault_secrets::{
    SecretClient, SecretClientOptions, models::SecretClientGetSecretOptions,
};
use azure_transport::MsalTransport;
use msal::{
    Account, ClientApplication as _, Env,
    authority::DiscoveryCache,
    azure::{ClaimsChallenge, MsalCredential},
    http::ReqwestClient,
    managed_identity::{ManagedIdentityClient, UserAssignedManagedIdentity},
};
use support::{Emulator, EmulatorConfig, ids};

const VAULT_SCOPE: &str = "https://vault.azure.net/.default";
const SECRET_NAME: &str = "db-password";
const SECRET_VALUE: &str = "fake-db-password~emulator";
const TOKEN_PATH: &str = "/oauth2/v2.0/token";

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default().key_vault_secret(SECRET_NAME, SECRET_VALUE))
        .await
        .expect("emulator starts")
}

/// One client for Entra and the vault: trusts the emulator's CA and finds the vault's host
/// name on loopback.
fn http(emu: &Emulator) -> ReqwestClient {
    ReqwestClient::builder()
        .add_root_certificate_pem(emu.ca_pem().as_bytes())
        .unwrap()
        .no_proxy()
        .resolve(ids::KEY_VAULT_HOST, emu.addr())
        .build()
        .unwrap()
}

fn confidential_credential(emu: &Emulator) -> Arc<MsalCredential> {
    MsalCredential::confidential(confidential_app(emu))
}

fn confidential_app(emu: &Emulator) -> msal::ConfidentialClientApplication {
    confidential_app_with_cache(emu, msal::TokenCache::new())
}

fn confidential_app_with_cache(
    emu: &Emulator,
    cache: msal::TokenCache,
) -> msal::ConfidentialClientApplication {
    msal::ConfidentialClientApplication::builder(
        ids::CONFIDENTIAL_CLIENT_ID,
        msal::ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
    .token_cache(cache)
    .authority(emu.authority())
    .unwrap()
    .known_authorities(["127.0.0.1"])
    .http_client(http(emu))
    .discovery_cache(DiscoveryCache::new())
    .build()
    .unwrap()
}

fn secret_client(emu: &Emulator, credential: Arc<dyn TokenCredential>) -> SecretClient {
    let options = SecretClientOptions {
        client_options: ClientOptions {
            transport: Some(MsalTransport::transport(http(emu))),
            ..Default::default()
        },
        // Left on, as by default: the challenge's resource must match the vault's domain,
        // which `emulator.vault.azure.net` does.
        verify_challenge_resource: Some(true),
        ..Default::default()
    };
    SecretClient::new(&emu.key_vault_url(), credential, Some(options)).unwrap()
}

async fn read_secret(client: &SecretClient, version: Option<String>) -> azure_core::Result<String> {
    let options = SecretClientGetSecretOptions {
        secret_version: version,
        ..Default::default()
    };
    let secret = client
        .get_secret(SECRET_NAME, Some(options))
        .await?
        .into_model()?;
    Ok(secret.value.unwrap_or_default())
}

fn vault_requests(emu: &Emulator) -> Vec<msal_emulator::LoggedRequest> {
    emu.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/secrets/"))
        .collect()
}

#[tokio::test]
async fn keyvault_client_reads_secrets_with_one_token_request_for_two_clients() {
    let emu = emulator().await;
    let credential = confidential_credential(&emu);
    // Each SecretClient keeps its own copy of the last token; a second client therefore asks
    // the credential again, and msal's cache must answer.
    let first = secret_client(&emu, credential.clone());
    let second = secret_client(&emu, credential.clone());

    assert_eq!(read_secret(&first, None).await.unwrap(), SECRET_VALUE);
    assert_eq!(read_secret(&second, None).await.unwrap(), SECRET_VALUE);

    assert_eq!(
        emu.count("POST", TOKEN_PATH),
        1,
        "the second client's token came from msal's cache"
    );
    let token_request = emu
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with(TOKEN_PATH))
        .unwrap();
    assert_eq!(token_request.form_param("scope"), Some(VAULT_SCOPE));
    assert_eq!(
        token_request.form_param("grant_type"),
        Some("client_credentials")
    );

    // Per client: the bare request the challenge answers, then the authorized one.
    let vault = vault_requests(&emu);
    let statuses: Vec<u16> = vault.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [401, 200, 401, 200]);
    assert!(vault[0].header("authorization").is_none());
    assert!(
        vault[1]
            .header("authorization")
            .is_some_and(|h| h.starts_with("Bearer "))
    );
    assert_eq!(
        vault[1].host.as_deref(),
        Some(format!("{}:{}", ids::KEY_VAULT_HOST, emu.addr().port()).as_str())
    );
}

/// A repeated `get_token` on one thread is answered from the thread's memo of its last hit,
/// without an msal result: it must hand out the cache's token with the cache's expiry, and stop
/// the moment the cache changes.
#[tokio::test]
async fn repeated_get_token_hands_out_the_cached_token_until_the_cache_changes() {
    let emu = emulator().await;
    let app = confidential_app(&emu);
    let credential = MsalCredential::confidential(app.clone());
    let fetched = credential.get_token(&[VAULT_SCOPE], None).await.unwrap();
    // The second call is a cache hit, which the memo remembers; the later ones are the memo's.
    for _ in 0..3 {
        let again = credential.get_token(&[VAULT_SCOPE], None).await.unwrap();
        assert_eq!(again.token.secret(), fetched.token.secret());
        assert_eq!(again.expires_on, fetched.expires_on);
    }
    let cached = app.acquire_token_for_client([VAULT_SCOPE]).await.unwrap();
    assert_eq!(cached.token_source(), msal::TokenSource::Cache);
    let whole_seconds = cached
        .expires_on()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(
        fetched.expires_on.unix_timestamp(),
        i64::try_from(whole_seconds).unwrap()
    );
    assert_eq!(emu.count("POST", TOKEN_PATH), 1);

    // Removing the app's tokens changes the cache: the memo must not answer, or the credential
    // would hand out a token the app has let go of.
    app.remove_tokens_for_client().await.unwrap();
    let refetched = credential.get_token(&[VAULT_SCOPE], None).await.unwrap();
    assert_eq!(
        emu.count("POST", TOKEN_PATH),
        2,
        "the token was requested anew"
    );
    assert_ne!(refetched.token.secret(), fetched.token.secret());
}

/// The cache can change under the app, not only through it: here another handle on the same
/// cache replaces its contents. The memo, which only the app forgets itself, must see the
/// cache's generation move and let the request through.
#[tokio::test]
async fn get_token_is_not_answered_from_the_memo_once_the_shared_cache_is_replaced() {
    let emu = emulator().await;
    let cache = msal::TokenCache::new();
    let credential = MsalCredential::confidential(confidential_app_with_cache(&emu, cache.clone()));
    for _ in 0..3 {
        credential.get_token(&[VAULT_SCOPE], None).await.unwrap();
    }
    assert_eq!(emu.count("POST", TOKEN_PATH), 1);

    cache.deserialize("{}").unwrap();
    credential.get_token(&[VAULT_SCOPE], None).await.unwrap();
    assert_eq!(
        emu.count("POST", TOKEN_PATH),
        2,
        "the token was requested anew"
    );
}

#[tokio::test]
async fn keyvault_client_reads_a_secret_by_its_version_from_the_id() {
    let emu = emulator().await;
    let client = secret_client(&emu, confidential_credential(&emu));
    let secret = client
        .get_secret(SECRET_NAME, None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    let id = secret.id.unwrap();
    let version = id.rsplit('/').next().unwrap().to_owned();
    assert_eq!(version.len(), 32, "{id}");
    assert_eq!(
        read_secret(&client, Some(version)).await.unwrap(),
        SECRET_VALUE
    );
    let missing = read_secret(&client, Some("0".repeat(32)))
        .await
        .unwrap_err();
    assert_eq!(missing.http_status().map(u16::from), Some(404), "{missing}");
}

#[tokio::test]
async fn keyvault_client_reads_a_secret_with_managed_identity() {
    let emu = emulator().await;
    let client = ManagedIdentityClient::new(
        UserAssignedManagedIdentity::client_id(ids::MI_IMDS_CLIENT_ID),
        http(&emu),
    )
    // AKS pod identity's variable moves IMDS to the emulator, without touching the process
    // environment.
    .with_env(Env::from_vars([(
        "AZURE_POD_IDENTITY_AUTHORITY_HOST",
        emu.http_base_url(),
    )]));
    let vault = secret_client(&emu, MsalCredential::managed_identity(client));
    assert_eq!(read_secret(&vault, None).await.unwrap(), SECRET_VALUE);

    let imds: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.path == "/metadata/identity/oauth2/token")
        .collect();
    assert_eq!(imds.len(), 1);
    assert_eq!(
        imds[0].query_param("resource"),
        Some("https://vault.azure.net"),
        "Azure SDK's scope became managed identity's resource"
    );
}

#[tokio::test]
async fn a_signed_in_user_reads_a_secret_silently() {
    let emu = emulator().await;
    let app = msal::PublicClientApplication::builder(ids::PUBLIC_CLIENT_ID)
        .authority(emu.authority())
        .unwrap()
        .known_authorities(["127.0.0.1"])
        .http_client(http(&emu))
        .discovery_cache(DiscoveryCache::new())
        .build()
        .unwrap();
    // ROPC is the one sign-in a test can do without a browser or a device; deprecated for apps.
    #[allow(deprecated)]
    let signed_in = app
        .acquire_token_by_username_password(ids::USER_UPN, ids::USER_PASSWORD, [VAULT_SCOPE])
        .await
        .unwrap();
    let credential = MsalCredential::public(app, signed_in.account().cloned().unwrap());
    let first = secret_client(&emu, credential.clone());
    let second = secret_client(&emu, credential);
    assert_eq!(read_secret(&first, None).await.unwrap(), SECRET_VALUE);
    assert_eq!(read_secret(&second, None).await.unwrap(), SECRET_VALUE);
    assert_eq!(
        emu.count("POST", TOKEN_PATH),
        1,
        "only the sign-in; the credential's tokens came from the cache"
    );
}

/// An account nothing is cached for.
fn stranger() -> Account {
    Account {
        home_account_id: "uid.utid".into(),
        environment: "127.0.0.1".into(),
        username: "nobody@contoso.example".into(),
        local_account_id: "uid".into(),
        realm: ids::TENANT_ID.into(),
        authority_type: msal::AuthorityType::Mssts,
        account_source: None,
    }
}

#[tokio::test]
async fn an_account_without_tokens_is_a_credential_error_saying_interaction_is_required() {
    let emu = emulator().await;
    let app = msal::PublicClientApplication::builder(ids::PUBLIC_CLIENT_ID)
        .authority(emu.authority())
        .unwrap()
        .known_authorities(["127.0.0.1"])
        .http_client(http(&emu))
        .build()
        .unwrap();
    let credential = MsalCredential::public(app, stranger());
    let err = credential
        .get_token(&[VAULT_SCOPE], None)
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Credential), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("interaction required"), "{message}");
    assert!(message.contains("must sign in again"), "{message}");
    assert!(
        !message.contains("nobody@contoso.example"),
        "no PII in errors: {message}"
    );
    let source = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<msal::Error>())
        .expect("the msal error is the source");
    assert!(source.is_interaction_required());

    // Through the Key Vault client, the same error reaches the caller.
    let vault = secret_client(
        &emu,
        MsalCredential::public(
            msal::PublicClientApplication::builder(ids::PUBLIC_CLIENT_ID)
                .authority(emu.authority())
                .unwrap()
                .known_authorities(["127.0.0.1"])
                .http_client(http(&emu))
                .build()
                .unwrap(),
            stranger(),
        ),
    );
    // (azure_core's retry policy wraps it; the credential's error is in the chain.)
    let err = read_secret(&vault, None).await.unwrap_err();
    let mut chain = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(e) = next {
        chain.push(e.to_string());
        next = e.source();
    }
    assert!(
        chain.iter().any(|m| m.contains("interaction required")),
        "{chain:?}"
    );
}

#[tokio::test]
async fn the_request_id_and_a_claims_challenge_in_the_options_reach_the_token_request() {
    let emu = emulator().await;
    let credential = confidential_credential(&emu);
    credential.get_token(&[VAULT_SCOPE], None).await.unwrap();
    assert_eq!(emu.count("POST", TOKEN_PATH), 1);

    // A hit: no request, whatever the request id.
    let mut options = ClientMethodOptions::default();
    options.context.insert(ClientRequestId::new("kv-call-1"));
    let hit = credential
        .get_token(
            &[VAULT_SCOPE],
            Some(TokenRequestOptions {
                method_options: options.clone(),
            }),
        )
        .await
        .unwrap();
    assert_eq!(emu.count("POST", TOKEN_PATH), 1);
    assert!(hit.expires_on > azure_core::time::OffsetDateTime::now_utc());

    // A claims challenge skips the cache and goes to Entra with the request id.
    let claims = r#"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#;
    options.context.insert(ClaimsChallenge::new(claims));
    let fresh = credential
        .get_token(
            &[VAULT_SCOPE],
            Some(TokenRequestOptions {
                method_options: options,
            }),
        )
        .await
        .unwrap();
    assert_eq!(emu.count("POST", TOKEN_PATH), 2);
    let sent = emu
        .requests()
        .into_iter()
        .rfind(|r| r.path.ends_with(TOKEN_PATH))
        .unwrap();
    assert_eq!(sent.header("client-request-id"), Some("kv-call-1"));
    assert!(
        sent.form_param("claims")
            .is_some_and(|c| c.contains("essential")),
        "{:?}",
        sent.form_param("claims")
    );
    assert_ne!(fresh.token.secret(), hit.token.secret());
}

#[tokio::test]
async fn the_stand_in_rejects_what_key_vault_rejects() {
    let emu = emulator().await;
    let url = format!(
        "{}/secrets/{SECRET_NAME}?api-version=2025-07-01",
        emu.key_vault_url()
    );
    let http = http(&emu);
    let get = |token: Option<String>| {
        let mut request = http::Request::get(url.as_str());
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        msal::http::HttpClient::send(&http, request.body(Vec::new()).unwrap())
    };
    let app_token = |scope: &'static str| {
        let credential = confidential_credential(&emu);
        async move {
            credential
                .get_token(&[scope], None)
                .await
                .unwrap()
                .token
                .secret()
                .to_owned()
        }
    };

    let bare = get(None).await.unwrap();
    assert_eq!(bare.status(), 401);
    let challenge = bare.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with(&format!(r#"Bearer authorization="{}""#, emu.authority())),
        "{challenge}"
    );
    assert!(
        challenge.ends_with(r#"resource="https://vault.azure.net""#),
        "{challenge}"
    );

    let other_audience = app_token(ids::APP_SCOPE).await;
    let answer = get(Some(other_audience)).await.unwrap();
    assert_eq!(answer.status(), 401);
    assert!(String::from_utf8_lossy(answer.body()).contains("audience"));

    let good = app_token(VAULT_SCOPE).await;
    let mut tampered = good.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let answer = get(Some(String::from_utf8(tampered).unwrap()))
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    assert!(String::from_utf8_lossy(answer.body()).contains("signature"));

    assert_eq!(get(Some(good)).await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_stand_in_rejects_an_expired_token() {
    // Tokens that live one second: by the time it is sent, the token has expired.
    let emu = Emulator::start(
        EmulatorConfig::default()
            .expires_in(1)
            .key_vault_secret(SECRET_NAME, SECRET_VALUE),
    )
    .await
    .unwrap();
    let app = msal::ConfidentialClientApplication::builder(
        ids::CONFIDENTIAL_CLIENT_ID,
        msal::ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
    .authority(emu.authority())
    .unwrap()
    .known_authorities(["127.0.0.1"])
    .http_client(http(&emu))
    .build()
    .unwrap();
    let token = app.acquire_token_for_client([VAULT_SCOPE]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let request = http::Request::get(format!(
        "{}/secrets/{SECRET_NAME}?api-version=2025-07-01",
        emu.key_vault_url()
    ))
    .header(
        "authorization",
        format!("Bearer {}", token.access_token().secret()),
    )
    .body(Vec::new())
    .unwrap();
    let answer = msal::http::HttpClient::send(&http(&emu), request)
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    assert!(String::from_utf8_lossy(answer.body()).contains("expired"));
}

#[tokio::test]
async fn debug_of_the_credential_shows_no_secret_or_token() {
    let emu = emulator().await;
    let credential = confidential_credential(&emu);
    let token = credential.get_token(&[VAULT_SCOPE], None).await.unwrap();
    let debug = format!("{credential:?} {token:?}");
    assert!(!debug.contains(ids::CONFIDENTIAL_CLIENT_SECRET), "{debug}");
    assert!(!debug.contains(token.token.secret()), "{debug}");
}
