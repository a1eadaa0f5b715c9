//! The applications: [`PublicClientApplication`] (desktop, mobile, CLI, devices) and
//! [`ConfidentialClientApplication`] (web apps, APIs, daemons), sharing [`ClientApplication`].

pub(crate) mod builder;
mod confidential;
pub(crate) mod core;
pub(crate) mod grant;
pub(crate) mod hit;
mod public;

use std::sync::Arc;

use msal_authority::Authority;
use msal_cache::TokenCache;
use msal_core::{Account, AuthorizationCode, Password, RefreshToken, token_endpoint::scopes};

pub use confidential::{ConfidentialClientApplication, ConfidentialClientApplicationBuilder};
pub use public::{ParentWindow, PublicClientApplication, PublicClientApplicationBuilder};

use crate::{
    flows::{
        accounts::{GetAccounts, RemoveAccount},
        auth_code::{
            AcquireTokenByAuthCodeFlow, AuthCodeFlow, AuthResponse, AuthorizeParams,
            InitiateAuthCodeFlow,
        },
        legacy_auth_code::{AcquireTokenByAuthorizationCode, GetAuthorizationRequestUrl},
        refresh_token::AcquireTokenByRefreshToken,
        silent::AcquireTokenSilent,
        username_password::AcquireTokenByUsernamePassword,
    },
    request::RequestOptions,
};

pub(crate) mod sealed {
    /// Keeps [`ClientApplication`](super::ClientApplication) implementable only in this crate.
    pub trait Sealed {
        #[doc(hidden)]
        fn core(&self) -> &super::core::AppCore;
    }
}

/// What both application kinds can do (MSAL Python's `ClientApplication` base class).
///
/// Sealed: implemented by [`PublicClientApplication`] and [`ConfidentialClientApplication`]
/// only. Bring it into scope with `use msal::prelude::*`.
pub trait ClientApplication: Send + Sync + std::fmt::Debug + sealed::Sealed {
    /// The application (client) id.
    fn client_id(&self) -> &str {
        &self.core().client_id
    }

    /// The configured authority.
    fn authority(&self) -> &Authority {
        &self.core().authority
    }

    /// The token cache.
    fn token_cache(&self) -> &TokenCache {
        &self.core().cache
    }

    /// The accounts signed in to this app, from the cache (no network).
    fn get_accounts(&self) -> GetAccounts<'_> {
        GetAccounts {
            core: self.core(),
            username: None,
            home_account_id: None,
        }
    }

    /// Signs an account out of this app: removes its tokens from the cache.
    fn remove_account(&self, account: &Account) -> RemoveAccount<'_> {
        RemoveAccount {
            core: self.core(),
            account: account.clone(),
        }
    }

    /// A token for `account` from the cache, refreshed with its refresh token if needed.
    fn acquire_token_silent(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
        account: &Account,
    ) -> AcquireTokenSilent<'_> {
        AcquireTokenSilent {
            core: self.core(),
            scopes: crate::request::RequestedScopes::collect(scopes),
            account: account.clone(),
            options: RequestOptions::default(),
            force_refresh: false,
        }
    }

    /// Starts the authorization code flow with PKCE: returns the URL to send the browser to and
    /// the state to keep until the callback.
    fn initiate_auth_code_flow(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> InitiateAuthCodeFlow<'_> {
        InitiateAuthCodeFlow {
            core: self.core(),
            scopes: scopes::collect(scopes),
            params: AuthorizeParams::default(),
        }
    }

    /// Completes the authorization code flow with what came back to the redirect URI.
    fn acquire_token_by_auth_code_flow(
        &self,
        flow: &AuthCodeFlow,
        response: AuthResponse,
    ) -> AcquireTokenByAuthCodeFlow<'_> {
        AcquireTokenByAuthCodeFlow {
            core: self.core(),
            flow: flow.clone(),
            response,
            scopes: None,
            options: RequestOptions::default(),
        }
    }

    /// The sign-in URL without PKCE (deprecated).
    #[deprecated(note = "use initiate_auth_code_flow, which adds PKCE, state and nonce checks")]
    fn get_authorization_request_url(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> GetAuthorizationRequestUrl<'_> {
        GetAuthorizationRequestUrl {
            core: self.core(),
            scopes: scopes::collect(scopes),
            params: Vec::new(),
        }
    }

    /// Redeems an authorization code obtained without PKCE (deprecated).
    #[deprecated(note = "use acquire_token_by_auth_code_flow")]
    fn acquire_token_by_authorization_code(
        &self,
        code: impl Into<AuthorizationCode>,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> AcquireTokenByAuthorizationCode<'_> {
        AcquireTokenByAuthorizationCode {
            core: self.core(),
            code: code.into(),
            scopes: scopes::collect(scopes),
            redirect_uri: None,
            nonce: None,
            options: RequestOptions::default(),
        }
    }

    /// Redeems a refresh token obtained elsewhere (migration into this cache).
    fn acquire_token_by_refresh_token(
        &self,
        refresh_token: impl Into<RefreshToken>,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> AcquireTokenByRefreshToken<'_> {
        AcquireTokenByRefreshToken {
            core: self.core(),
            refresh_token: refresh_token.into(),
            scopes: scopes::collect(scopes),
            options: RequestOptions::default(),
        }
    }

    /// Username/password (resource owner password credentials).
    #[deprecated(note = "ROPC is deprecated by Microsoft; use interactive or device code")]
    fn acquire_token_by_username_password(
        &self,
        username: impl Into<String>,
        password: impl Into<Password>,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> AcquireTokenByUsernamePassword<'_> {
        AcquireTokenByUsernamePassword {
            core: self.core(),
            username: username.into(),
            password: password.into(),
            scopes: scopes::collect(scopes),
            options: RequestOptions::default(),
        }
    }

    /// Whether `.auth_scheme(PopAuthScheme)` works: true when built with the `pop` feature (we
    /// sign Signed HTTP Requests ourselves; no broker needed).
    fn is_pop_supported(&self) -> bool {
        cfg!(feature = "pop")
    }
}

/// Shared by both app types: an `Arc` so clones are cheap and share cache, throttles and
/// discovery.
pub(crate) type Shared = Arc<self::core::AppCore>;
