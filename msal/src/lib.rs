//! # msal: the Microsoft Authentication Library for Rust
//!
//! Sign users and apps in with Microsoft Entra ID (and AD FS, B2C, External ID, any OpenID
//! Connect provider), with the API of MSAL Python 1.39 in idiomatic async Rust:
//!
//! | scenario | app | call |
//! |---|---|---|
//! | web app sign-in | [`ConfidentialClientApplication`] | [`initiate_auth_code_flow`](ClientApplication::initiate_auth_code_flow), [`acquire_token_by_auth_code_flow`](ClientApplication::acquire_token_by_auth_code_flow) |
//! | desktop app | [`PublicClientApplication`] | [`acquire_token_silent`](ClientApplication::acquire_token_silent), then `acquire_token_interactive` (feature `interactive`) |
//! | browserless device | [`PublicClientApplication`] | [`acquire_token_with_device_code`](PublicClientApplication::acquire_token_with_device_code) |
//! | daemon | [`ConfidentialClientApplication`] | [`acquire_token_for_client`](ConfidentialClientApplication::acquire_token_for_client) |
//! | Azure-hosted workload | `managed_identity::ManagedIdentityClient` (feature `managed-identity`) | `acquire_token_for_client(resource)` |
//!
//! Every call returns a request builder: chain options, then `.await` it (or call `.send()`).
//! The [`guide`] explains scenarios, crates, errors, caching and logging, and maps every MSAL
//! Python method to its msal-rs call.
//! Tokens are cached in a [`TokenCache`] whose JSON is MSAL Python's, so a cache file is shared
//! with MSAL Python, msal-extensions, MSAL.NET and msal-node.
//!
//! ```no_run
//! use msal::prelude::*;
//! use msal::{ClientCredential, ConfidentialClientApplication};
//!
//! # async fn daemon() -> msal::Result<()> {
//! let app = ConfidentialClientApplication::builder("client-id", ClientCredential::secret("secret"))
//!     .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")?
//!     .build()?;
//! let token = app.acquire_token_for_client(["https://graph.microsoft.com/.default"]).await?;
//! let header = token.authorization_header(); // "Bearer …", marked sensitive
//! # let _ = header; Ok(()) }
//! ```
//!
//! ## Persisting and sharing the cache
//! A [`TokenCache`] is in memory until given a [`cache::CacheStore`]:
//! - `cache::FileCacheStore` (feature `persistence`): one file, MSAL Python's format, shared
//!   safely between processes with msal-extensions' lock-file convention;
//! - `msal_cache_redis::RedisCacheStore` (crate `msal-cache-redis`): for fleets of web apps or
//!   daemons, one Redis key per partition (app tokens per client and tenant, user tokens per
//!   account) behind a short in-process L1, with merging writes so instances never lose each
//!   other's tokens, and token acquisition that keeps working while Redis is down;
//! - your own: implement [`cache::CacheStore`] (`load`/`save`/`lock`, optionally partitioned).
//!
//! ```no_run
//! # async fn run() -> msal::Result<()> {
//! # #[cfg(feature = "persistence")] {
//! use msal::{TokenCache, cache::FileCacheStore};
//! let cache = TokenCache::with_store(FileCacheStore::new("msal_cache.json"));
//! let app = msal::PublicClientApplication::builder("client-id").token_cache(cache).build()?;
//! # let _ = app; }
//! # Ok(()) }
//! ```
//!
//! ## Features
//! `reqwest` + `rustls` (default): the transport. `hyper`: the hyper transport. `interactive`:
//! system-browser sign-in. `pop`: Proof-of-Possession tokens. `managed-identity`. `persistence`:
//! `cache::FileCacheStore`. `pkcs12`. `blocking`. `full`: all but `native-tls`. With no
//! transport feature the crate still builds and accepts any [`http::HttpClient`].
//!
//! ## Differences from MSAL Python 1.39
//! Async-first; typed errors instead of error dictionaries (`.optional()` and `.ok()` give
//! Python's silent semantics); no broker, so PoP SHRs are signed in-crate; on-behalf-of results
//! are cached by assertion hash; `force_refresh` works for client credentials; a proactive
//! refresh that fails with 5xx or a transport error returns the still-valid cached token;
//! `build()` never touches the network.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod app;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod flows;
pub mod guide;
pub mod http;
#[cfg(feature = "interactive")]
mod interactive;
mod request;
mod token_future;

pub use app::{
    ClientApplication, ConfidentialClientApplication, ConfidentialClientApplicationBuilder,
    ParentWindow, PublicClientApplication, PublicClientApplicationBuilder,
};
pub use flows::{
    accounts::{GetAccounts, RemoveAccount, RemoveTokensForClient},
    auth_code::{AcquireTokenByAuthCodeFlow, AuthCodeFlow, AuthResponse, InitiateAuthCodeFlow},
    client_credentials::AcquireTokenForClient,
    device_code::{
        AcquireTokenByDeviceFlow, AcquireTokenWithDeviceCode, DeviceFlow, InitiateDeviceFlow,
    },
    legacy_auth_code::{AcquireTokenByAuthorizationCode, GetAuthorizationRequestUrl},
    obo::AcquireTokenOnBehalfOf,
    refresh_token::AcquireTokenByRefreshToken,
    silent::{AcquireTokenSilent, SilentResultExt},
    user_fic::{AcquireTokenByUserFic, UserIdentifier},
    username_password::AcquireTokenByUsernamePassword,
};
#[cfg(feature = "interactive")]
#[cfg_attr(docsrs, doc(cfg(feature = "interactive")))]
pub use interactive::{AcquireTokenInteractive, BrowserOpener, SystemBrowser, Ui};
pub use msal_cache::{SerializableTokenCache, TokenCache};
pub use msal_core::{
    AccessToken, Account, AssertionContext, AssertionProvider, AsyncSleep, AuthenticationResult,
    AuthorityType, AuthorizationCode, Certificate, ClientCredential, ClientSecret, Clock, Env,
    Error, IdToken, IdTokenClaims, IdTokenError, InstantSleep, InteractionReason, ManualClock,
    ManualSleep, Password, PrivateKeyPem, Prompt, RefreshToken, ResponseMode, Result, SKU,
    ServiceError, SystemClock, TokenSource, VERSION, credential::AutoRefresher,
};
pub use token_future::TokenRequestFuture;

/// The traits most apps need: `use msal::prelude::*;`.
pub mod prelude {
    pub use crate::{ClientApplication, SilentResultExt};
}

/// Authorities: parsing, discovery, regions, cloud host constants.
pub mod authority {
    pub use msal_authority::{
        AZURE_GOV_DE, AZURE_GOV_FR, AZURE_GOV_SG, AZURE_PUBLIC, AZURE_US_GOVERNMENT, Authority,
        AuthorityKind, DEPRECATED_AZURE_CHINA, DiscoveryCache, InstanceDiscovery, IntoAuthority,
        Region, WELL_KNOWN_AUTHORITY_HOSTS,
    };
}

/// The token cache and its persistence hooks.
pub mod cache {
    #[cfg(feature = "persistence")]
    #[cfg_attr(docsrs, doc(cfg(feature = "persistence")))]
    pub use msal_cache::FileCacheStore;
    pub use msal_cache::{
        AccessKind, CacheAccess, CacheError, CacheLock, CacheStore, CredentialType,
        SerializableTokenCache, TokenCache,
    };
}

/// ID tokens: decoding without validation (MSAL Python 1.38+ does not validate them either).
pub mod id_token {
    pub use msal_core::{
        IdTokenClaims, IdTokenError,
        id_token::{ClientInfo, decode_unverified},
    };
}

/// Throttling state shared between apps (`.http_cache(..)`).
pub use msal_core::token_endpoint::throttle::HttpCache;

/// Proof-of-Possession (feature `pop`).
#[cfg(feature = "pop")]
#[cfg_attr(docsrs, doc(cfg(feature = "pop")))]
pub mod pop {
    pub use msal_pop::*;
}

/// Managed identity (feature `managed-identity`).
#[cfg(feature = "managed-identity")]
#[cfg_attr(docsrs, doc(cfg(feature = "managed-identity")))]
pub mod managed_identity {
    pub use msal_managed_identity::*;
}
