//! The blocking request builders: each wraps the async builder of the same name, forwards its
//! options, and runs `send()` on the app's runtime.

use std::{future::Future, time::Duration};

use msal_core::{AuthenticationResult, Prompt, ResponseMode, Result};
use tokio::runtime::Runtime;

use crate::{Account, AuthCodeFlow, DeviceFlow};

/// Declares a blocking request builder over the async one: the options listed are forwarded
/// unchanged, and `send()` blocks on the app's runtime.
macro_rules! blocking_request {
    (
        $(#[$doc:meta])*
        $name:ident = $($async:ident)::+ => $out:ty;
        $( fn $method:ident($($arg:ident: $ty:ty),*); )*
    ) => {
        $(#[$doc])*
        #[must_use = "a request does nothing until it is sent"]
        #[derive(Debug)]
        pub struct $name<'a> {
            rt: &'a Runtime,
            inner: $($async)::+<'a>,
        }

        impl<'a> $name<'a> {
            pub(crate) fn new(rt: &'a Runtime, inner: $($async)::+<'a>) -> Self {
                Self { rt, inner }
            }

            $(
                #[doc = concat!("Same as the async request's `", stringify!($method), "`.")]
                pub fn $method(self, $($arg: $ty),*) -> Self {
                    Self { rt: self.rt, inner: self.inner.$method($($arg),*) }
                }
            )*

            /// Runs the request, blocking this thread until it completes.
            ///
            /// # Panics
            ///
            /// When called from inside an async runtime (tokio refuses to block a thread that
            /// drives async tasks): use the async API there.
            pub fn send(self) -> Result<$out> {
                self.rt.block_on(self.inner.send())
            }
        }
    };
}

/// The options every token request takes (see [`crate::guide`]), forwarded.
macro_rules! common_options {
    ($name:ident) => {
        impl<'a> $name<'a> {
            /// A claims challenge (JSON) to satisfy; skips the token cache.
            pub fn claims_challenge(self, claims: impl Into<String>) -> Self {
                Self {
                    rt: self.rt,
                    inner: self.inner.claims_challenge(claims),
                }
            }

            /// The `client-request-id` to send (a new UUID by default).
            pub fn correlation_id(self, id: impl Into<String>) -> Self {
                Self {
                    rt: self.rt,
                    inner: self.inner.correlation_id(id),
                }
            }

            /// An extra form field for the token request (Python's `data=`).
            pub fn extra_body_param(
                self,
                key: impl Into<String>,
                value: impl Into<String>,
            ) -> Self {
                Self {
                    rt: self.rt,
                    inner: self.inner.extra_body_param(key, value),
                }
            }

            /// An extra query parameter for the token request (Python's `params=`).
            pub fn extra_query_param(
                self,
                key: impl Into<String>,
                value: impl Into<String>,
            ) -> Self {
                Self {
                    rt: self.rt,
                    inner: self.inner.extra_query_param(key, value),
                }
            }

            /// Claims forwarded into the request's `claims`, confidential clients only.
            pub fn forwarded_client_claims(self, claims: impl Into<String>) -> Self {
                Self {
                    rt: self.rt,
                    inner: self.inner.forwarded_client_claims(claims),
                }
            }

            /// Requests a Proof-of-Possession token (feature `pop`).
            #[cfg(feature = "pop")]
            #[cfg_attr(docsrs, doc(cfg(feature = "pop")))]
            pub fn auth_scheme(self, scheme: msal_pop::PopAuthScheme) -> Self {
                Self {
                    rt: self.rt,
                    inner: self.inner.auth_scheme(scheme),
                }
            }
        }
    };
}

blocking_request! {
    /// `get_accounts`, blocking.
    GetAccounts = crate::GetAccounts => Vec<Account>;
    fn username(username: impl Into<String>);
    fn home_account_id(home_account_id: impl Into<String>);
}

blocking_request! {
    /// `remove_account`, blocking.
    RemoveAccount = crate::RemoveAccount => ();
}

blocking_request! {
    /// `remove_tokens_for_client`, blocking.
    RemoveTokensForClient = crate::RemoveTokensForClient => ();
}

blocking_request! {
    /// `acquire_token_silent`, blocking.
    AcquireTokenSilent = crate::AcquireTokenSilent => AuthenticationResult;
    fn force_refresh(yes: bool);
}
common_options!(AcquireTokenSilent);

blocking_request! {
    /// `initiate_auth_code_flow`, blocking.
    InitiateAuthCodeFlow = crate::InitiateAuthCodeFlow => AuthCodeFlow;
    fn redirect_uri(uri: impl Into<String>);
    fn state(state: impl Into<String>);
    fn prompt(prompt: Prompt);
    fn login_hint(hint: impl Into<String>);
    fn domain_hint(hint: impl Into<String>);
    fn claims_challenge(claims: impl Into<String>);
    fn max_age(max_age: Duration);
    fn response_mode(mode: ResponseMode);
    fn extra_query_param(key: impl Into<String>, value: impl Into<String>);
}

blocking_request! {
    /// `acquire_token_by_auth_code_flow`, blocking.
    AcquireTokenByAuthCodeFlow = crate::AcquireTokenByAuthCodeFlow => AuthenticationResult;
    fn scopes(scopes: impl IntoIterator<Item = impl AsRef<str>>);
}
common_options!(AcquireTokenByAuthCodeFlow);

blocking_request! {
    /// `get_authorization_request_url` (deprecated), blocking.
    GetAuthorizationRequestUrl = crate::GetAuthorizationRequestUrl => String;
    fn login_hint(v: impl Into<String>);
    fn state(v: impl Into<String>);
    fn redirect_uri(v: impl Into<String>);
    fn response_type(v: impl Into<String>);
    fn prompt(v: Prompt);
    fn nonce(v: impl Into<String>);
    fn domain_hint(v: impl Into<String>);
    fn claims_challenge(v: impl Into<String>);
}

blocking_request! {
    /// `acquire_token_by_authorization_code` (deprecated), blocking.
    AcquireTokenByAuthorizationCode = crate::AcquireTokenByAuthorizationCode => AuthenticationResult;
    fn redirect_uri(uri: impl Into<String>);
    fn nonce(nonce: impl Into<String>);
}
common_options!(AcquireTokenByAuthorizationCode);

blocking_request! {
    /// `acquire_token_by_refresh_token`, blocking.
    AcquireTokenByRefreshToken = crate::AcquireTokenByRefreshToken => AuthenticationResult;
}
common_options!(AcquireTokenByRefreshToken);

blocking_request! {
    /// `acquire_token_by_username_password` (deprecated), blocking.
    AcquireTokenByUsernamePassword = crate::AcquireTokenByUsernamePassword => AuthenticationResult;
}
common_options!(AcquireTokenByUsernamePassword);

blocking_request! {
    /// `initiate_device_flow`, blocking.
    InitiateDeviceFlow = crate::InitiateDeviceFlow => DeviceFlow;
    fn claims_challenge(claims: impl Into<String>);
    fn correlation_id(id: impl Into<String>);
    fn extra_body_param(key: impl Into<String>, value: impl Into<String>);
    fn extra_query_param(key: impl Into<String>, value: impl Into<String>);
}

blocking_request! {
    /// `acquire_token_by_device_flow`, blocking: polls until the user finishes.
    AcquireTokenByDeviceFlow = crate::AcquireTokenByDeviceFlow => AuthenticationResult;
    fn claims_challenge(claims: impl Into<String>);
    fn exit_condition(f: impl Fn(&DeviceFlow) -> bool + Send + Sync + 'a);
    fn extra_body_param(key: impl Into<String>, value: impl Into<String>);
    fn extra_query_param(key: impl Into<String>, value: impl Into<String>);
}

impl<'a> AcquireTokenByDeviceFlow<'a> {
    /// Stop (with `Error::Cancelled`) when `fut` completes; it runs on the app's runtime.
    pub fn cancel_on<F: Future + Send + 'a>(self, fut: F) -> Self {
        Self {
            rt: self.rt,
            inner: self.inner.cancel_on(fut),
        }
    }
}

blocking_request! {
    /// `acquire_token_with_device_code`, blocking: both legs.
    AcquireTokenWithDeviceCode = crate::AcquireTokenWithDeviceCode => AuthenticationResult;
    fn on_device_code(f: impl Fn(&DeviceFlow) + Send + Sync + 'a);
    fn claims_challenge(claims: impl Into<String>);
    fn extra_body_param(key: impl Into<String>, value: impl Into<String>);
    fn extra_query_param(key: impl Into<String>, value: impl Into<String>);
}

impl<'a> AcquireTokenWithDeviceCode<'a> {
    /// Stop (with `Error::Cancelled`) when `fut` completes; it runs on the app's runtime.
    pub fn cancel_on<F: Future + Send + 'a>(self, fut: F) -> Self {
        Self {
            rt: self.rt,
            inner: self.inner.cancel_on(fut),
        }
    }
}

blocking_request! {
    /// `acquire_token_for_client`, blocking.
    AcquireTokenForClient = crate::AcquireTokenForClient => AuthenticationResult;
    fn force_refresh(yes: bool);
    fn fmi_path(path: impl Into<String>);
}
common_options!(AcquireTokenForClient);

blocking_request! {
    /// `acquire_token_on_behalf_of`, blocking.
    AcquireTokenOnBehalfOf = crate::AcquireTokenOnBehalfOf => AuthenticationResult;
    fn force_refresh(yes: bool);
}
common_options!(AcquireTokenOnBehalfOf);

blocking_request! {
    /// `acquire_token_by_user_federated_identity_credential`, blocking.
    AcquireTokenByUserFic = crate::AcquireTokenByUserFic => AuthenticationResult;
}
common_options!(AcquireTokenByUserFic);

#[cfg(feature = "interactive")]
blocking_request! {
    /// `acquire_token_interactive`, blocking: the loopback listener runs while this thread
    /// waits.
    AcquireTokenInteractive = crate::AcquireTokenInteractive => AuthenticationResult;
    fn prompt(prompt: Prompt);
    fn login_hint(hint: impl Into<String>);
    fn domain_hint(hint: impl Into<String>);
    fn claims_challenge(claims: impl Into<String>);
    fn timeout(timeout: Duration);
    fn port(port: u16);
    fn redirect_uri(uri: impl Into<String>);
    fn extra_scopes_to_consent(scopes: impl IntoIterator<Item = impl AsRef<str>>);
    fn max_age(max_age: Duration);
    fn parent_window_handle(window: crate::ParentWindow);
    fn on_before_launching_ui(f: impl Fn(crate::Ui) + Send + Sync + 'a);
    fn welcome_template(html: impl Into<String>);
    fn success_template(html: impl Into<String>);
    fn error_template(html: impl Into<String>);
    fn browser_opener(opener: impl crate::BrowserOpener + 'static);
    fn on_auth_uri(f: impl Fn(&str) + Send + Sync + 'a);
    fn correlation_id(id: impl Into<String>);
    fn auth_uri_query_param(key: impl Into<String>, value: impl Into<String>);
    fn extra_body_param(key: impl Into<String>, value: impl Into<String>);
}

#[cfg(feature = "interactive")]
impl<'a> AcquireTokenInteractive<'a> {
    /// Stop (with `Error::Cancelled`) when `fut` completes; it runs on the app's runtime.
    pub fn cancel_on<F: Future + Send + 'a>(self, fut: F) -> Self {
        Self {
            rt: self.rt,
            inner: self.inner.cancel_on(fut),
        }
    }

    /// The old name of [`auth_uri_query_param`](Self::auth_uri_query_param).
    #[deprecated(note = "use `auth_uri_query_param`: this parameter goes on the sign-in URL")]
    pub fn extra_query_param(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.auth_uri_query_param(key, value)
    }
}

#[cfg(feature = "managed-identity")]
blocking_request! {
    /// A managed-identity token request, blocking.
    AcquireManagedIdentityToken = msal_managed_identity::AcquireManagedIdentityToken => AuthenticationResult;
    fn claims_challenge(claims: impl Into<String>);
}
