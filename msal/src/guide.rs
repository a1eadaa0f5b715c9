//! A guide to msal-rs for people who know MSAL Python (or no MSAL at all).
//!
//! # Choose your scenario
//!
//! | you are writing | app | first call | then |
//! |---|---|---|---|
//! | a web app that signs users in | [`ConfidentialClientApplication`](crate::ConfidentialClientApplication) | [`initiate_auth_code_flow`](crate::ClientApplication::initiate_auth_code_flow) | [`acquire_token_by_auth_code_flow`](crate::ClientApplication::acquire_token_by_auth_code_flow), later [`acquire_token_silent`](crate::ClientApplication::acquire_token_silent) |
//! | a desktop or CLI app | [`PublicClientApplication`](crate::PublicClientApplication) | `acquire_token_silent` | `acquire_token_interactive` (feature `interactive`) on [`Error::InteractionRequired`](crate::Error::InteractionRequired) |
//! | an app on a device without a browser | `PublicClientApplication` | [`acquire_token_with_device_code`](crate::PublicClientApplication::acquire_token_with_device_code) | `acquire_token_silent` |
//! | a daemon or service | `ConfidentialClientApplication` | [`acquire_token_for_client`](crate::ConfidentialClientApplication::acquire_token_for_client) (cache first) | the same call again |
//! | a web API calling another API | `ConfidentialClientApplication` | [`acquire_token_on_behalf_of`](crate::ConfidentialClientApplication::acquire_token_on_behalf_of) | the same call (cached per incoming token) |
//! | anything on Azure compute | `managed_identity::ManagedIdentityClient` (feature `managed-identity`) | `acquire_token_for_client(resource)` | the same call |
//!
//! # Pick your crates
//! Depend on `msal` (this crate). Its default features bring the reqwest transport with rustls.
//! A service that already uses hyper can turn the defaults off and enable `hyper`; an app with its
//! own HTTP stack can enable no transport at all and pass any
//! [`HttpClient`](crate::http::HttpClient) to `.http_client(..)`. Managed identity alone is also
//! available as the small `msal-managed-identity` crate.
//!
//! The smallest build is the protocol core on its own: `msal-core` without default features
//! (no `certificate`, so no RSA stack: secrets, assertions and assertion callbacks only) and
//! `msal-http-hyper` with only `webpki-roots`: 2.8 MiB stripped, 67 crates, about a minute cold
//! on one job (`cargo xtask size`).
//!
//! A web farm that shares its cache through `msal-cache-redis` finds the signed-in user with
//! `app.get_accounts().home_account_id(id)`, which reads that user's partition on any instance
//! (the unfiltered listing sees only what this instance has loaded).
//!
//! # Errors
//! Every call returns [`Result`](crate::Result). Branch on the variant, not on strings:
//! - [`Error::InteractionRequired`](crate::Error::InteractionRequired): sign the user in again
//!   (its `claims` challenge, if any, is in [`Error::claims_challenge`](crate::Error::claims_challenge));
//! - [`Error::Service`](crate::Error::Service) / [`Error::Throttled`](crate::Error::Throttled):
//!   Entra said no, or said "later" ([`Error::retry_after`](crate::Error::retry_after));
//! - [`Error::Transport`](crate::Error::Transport): no answer after the one retry;
//! - [`Error::Configuration`](crate::Error::Configuration) / [`Error::InvalidArgument`](crate::Error::InvalidArgument):
//!   fix the code or the settings.
//!
//! No error, `Debug` or `Display` ever contains a token, secret, code or password.
//!
//! # Caching and persistence
//! Every app has a [`TokenCache`](crate::TokenCache); share one between apps to share tokens,
//! persist it with `cache::FileCacheStore` (feature `persistence`), distribute it with the
//! `msal-cache-redis` crate, or implement [`CacheStore`](crate::cache::CacheStore). The JSON is
//! MSAL Python's, so the same file works with MSAL Python, msal-extensions, MSAL.NET and msal-node.
//!
//! # Using msal with Azure SDK for Rust
//! Azure SDK for Rust clients (Key Vault, Storage, Cosmos DB, ...) take an
//! `Arc<dyn azure_core::credentials::TokenCredential>`. With feature `azure-core`,
//! `azure::MsalCredential` is one, over any msal token source:
//! - `MsalCredential::confidential(app)`: a daemon's client credentials;
//! - `MsalCredential::managed_identity(client)` (feature `managed-identity`): the Azure host's
//!   identity; Azure SDK's scope `https://vault.azure.net/.default` becomes the resource
//!   `https://vault.azure.net`;
//! - `MsalCredential::public(app, account)`: a signed-in user's tokens, silently. It never
//!   prompts: when the user must sign in again, `get_token` fails with a credential error that
//!   says "interaction required" (its source is [`Error::InteractionRequired`](crate::Error::InteractionRequired));
//!   sign in with the app, then build the credential again.
//!
//! The tokens live in the app's msal cache: the credential shares them with the app's own calls,
//! a repeated request is answered without a request, and a [`CacheStore`](crate::cache::CacheStore)
//! persists them. Errors are `azure_core` errors of kind `Credential` whose source is the
//! [`msal::Error`](crate::Error). A `ClientRequestId` in the request options' context becomes
//! the token request's correlation id; an `azure::ClaimsChallenge` there skips the cache.
//!
//! The feature uses azure_core without its default features, so it brings no HTTP stack; give
//! your Azure SDK clients `default-features = false` too and a transport in
//! `ClientOptions::transport`. `msal/examples/azure_keyvault.rs` implements azure_core's
//! `HttpClient` over msal's [`ReqwestClient`](crate::http) in thirty lines, so tokens and
//! service calls share one client, TLS configuration and connection pool.
//!
//! A command-line tool that signs its user in once with a device code, keeps the tokens in a file
//! across runs (feature `persistence`), and hands Azure SDK clients a credential:
//!
//! ```no_run
//! # #[cfg(all(feature = "azure-core", feature = "persistence"))]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//!
//! use azure_core::credentials::TokenCredential;
//! use msal::{
//!     ClientApplication as _, PublicClientApplication, TokenCache, azure::MsalCredential,
//!     cache::FileCacheStore,
//! };
//!
//! const VAULT: &str = "https://vault.azure.net/.default";
//!
//! let app = PublicClientApplication::builder("00000000-0000-0000-0000-000000000000")
//!     .authority("https://login.microsoftonline.com/organizations")?
//!     // MSAL Python's format, locked as msal-extensions locks it: runs and tools can share it.
//!     .token_cache(TokenCache::with_store(FileCacheStore::new("msal_cache.json")))
//!     .build()?;
//! // The first run signs in; later runs find the account (and its tokens) in the file.
//! let account = match app.get_accounts().await?.into_iter().next() {
//!     Some(account) => account,
//!     None => app
//!         .acquire_token_with_device_code([VAULT])
//!         .on_device_code(|flow| eprintln!("{}", flow.message))
//!         .await?
//!         .account()
//!         .cloned()
//!         .ok_or("the sign-in returned no account")?,
//! };
//! let credential: Arc<dyn TokenCredential> = MsalCredential::public(app, account);
//! // Any Azure SDK client now: SecretClient::new("https://myvault.vault.azure.net", credential, options)
//! let token = credential.get_token(&[VAULT], None).await?; // from the file, no sign-in
//! # let _ = token; Ok(()) }
//! ```
//!
//! # Logging
//! msal-rs logs through [`tracing`](https://docs.rs/tracing): spans `acquire_token_for_client`,
//! `acquire_token_silent`, `token_request` (targets `msal::*`) carry `msal.correlation_id` and
//! `msal.api`. Usernames, tenant and object ids appear only with
//! `.enable_pii_log(true)`; secrets never, whatever the level.
//!
//! # Migrating from MSAL Python 1.39, method for method
//!
//! | MSAL Python | msal-rs |
//! |---|---|
//! | `PublicClientApplication(client_id, authority=…, token_cache=…)` | `PublicClientApplication::builder(id).authority(url)?.token_cache(cache).build()?` |
//! | `ConfidentialClientApplication(client_id, client_credential=…)` | `ConfidentialClientApplication::builder(id, ClientCredential::secret(s) / ::certificate(c) / ::assertion(jwt) / ::assertion_callback(f))` |
//! | `client_credential={"private_key": pem, "thumbprint": t}` | `Certificate::from_pem(pem, None)?.with_thumbprint_sha1(t)?` |
//! | `client_credential={"private_key": pem, "public_certificate": cert_pem, "passphrase": p}` | `Certificate::from_pem(pem, Some(p))?.with_public_certificate_pem(cert_pem)?` (PS256, `x5t#S256` and `x5c` as Python sends them; `.send_x5c(false)` leaves `x5c` out) |
//! | `client_credential={"private_key_pfx_path": path, "passphrase": p}` | `Certificate::from_pkcs12(&std::fs::read(path)?, Some(p))?` (feature `pkcs12`); a wrong passphrase is [`CertificateError::WrongPassphrase`](crate::CertificateError::WrongPassphrase) |
//! | `app.get_accounts(username=None)` | `app.get_accounts().username(u).await?` |
//! | `app.remove_account(account)` | `app.remove_account(&account).await?` |
//! | `app.acquire_token_silent(scopes, account)` | `app.acquire_token_silent(scopes, &account).await.ok()` |
//! | `app.acquire_token_silent_with_error(scopes, account)` | `app.acquire_token_silent(scopes, &account).await.optional()?` |
//! | `…, force_refresh=True, claims_challenge=c` | `.force_refresh(true).claims_challenge(c)` |
//! | `app.initiate_auth_code_flow(scopes, redirect_uri=…)` | `app.initiate_auth_code_flow(scopes).redirect_uri(u).await?` |
//! | `app.acquire_token_by_auth_code_flow(flow, auth_response)` | `app.acquire_token_by_auth_code_flow(&flow, AuthResponse::from_form(body)?).await?` |
//! | `app.get_authorization_request_url(scopes, …)` (deprecated) | `app.get_authorization_request_url(scopes)….await?` (deprecated) |
//! | `app.acquire_token_by_authorization_code(code, scopes, …)` (deprecated) | `app.acquire_token_by_authorization_code(code, scopes)….await?` (deprecated) |
//! | `app.acquire_token_by_refresh_token(rt, scopes)` | `app.acquire_token_by_refresh_token(rt, scopes).await?` |
//! | `app.acquire_token_by_username_password(u, p, scopes)` | `app.acquire_token_by_username_password(u, p, scopes).await?` (deprecated, as ROPC is) |
//! | `app.is_pop_supported()` | `app.is_pop_supported()` (true with feature `pop`: no broker needed) |
//! | `pca.initiate_device_flow(scopes, data=…, params=…)` | `pca.initiate_device_flow(scopes).extra_body_param(k, v).extra_query_param(k, v).await?` (an error is an `Err`, not a dict) |
//! | `pca.acquire_token_by_device_flow(flow, exit_condition=f, data=…)` | `pca.acquire_token_by_device_flow(&flow).exit_condition(f).cancel_on(ctrl_c()).extra_body_param(k, v).await?` |
//! | `pca.acquire_token_interactive(scopes, prompt=…, login_hint=…, port=…, timeout=…)` | `pca.acquire_token_interactive(scopes).prompt(p).login_hint(h).port(n).timeout(d).await?`; without a browser the URL is printed on stderr and the sign-in waits, as in Python |
//! | `…, auth_uri_callback=f` (`msal/oauth2cli/authcode.py`), `browser_name=…` | `.on_auth_uri(f)`, `.browser_opener(impl BrowserOpener)` |
//! | `PublicClientApplication.CONSOLE_WINDOW_HANDLE` | `PublicClientApplication::CONSOLE_WINDOW_HANDLE` |
//! | `cca.acquire_token_for_client(scopes, fmi_path=…)` | `cca.acquire_token_for_client(scopes).fmi_path(p).await?` (also `.force_refresh(true)`) |
//! | `cca.acquire_token_on_behalf_of(assertion, scopes)` | `cca.acquire_token_on_behalf_of(assertion, scopes).await?` (cached per assertion) |
//! | `cca.acquire_token_by_user_federated_identity_credential(scopes, assertion, username=u)` | `cca.acquire_token_by_user_federated_identity_credential(scopes, assertion, UserIdentifier::Username(u)).await?` |
//! | `cca.remove_tokens_for_client()` | `cca.remove_tokens_for_client().await?` |
//! | `data={…}`, `params={…}` keyword arguments | `.extra_body_param(k, v)`, `.extra_query_param(k, v)` |
//! | `TokenCache()` / `SerializableTokenCache()` | `TokenCache::new()` (one type, `SerializableTokenCache` is an alias) |
//! | `cache.serialize()` / `cache.deserialize(s)` / `cache.has_state_changed` | `cache.serialize()` / `cache.deserialize(&s)?` / `cache.has_state_changed()` |
//! | `cache.search(credential_type, target=t, query={…})` / `cache.find(…)` (deprecated) | `cache.search(&EntryQuery::new(CredentialType::…).target(t).field(k, v)).await?` → `Vec<cache::CacheEntry>` (expired tokens included, none deleted); `cache.count(CredentialType::…)` |
//! | `cache.modify(credential_type, entry, new_key_value_pairs)` / `modify(…, None)` | `cache.modify(&entry, fields).await?` / `cache.remove_entry(&entry).await?` |
//! | `cache.remove_at(at)`, `remove_rt(rt)`, `remove_idt(idt)` | `cache.remove_access_token(&at)`, `remove_refresh_token(&rt)`, `remove_id_token(&idt)` (`.await?`) |
//! | `cache.add(event, now)` | `cache.add_token_response(cache::TokenEvent::new(…), now).await?` |
//! | `Prompt.SELECT_ACCOUNT` … | `Prompt::SelectAccount` … (`.as_str()` gives the wire value) |
//! | `PopAuthScheme(HTTP_GET, url, nonce)` | `pop::PopAuthScheme::new(HttpMethod::Get, url, nonce)?` (feature `pop`) |
//! | `IdTokenError` | [`IdTokenError`](crate::IdTokenError) (nonce and `max_age` checks of the auth-code flow) |
//! | `SystemAssignedManagedIdentity()` / `UserAssignedManagedIdentity(client_id=…)` | `SystemAssignedManagedIdentity` / `UserAssignedManagedIdentity::client_id(…)` |
//! | `ManagedIdentityClient(mi, http_client=…, token_cache=…)` | `ManagedIdentityClient::new(mi, http).with_token_cache(cache)` |
//! | `mi_client.acquire_token_for_client(resource=r, claims_challenge=c)` | `mi_client.acquire_token_for_client(r).claims_challenge(c).await?` |
//! | `AutoRefresher(factory, expires_in=540)` | `AutoRefresher::new(provider, Duration::from_secs(540))` |
//! | result `dict` | [`AuthenticationResult`](crate::AuthenticationResult) (`.authorization_header()` is ready to send) |
//! | synchronous calls | the same API under `msal::blocking` (feature `blocking`) |
//!
//! ## Constructor arguments and builder options
//!
//! Both builders take these unless marked. `build()` does no network I/O: discovery is lazy and
//! single-flight.
//!
//! | MSAL Python constructor argument | msal-rs builder method |
//! |---|---|
//! | `authority` (URL) | `.authority(url)`; `Authority::from_parts(msal::authority::AZURE_PUBLIC, "contoso")` also works |
//! | `validate_authority` | `.validate_authority(bool)` |
//! | `instance_discovery` None / False / URL | `.instance_discovery(InstanceDiscovery::Enabled / Disabled / Endpoint(url))` |
//! | (the "known authorities" pattern) | `.known_authorities(["login.contoso.com"])`: no instance discovery for these hosts |
//! | `oidc_authority` | `.oidc_authority(url)`; combining it with `.authority` fails in `build()` |
//! | `azure_region` str / True / False / None | `.azure_region(Region::Named(s) / Region::AutoDetect / Region::Disabled)`; unset: `MSAL_FORCE_REGION` (confidential apps) |
//! | `token_cache` | `.token_cache(TokenCache)` (default: a new in-memory cache) |
//! | `http_client` | `.http_client(impl HttpClient + 'static)` |
//! | `verify`, `proxies` | on the transport: `ReqwestClient::builder().add_root_certificate_pem(..)`, `.proxy(..)` |
//! | `timeout` | `.timeout(Duration)`: a `RequestTimeout` on every request (default 30 s) |
//! | `client_claims` (confidential) | `.client_claims(serde_json::Map)`: merged into the assertion payload |
//! | `app_name`, `app_version` | `.app_name(s)`, `.app_version(s)`: the `x-app-name`, `x-app-ver` headers |
//! | `client_capabilities` | `.client_capabilities(["CP1"])` |
//! | `exclude_scopes` | `.exclude_scopes(["offline_access"])`; `"openid"` fails in `build()` |
//! | `http_cache` | `.http_cache(HttpCache)`: throttling state, shareable between apps |
//! | `enable_pii_log` | `.enable_pii_log(bool)`: PII in `tracing` events; secrets are never logged |
//! | `allow_broker`, `enable_broker_on_*` | none: there is no broker (see [Broker parameters](#broker-parameters)) |
//! | (Rust only) | `.pop_key(PopKey)` (feature `pop`), `.clock(..)` (default `CoarseClock`: the wall clock at the kernel tick's resolution), `.sleep_impl(..)`, `.env(Env)`, `.danger_allow_http_authority(bool)` (loopback hosts only) |
//!
//! ## Options every token request takes
//!
//! `.claims_challenge(json)`, `.correlation_id(s)`, `.extra_body_param(k, v)` (Python's `data=`),
//! `.extra_query_param(k, v)` (Python's `params=`) and `.auth_scheme(PopAuthScheme)` (feature
//! `pop`). Confidential apps' requests also take `.forwarded_client_claims(json)`.
//!
//! ## Broker parameters
//!
//! msal-rs has no broker (WAM, the macOS SSO extension, the Linux identity broker): every
//! token comes from the token endpoint, and PoP tokens are signed in-crate. A broker parameter
//! has no builder method; what to do instead:
//!
//! | MSAL Python | what it does there | in msal-rs |
//! |---|---|---|
//! | `enable_broker_on_windows=True` | sign-in through WAM: the Windows account picker, single sign-on with the signed-in Windows account, device-bound tokens | leave it out: `acquire_token_interactive` (feature `interactive`) signs in with the system browser and a loopback redirect; for a token bound to a key use `.auth_scheme(pop::PopAuthScheme)` (feature `pop`). Conditional Access policies that demand a broker (device compliance through the Primary Refresh Token) cannot be met |
//! | `enable_broker_on_mac=True` | sign-in through the Company Portal's SSO extension | leave it out: system browser, as above |
//! | `enable_broker_on_linux=True` | sign-in through the Microsoft identity broker (Intune) | leave it out: system browser, as above |
//! | `enable_broker_on_wsl=True` | sign-in through WAM on the Windows host | leave it out: the system browser on WSL is the Windows one (`SystemBrowser` tries `wslview`, then `explorer.exe`) |
//! | `allow_broker=True` (deprecated there) | the older name of `enable_broker_on_windows` | leave it out, as above |
//! | `parent_window_handle=…` | which window the broker's dialog belongs to | `.parent_window_handle(ParentWindow::…)` is accepted and unused |
//! | `app.is_pop_supported()` | whether a broker can make PoP tokens | `true` with feature `pop` |
//!
//! ## Every MSAL Python name
//!
//! The public names of MSAL Python 1.39 (`msal/__init__.py`) and their Rust counterparts; the
//! methods are in the tables above.
//!
//! | MSAL Python | msal-rs |
//! |---|---|
//! | `ClientApplication` | the [`ClientApplication`](crate::ClientApplication) trait (methods both apps have) |
//! | `PublicClientApplication`, `ConfidentialClientApplication` | [`PublicClientApplication`](crate::PublicClientApplication), [`ConfidentialClientApplication`](crate::ConfidentialClientApplication) (built with `::builder`) |
//! | `app.client_id`, `app.authority`, `app.token_cache` | `app.client_id()`, `app.authority()`, `app.token_cache()` |
//! | `TokenCache`, `SerializableTokenCache` | [`TokenCache`](crate::TokenCache) (`SerializableTokenCache` is an alias) |
//! | `TokenCache.CredentialType.ACCESS_TOKEN` … | [`cache::CredentialType::AccessToken`](crate::cache::CredentialType) … |
//! | `TokenCache.AuthorityType.ADFS` / `MSSTS` | [`AuthorityType::Adfs`](crate::AuthorityType) / `Mssts` |
//! | `Prompt` | [`Prompt`](crate::Prompt) |
//! | `PopAuthScheme`, `PopAuthScheme.HTTP_GET` … | `pop::PopAuthScheme`, `pop::HttpMethod::Get` … (feature `pop`) |
//! | `IdTokenError` | [`IdTokenError`](crate::IdTokenError), inside [`Error::IdToken`](crate::Error::IdToken) |
//! | `ManagedIdentityClient` | `managed_identity::ManagedIdentityClient` (feature `managed-identity`) |
//! | `SystemAssignedManagedIdentity`, `UserAssignedManagedIdentity` | `managed_identity::SystemAssignedManagedIdentity`, `UserAssignedManagedIdentity::client_id / resource_id / object_id` |
//! | `ManagedIdentityError`, `ArcPlatformNotSupportedError` | `Error::ManagedIdentity(ManagedIdentityError::…)`, `ManagedIdentityError::ArcPlatformNotSupported` |
//! | `msal.__version__` | [`VERSION`](crate::VERSION) (and [`SKU`](crate::SKU)) |
//! | result `dict` keys `access_token`, `token_type`, `expires_in`, `id_token_claims`, `refresh_on`, `token_source` … | [`AuthenticationResult`](crate::AuthenticationResult) accessors `access_token()`, `token_type()`, `expires_on()`, `id_token_claims()`, `refresh_on()`, `token_source()` … |
//! | an `"error"` result `dict` | an `Err(Error::…)`: [`Error::Service`](crate::Error::Service) with the `error`, `error_description`, `error_codes`, `suberror`, `correlation_id` fields |
//!
//! ## msal-extensions
//!
//! msal-extensions 1.3 persists MSAL Python's cache; [`cache::FileCacheStore`](crate::cache)
//! (feature `persistence`) reads and writes the same file under the same lock, so Python and Rust
//! programs can share it. [`cache::KeyringCacheStore`](crate::cache) (feature `keyring`) is its
//! encrypted persistence, reading and writing the same keyring items.
//!
//! | msal-extensions | msal-rs |
//! |---|---|
//! | `PersistedTokenCache(persistence)` | [`TokenCache::with_store(store)`](crate::TokenCache::with_store): every read reloads if the file changed, every write locks, reloads and saves |
//! | `PersistedTokenCache(persistence, lock_location=p)` | `FileCacheStore::new(path).lock_path(p)` |
//! | `FilePersistence(location)` | `cache::FileCacheStore::new(location)` |
//! | `persistence.load()`, `persistence.save(data)` | `cache.deserialize(..)` / `cache.serialize()`, or the store's `CacheStore::load` / `save` |
//! | `persistence.time_last_modified()` | `FileCacheStore::last_modified()` (`Ok(None)` where Python raises `PersistenceNotFound`) |
//! | `persistence.get_location()` | `FileCacheStore::path()` |
//! | `CrossPlatLock(lockfile_path)` (a context manager) | `cache::CrossPlatLock::new(path).acquire().await?` or `.acquire_blocking()?`, held until the guard drops |
//! | `LockError` | [`CacheError::LockTimeout`](crate::cache::CacheError) |
//! | `PersistenceNotFound` | none needed: a missing file is an empty cache, `last_modified()` is `Ok(None)` |
//! | `PersistenceError` | [`CacheError::Io`](crate::cache::CacheError), `CacheError::Deserialize` |
//! | `build_encrypted_persistence(location)` | `cache::KeyringCacheStore::new(location)`: the Secret Service or the Keychain with the same defaults, and on headless Linux a file sealed under a kernel-keyring key where Python has nothing |
//! | `LibsecretPersistence(location, schema_name, attributes)` | `KeyringCacheStore::new(location).schema_name(..).attribute(k, v)`, picked when a Secret Service answers |
//! | `KeychainPersistence(location, service_name, account_name)` | `KeyringCacheStore::new(location).keychain_service(..).keychain_account(..)` |
//! | `FilePersistenceWithDataProtection` (Windows DPAPI) | not supported: `KeyringCacheStore` reports that no encrypted backend exists on Windows; give `FileCacheStore` your own `FileCodec` with [`FileCacheStore::codec`](crate::cache) |
//! | `persistence.is_encrypted`; `get_location()`, `time_last_modified()` of an encrypted persistence | `KeyringCacheStore::backend().await? != KeyringBackend::Plaintext`; `location()`, `last_modified()` (the signal file's, as msal-extensions reads it) |
//! | `libsecret.trial_run()` | `KeyringCacheStore::backend().await`: picks the backend now and says which, or why none works |
//! | `fallback_to_plaintext=True` (msal-extensions' samples) | `KeyringCacheStore::fallback_to_plaintext(true)`, logged as a warning; off by default |
//! | `PersistenceEncryptionError`, `PersistenceDecryptionError` | `cache::KeyringError` inside [`CacheError::Store`](crate::cache::CacheError); a sealed file whose key is gone is an empty cache in a new process (sign in again), never an error |
//! | (a cache shared by a web farm) | the `msal-cache-redis` crate's `RedisCacheStore` |
