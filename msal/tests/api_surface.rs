//! The public paths and names the migration guide (`msal::guide`) promises for external code: this file only has to compile
//! (with every feature), so a rename that would break users fails CI.
#![cfg(all(
    feature = "reqwest",
    feature = "hyper",
    feature = "pop",
    feature = "managed-identity"
))]
#![cfg(all(feature = "persistence", feature = "blocking", feature = "interactive"))]
#![allow(
    unused_imports,
    dead_code,
    clippy::unwrap_used,
    clippy::type_complexity
)]

use msal::AutoRefresher;
#[cfg(feature = "azure-core")]
use msal::azure::{ClaimsChallenge, MsalCredential};
use msal::{
    AccessToken, Account, AssertionContext, AssertionProvider, AsyncSleep, AuthCodeFlow,
    AuthResponse, AuthenticationResult, AuthorityType, AuthorizationCode, BrowserOpener,
    Certificate, CertificateError, ClientApplication, ClientCredential, ClientSecret, Clock,
    CoarseClock, ConfidentialClientApplication, ConfidentialClientApplicationBuilder, DeviceFlow,
    Env, Error, IdToken, IdTokenClaims, IdTokenError, InteractionReason, ManualClock, ParentWindow,
    Password, PrivateKeyPem, Prompt, PublicClientApplication, PublicClientApplicationBuilder,
    RefreshToken, ResponseMode, Result, SKU, SerializableTokenCache, ServiceError, SystemBrowser,
    SystemClock, TokenCache, TokenSource, Ui, UserIdentifier, VERSION,
    authority::{AZURE_PUBLIC, Authority, InstanceDiscovery, Region},
    blocking,
    cache::{
        AccessKind, AccessTokenQuery, AppMetadata, CacheAccess, CacheEntry, CacheError, CacheLock,
        CacheStore, CachedAccessToken, CachedIdToken, CachedRefreshToken, CredentialType,
        CrossPlatLock, CrossPlatLockGuard, EntryQuery, FileCacheStore, RefreshTokenQuery,
        TokenEvent,
    },
    http::{
        HttpClient, HttpRequest, HttpResponse, HyperClient, HyperClientBuilder,
        PinnedServerCertificate, RequestTimeout, ReqwestClient, ReqwestClientBuilder,
        ResponseBodyLimit, TransportError, TransportErrorKind,
    },
    id_token::decode_unverified,
    managed_identity::{
        ManagedIdentityClient, SystemAssignedManagedIdentity, UserAssignedManagedIdentity,
    },
    pop::{HttpMethod, PopAuthScheme, PopKey},
    prelude::SilentResultExt,
};

/// MSAL Python's low-level `TokenCache` API and msal-extensions' pieces, as the guide maps them.
async fn low_level_cache_api(cache: TokenCache, entry: CacheEntry) -> Result<()> {
    let _found: Vec<CacheEntry> = cache
        .search(&EntryQuery::new(CredentialType::AccessToken).field("client_id", "c"))
        .await?;
    let _: bool = cache.modify(&entry, serde_json::Map::new()).await?;
    let _: bool = cache.remove_entry(&entry).await?;
    let store = FileCacheStore::new("cache.json").lock_path("cache.lock");
    let _: Option<std::time::SystemTime> = store.last_modified()?;
    let _guard: CrossPlatLockGuard = CrossPlatLock::new("cache.lock").acquire().await?;
    Ok(())
}

/// msal-extensions' encrypted persistence (`build_encrypted_persistence`, `LibsecretPersistence`,
/// `KeychainPersistence`, `trial_run`), as the guide maps it.
#[cfg(feature = "keyring")]
async fn encrypted_persistence() -> Result<TokenCache> {
    use msal::cache::{KeyringBackend, KeyringCacheStore, KeyringError};
    let store = KeyringCacheStore::new("cache.signal")
        .schema_name("msal.cache")
        .attribute("app", "demo")
        .keychain_service("msal-extensions")
        .keychain_account("me")
        .fallback_to_plaintext(false);
    match store.backend().await {
        Ok(KeyringBackend::Plaintext) => unreachable!(),
        Err(CacheError::Store(e)) if e.is::<KeyringError>() => {}
        _ => {}
    }
    Ok(TokenCache::with_store(store))
}

#[cfg(feature = "pkcs12")]
fn pfx(der: &[u8]) -> Result<Certificate> {
    match Certificate::from_pkcs12(der, Some("passphrase")) {
        Err(Error::Certificate(CertificateError::WrongPassphrase)) => unreachable!(),
        other => other,
    }
}

#[test]
fn pinned_names_and_shapes() {
    assert_eq!(SKU, "MSAL.Rust");
    assert!(!VERSION.is_empty());
    let _: Result<()> = Ok(());
    assert_eq!(Prompt::SelectAccount.as_str(), "select_account");
    assert_eq!(
        PublicClientApplication::CONSOLE_WINDOW_HANDLE,
        ParentWindow::Console
    );
    assert_eq!(PopAuthScheme::HTTP_GET, HttpMethod::Get);
    let clock = ManualClock::new(std::time::SystemTime::UNIX_EPOCH);
    clock.advance(std::time::Duration::from_secs(1));
    let _env = Env::from_vars([("REGION_NAME", "westus2")]);
    let _ = InstanceDiscovery::Endpoint(String::from(
        "https://example.invalid/common/discovery/instance",
    ));
    let _ = Authority::from_parts(AZURE_PUBLIC, "contoso").unwrap();
    let _: fn(&str) -> std::result::Result<IdTokenClaims, IdTokenError> = decode_unverified;
    let _ = UserIdentifier::ObjectId("oid".into());
    let _ = ClientCredential::secret("s");
    fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<PublicClientApplication>();
    is_send_sync::<ConfidentialClientApplication>();
    is_send_sync::<TokenCache>();
    is_send_sync::<ManagedIdentityClient>();
    let _: Option<blocking::PublicClientApplication> = None;
    let _: Option<SerializableTokenCache> = None;
    let _: Option<FileCacheStore> = None;
    let _: Option<
        AutoRefresher<
            fn(
                AssertionContext,
            )
                -> std::future::Ready<std::result::Result<String, msal::http::BoxError>>,
        >,
    > = None;
}

/// Old names kept working as deprecated aliases: removing one breaks users, so it must fail
/// here first.
#[allow(deprecated)]
fn deprecated_aliases_still_compile(
    pca: &PublicClientApplication,
    mi: msal::managed_identity::ManagedIdentityClient,
    blocking_mi: msal::blocking::ManagedIdentityClient,
) {
    let _ = pca
        .acquire_token_interactive(["User.Read"])
        .extra_query_param("ui_locales", "de");
    let _ = mi
        .with_sleep(msal::InstantSleep)
        .with_timeout(std::time::Duration::from_secs(5));
    let _ = blocking_mi
        .with_sleep(msal::InstantSleep)
        .with_timeout(std::time::Duration::from_secs(5));
    let _: u64 = msal_cache::EXPIRY_SKEW_SECS;
}
