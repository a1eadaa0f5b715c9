//! The synchronous API (feature `blocking`): the same applications, builders and requests, but
//! `send()` blocks the calling thread and returns the result.
//!
//! Each application owns a small current-thread tokio runtime (as `reqwest::blocking` does);
//! clones share it. Request builders here do not implement `IntoFuture`.
//!
//! ```no_run
//! use msal::blocking::ConfidentialClientApplication;
//! use msal::ClientCredential;
//!
//! # fn daemon() -> msal::Result<()> {
//! let app = ConfidentialClientApplication::builder("client-id", ClientCredential::secret("secret"))
//!     .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")?
//!     .build()?;
//! let token = app.acquire_token_for_client(["https://graph.microsoft.com/.default"]).send()?;
//! # let _ = token; Ok(()) }
//! ```
//!
//! # Panics
//!
//! `send()` panics when called from inside an async runtime (tokio will not block a thread that
//! drives async tasks), and so does dropping the last clone of an application there. This is the
//! contract of `reqwest::blocking` too: in async code, use the async API.

mod requests;

use std::{fmt, sync::Arc, time::Duration};

use msal_core::{
    AccessToken, AsyncSleep, AuthorizationCode, ClientCredential, Clock, Env, Error, Password,
    RefreshToken, Result, http::HttpClient,
};
use tokio::runtime::Runtime;

pub use requests::*;

use crate::{
    Account, AuthCodeFlow, AuthResponse, DeviceFlow, ParentWindow, TokenCache, UserIdentifier,
    authority::Authority,
};

/// A runtime for one application: current-thread, with tokio's I/O and timers.
fn runtime() -> Result<Arc<Runtime>> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(Arc::new)
        .map_err(|e| Error::Configuration(format!("could not start the blocking runtime: {e}")))
}

pub(crate) mod sealed {
    /// Keeps [`ClientApplication`](super::ClientApplication) implementable only in this crate.
    pub trait Sealed {
        /// The async application wrapped.
        type Async: crate::ClientApplication;
        #[doc(hidden)]
        fn parts(&self) -> (&Self::Async, &tokio::runtime::Runtime);
    }
}

/// What both blocking application kinds can do: [`crate::ClientApplication`], synchronously.
pub trait ClientApplication: Send + Sync + fmt::Debug + sealed::Sealed {
    /// The application (client) id.
    fn client_id(&self) -> &str {
        crate::ClientApplication::client_id(self.parts().0)
    }

    /// The configured authority.
    fn authority(&self) -> &Authority {
        crate::ClientApplication::authority(self.parts().0)
    }

    /// The token cache.
    fn token_cache(&self) -> &TokenCache {
        crate::ClientApplication::token_cache(self.parts().0)
    }

    /// The accounts signed in to this app, from the cache (no network).
    fn get_accounts(&self) -> GetAccounts<'_> {
        let (app, rt) = self.parts();
        GetAccounts::new(rt, crate::ClientApplication::get_accounts(app))
    }

    /// Signs an account out of this app: removes its tokens from the cache.
    fn remove_account(&self, account: &Account) -> RemoveAccount<'_> {
        let (app, rt) = self.parts();
        RemoveAccount::new(rt, crate::ClientApplication::remove_account(app, account))
    }

    /// A token for `account` from the cache, refreshed with its refresh token if needed.
    fn acquire_token_silent(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
        account: &Account,
    ) -> AcquireTokenSilent<'_> {
        let (app, rt) = self.parts();
        let inner = crate::ClientApplication::acquire_token_silent(app, scopes, account);
        AcquireTokenSilent::new(rt, inner)
    }

    /// Starts the authorization code flow with PKCE.
    fn initiate_auth_code_flow(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> InitiateAuthCodeFlow<'_> {
        let (app, rt) = self.parts();
        let inner = crate::ClientApplication::initiate_auth_code_flow(app, scopes);
        InitiateAuthCodeFlow::new(rt, inner)
    }

    /// Completes the authorization code flow with what came back to the redirect URI.
    fn acquire_token_by_auth_code_flow(
        &self,
        flow: &AuthCodeFlow,
        response: AuthResponse,
    ) -> AcquireTokenByAuthCodeFlow<'_> {
        let (app, rt) = self.parts();
        let inner = crate::ClientApplication::acquire_token_by_auth_code_flow(app, flow, response);
        AcquireTokenByAuthCodeFlow::new(rt, inner)
    }

    /// The sign-in URL without PKCE (deprecated).
    #[deprecated(note = "use initiate_auth_code_flow, which adds PKCE, state and nonce checks")]
    fn get_authorization_request_url(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> GetAuthorizationRequestUrl<'_> {
        let (app, rt) = self.parts();
        #[expect(deprecated, reason = "the blocking twin of a deprecated method")]
        let inner = crate::ClientApplication::get_authorization_request_url(app, scopes);
        GetAuthorizationRequestUrl::new(rt, inner)
    }

    /// Redeems an authorization code obtained without PKCE (deprecated).
    #[deprecated(note = "use acquire_token_by_auth_code_flow")]
    fn acquire_token_by_authorization_code(
        &self,
        code: impl Into<AuthorizationCode>,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> AcquireTokenByAuthorizationCode<'_> {
        let (app, rt) = self.parts();
        #[expect(deprecated, reason = "the blocking twin of a deprecated method")]
        let inner =
            crate::ClientApplication::acquire_token_by_authorization_code(app, code, scopes);
        AcquireTokenByAuthorizationCode::new(rt, inner)
    }

    /// Redeems a refresh token obtained elsewhere (migration into this cache).
    fn acquire_token_by_refresh_token(
        &self,
        refresh_token: impl Into<RefreshToken>,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> AcquireTokenByRefreshToken<'_> {
        let (app, rt) = self.parts();
        let inner =
            crate::ClientApplication::acquire_token_by_refresh_token(app, refresh_token, scopes);
        AcquireTokenByRefreshToken::new(rt, inner)
    }

    /// Username/password (resource owner password credentials).
    #[deprecated(note = "ROPC is deprecated by Microsoft; use interactive or device code")]
    fn acquire_token_by_username_password(
        &self,
        username: impl Into<String>,
        password: impl Into<Password>,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> AcquireTokenByUsernamePassword<'_> {
        let (app, rt) = self.parts();
        #[expect(deprecated, reason = "the blocking twin of a deprecated method")]
        let inner = crate::ClientApplication::acquire_token_by_username_password(
            app, username, password, scopes,
        );
        AcquireTokenByUsernamePassword::new(rt, inner)
    }

    /// Whether `.auth_scheme(PopAuthScheme)` works (feature `pop`).
    fn is_pop_supported(&self) -> bool {
        crate::ClientApplication::is_pop_supported(self.parts().0)
    }
}

/// Forwards builder options that return `Self` to the async builder.
macro_rules! forward_builder {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            #[doc = concat!("Same as the async builder's `", stringify!($method), "`.")]
            pub fn $method(self, $($arg: $ty),*) -> Self {
                Self { inner: self.inner.$method($($arg),*) }
            }
        )*
    };
}

/// The options both builders share (see [`crate::guide`]).
macro_rules! common_builder {
    () => {
        /// The authority (a URL, or `Authority::from_parts(..)`).
        pub fn authority(self, authority: impl crate::authority::IntoAuthority) -> Result<Self> {
            Ok(Self {
                inner: self.inner.authority(authority)?,
            })
        }

        /// A generic OpenID Connect provider instead of an Entra authority.
        pub fn oidc_authority(self, url: impl Into<String>) -> Result<Self> {
            Ok(Self {
                inner: self.inner.oidc_authority(url)?,
            })
        }

        forward_builder! {
            validate_authority(yes: bool);
            instance_discovery(d: crate::authority::InstanceDiscovery);
            known_authorities(hosts: impl IntoIterator<Item = impl Into<String>>);
            token_cache(cache: TokenCache);
            http_client(client: impl HttpClient + 'static);
            timeout(timeout: Duration);
            app_name(name: impl Into<String>);
            app_version(version: impl Into<String>);
            client_capabilities(caps: impl IntoIterator<Item = impl Into<String>>);
            exclude_scopes(scopes: impl IntoIterator<Item = impl Into<String>>);
            http_cache(cache: crate::HttpCache);
            enable_pii_log(yes: bool);
            clock(clock: impl Clock + 'static);
            sleep_impl(sleep: impl AsyncSleep + 'static);
            env(env: Env);
            danger_allow_http_authority(yes: bool);
            discovery_cache(cache: crate::authority::DiscoveryCache);
        }

        /// The PoP key for `.auth_scheme(..)` (feature `pop`).
        #[cfg(feature = "pop")]
        #[cfg_attr(docsrs, doc(cfg(feature = "pop")))]
        pub fn pop_key(self, key: msal_pop::PopKey) -> Self {
            Self {
                inner: self.inner.pop_key(key),
            }
        }
    };
}

/// A public client whose requests block: see [`crate::PublicClientApplication`].
#[derive(Clone, Debug)]
pub struct PublicClientApplication {
    app: crate::PublicClientApplication,
    rt: Arc<Runtime>,
}

impl sealed::Sealed for PublicClientApplication {
    type Async = crate::PublicClientApplication;
    fn parts(&self) -> (&Self::Async, &Runtime) {
        (&self.app, &self.rt)
    }
}

impl ClientApplication for PublicClientApplication {}

impl PublicClientApplication {
    /// For `parent_window_handle` in console apps.
    pub const CONSOLE_WINDOW_HANDLE: ParentWindow = ParentWindow::Console;

    /// A builder for the app registered as `client_id`.
    pub fn builder(client_id: impl Into<String>) -> PublicClientApplicationBuilder {
        PublicClientApplicationBuilder {
            inner: crate::PublicClientApplication::builder(client_id),
        }
    }

    /// Wraps an async app (sharing its cache and configuration) with a new runtime.
    pub fn from_async(app: crate::PublicClientApplication) -> Result<Self> {
        Ok(Self {
            app,
            rt: runtime()?,
        })
    }

    /// The async app inside.
    pub fn as_async(&self) -> &crate::PublicClientApplication {
        &self.app
    }

    /// Starts a device-code sign-in.
    pub fn initiate_device_flow(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> InitiateDeviceFlow<'_> {
        InitiateDeviceFlow::new(&self.rt, self.app.initiate_device_flow(scopes))
    }

    /// Polls until the user completes (or declines) the device-code sign-in.
    pub fn acquire_token_by_device_flow(&self, flow: &DeviceFlow) -> AcquireTokenByDeviceFlow<'_> {
        AcquireTokenByDeviceFlow::new(&self.rt, self.app.acquire_token_by_device_flow(flow))
    }

    /// Both device-code legs in one call, with a callback to show the message.
    pub fn acquire_token_with_device_code(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> AcquireTokenWithDeviceCode<'_> {
        AcquireTokenWithDeviceCode::new(&self.rt, self.app.acquire_token_with_device_code(scopes))
    }

    /// Signs the user in with the system browser and a loopback redirect.
    #[cfg(feature = "interactive")]
    #[cfg_attr(docsrs, doc(cfg(feature = "interactive")))]
    pub fn acquire_token_interactive(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> AcquireTokenInteractive<'_> {
        AcquireTokenInteractive::new(&self.rt, self.app.acquire_token_interactive(scopes))
    }
}

/// Builds a blocking [`PublicClientApplication`]; the options are the async builder's.
#[derive(Debug)]
pub struct PublicClientApplicationBuilder {
    inner: crate::PublicClientApplicationBuilder,
}

impl PublicClientApplicationBuilder {
    common_builder!();

    /// Builds the app and its runtime.
    pub fn build(self) -> Result<PublicClientApplication> {
        PublicClientApplication::from_async(self.inner.build()?)
    }
}

/// A confidential client whose requests block: see [`crate::ConfidentialClientApplication`].
#[derive(Clone, Debug)]
pub struct ConfidentialClientApplication {
    app: crate::ConfidentialClientApplication,
    rt: Arc<Runtime>,
}

impl sealed::Sealed for ConfidentialClientApplication {
    type Async = crate::ConfidentialClientApplication;
    fn parts(&self) -> (&Self::Async, &Runtime) {
        (&self.app, &self.rt)
    }
}

impl ClientApplication for ConfidentialClientApplication {}

impl ConfidentialClientApplication {
    /// A builder for the app `client_id` with its credential.
    pub fn builder(
        client_id: impl Into<String>,
        credential: ClientCredential,
    ) -> ConfidentialClientApplicationBuilder {
        ConfidentialClientApplicationBuilder {
            inner: crate::ConfidentialClientApplication::builder(client_id, credential),
        }
    }

    /// Wraps an async app (sharing its cache and configuration) with a new runtime.
    pub fn from_async(app: crate::ConfidentialClientApplication) -> Result<Self> {
        Ok(Self {
            app,
            rt: runtime()?,
        })
    }

    /// The async app inside.
    pub fn as_async(&self) -> &crate::ConfidentialClientApplication {
        &self.app
    }

    /// An app-only token (client credentials), from the cache when possible.
    pub fn acquire_token_for_client(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> AcquireTokenForClient<'_> {
        AcquireTokenForClient::new(&self.rt, self.app.acquire_token_for_client(scopes))
    }

    /// A token for a downstream API on behalf of the user whose token this API received.
    pub fn acquire_token_on_behalf_of(
        &self,
        user_assertion: impl Into<AccessToken>,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> AcquireTokenOnBehalfOf<'_> {
        let inner = self.app.acquire_token_on_behalf_of(user_assertion, scopes);
        AcquireTokenOnBehalfOf::new(&self.rt, inner)
    }

    /// A user token from a user federated identity credential.
    pub fn acquire_token_by_user_federated_identity_credential(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
        assertion: impl Into<String>,
        user: UserIdentifier,
    ) -> AcquireTokenByUserFic<'_> {
        let inner = self
            .app
            .acquire_token_by_user_federated_identity_credential(scopes, assertion, user);
        AcquireTokenByUserFic::new(&self.rt, inner)
    }

    /// Removes this app's app-only tokens from the cache.
    pub fn remove_tokens_for_client(&self) -> RemoveTokensForClient<'_> {
        RemoveTokensForClient::new(&self.rt, self.app.remove_tokens_for_client())
    }
}

/// Builds a blocking [`ConfidentialClientApplication`]; the options are the async builder's.
#[derive(Debug)]
pub struct ConfidentialClientApplicationBuilder {
    inner: crate::ConfidentialClientApplicationBuilder,
}

impl ConfidentialClientApplicationBuilder {
    common_builder!();

    forward_builder! {
        azure_region(region: crate::authority::Region);
        client_claims(claims: serde_json::Map<String, serde_json::Value>);
    }

    /// Builds the app and its runtime.
    pub fn build(self) -> Result<ConfidentialClientApplication> {
        ConfidentialClientApplication::from_async(self.inner.build()?)
    }
}

#[cfg(feature = "managed-identity")]
mod managed_identity;
#[cfg(feature = "managed-identity")]
#[cfg_attr(docsrs, doc(cfg(feature = "managed-identity")))]
pub use managed_identity::ManagedIdentityClient;
