#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Examples must compile cleanly: a warning in a doctest is a wart a user copies.
#![doc(test(attr(deny(warnings), allow(dead_code))))]

mod app;
#[cfg(feature = "azure-core")]
#[cfg_attr(docsrs, doc(cfg(feature = "azure-core")))]
pub mod azure;
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
    AuthorityType, AuthorizationCode, Certificate, CertificateError, ClientCredential,
    ClientSecret, Clock, CoarseClock, Env, Error, IdToken, IdTokenClaims, IdTokenError,
    InstantSleep, InteractionReason, ManualClock, ManualSleep, Password, PrivateKeyPem, Prompt,
    RefreshToken, ResponseMode, Result, SKU, ServiceError, SystemClock, TokenSource, VERSION,
    credential::AutoRefresher,
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
    pub use msal_cache::{
        AccessKind, AccessTokenQuery, AppMetadata, CacheAccess, CacheEntry, CacheError, CacheLock,
        CacheStore, CachedAccessToken, CachedIdToken, CachedRefreshToken, CredentialType,
        EXPIRY_BUFFER, EntryQuery, Freshness, RefreshTokenQuery, SerializableTokenCache,
        TokenCache, TokenEvent, check_serialized,
    };
    #[cfg(feature = "persistence")]
    #[cfg_attr(docsrs, doc(cfg(feature = "persistence")))]
    pub use msal_cache::{CrossPlatLock, CrossPlatLockGuard, Decoded, FileCacheStore, FileCodec};
    #[cfg(feature = "keyring")]
    #[cfg_attr(docsrs, doc(cfg(feature = "keyring")))]
    pub use msal_cache_keyring::{KeyringBackend, KeyringCacheStore, KeyringError};
}

/// ID tokens: decoding without validation (MSAL Python 1.38+ does not validate them either).
pub mod id_token {
    pub use msal_core::{
        IdTokenClaims, IdTokenError,
        id_token::{ClientInfo, decode_unverified},
    };
}

/// Throttling state shared between apps (`.http_cache(..)`).
pub use msal_core::HttpCache;

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

/// The repository README's examples, compiled as doctests so the first code a user reads stays
/// true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct RepositoryReadme;
