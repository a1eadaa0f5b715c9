//! `PublicClientApplication`: apps that cannot keep a secret (desktop, mobile, CLI, devices).

use std::sync::Arc;

use msal_core::{Result, token_endpoint::scopes};

use super::{
    ClientApplication, Shared,
    builder::{CommonBuilder, common_builder_methods},
    core::AppCore,
    sealed::Sealed,
};
use crate::{
    flows::device_code::{
        AcquireTokenByDeviceFlow, AcquireTokenWithDeviceCode, DeviceFlow, InitiateDeviceFlow,
    },
    request::RequestOptions,
};

/// The window an interactive sign-in belongs to. Accepted for parity with MSAL Python; only a
/// broker would use it, and this library has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_enums,
    reason = "a console or a window handle, as MSAL Python's parent_window_handle"
)]
pub enum ParentWindow {
    /// A console application.
    Console,
    /// A native window handle.
    Handle(usize),
}

/// A public client: signs users in interactively, with a device code, or silently from the cache.
///
/// ```no_run
/// # async fn run() -> msal::Result<()> {
/// let app = msal::PublicClientApplication::builder("00000000-0000-0000-0000-000000000000")
///     .authority("https://login.microsoftonline.com/organizations")?
///     .build()?;
/// let result = app
///     .acquire_token_with_device_code(["User.Read"])
///     .on_device_code(|flow| eprintln!("{}", flow.message))
///     .await?;
/// println!("signed in as {:?}", result.account().map(|a| &a.username));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct PublicClientApplication {
    inner: Shared,
}

impl Sealed for PublicClientApplication {
    fn core(&self) -> &AppCore {
        &self.inner
    }
}

impl ClientApplication for PublicClientApplication {}

impl PublicClientApplication {
    /// For `parent_window_handle` in console apps.
    pub const CONSOLE_WINDOW_HANDLE: ParentWindow = ParentWindow::Console;

    /// A builder for the app registered as `client_id`.
    pub fn builder(client_id: impl Into<String>) -> PublicClientApplicationBuilder {
        PublicClientApplicationBuilder {
            common: CommonBuilder::new(client_id.into()),
        }
    }

    /// Starts a device-code sign-in: show [`DeviceFlow::message`] to the user, then call
    /// [`acquire_token_by_device_flow`](Self::acquire_token_by_device_flow).
    pub fn initiate_device_flow(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> InitiateDeviceFlow<'_> {
        InitiateDeviceFlow {
            core: &self.inner,
            scopes: scopes::collect(scopes),
            options: RequestOptions::default(),
        }
    }

    /// Polls until the user completes (or declines) the device-code sign-in.
    pub fn acquire_token_by_device_flow(&self, flow: &DeviceFlow) -> AcquireTokenByDeviceFlow<'_> {
        AcquireTokenByDeviceFlow {
            core: &self.inner,
            flow: flow.clone(),
            options: RequestOptions::default(),
            exit_condition: None,
            cancel: None,
        }
    }

    /// Both device-code legs in one call, with a callback to show the message.
    pub fn acquire_token_with_device_code(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> AcquireTokenWithDeviceCode<'_> {
        AcquireTokenWithDeviceCode {
            core: &self.inner,
            scopes: scopes::collect(scopes),
            options: RequestOptions::default(),
            on_device_code: None,
            cancel: None,
        }
    }

    /// Signs the user in with the system browser and a loopback redirect.
    #[cfg(feature = "interactive")]
    #[cfg_attr(docsrs, doc(cfg(feature = "interactive")))]
    pub fn acquire_token_interactive(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> crate::interactive::AcquireTokenInteractive<'_> {
        crate::interactive::AcquireTokenInteractive::new(&self.inner, scopes::collect(scopes))
    }
}

/// Builds a [`PublicClientApplication`]. `build()` does no network I/O.
#[derive(Debug)]
pub struct PublicClientApplicationBuilder {
    common: CommonBuilder,
}

impl PublicClientApplicationBuilder {
    common_builder_methods!();

    /// The PoP key for `.auth_scheme(..)` (default: an ES256 key generated at build).
    #[cfg(feature = "pop")]
    #[cfg_attr(docsrs, doc(cfg(feature = "pop")))]
    pub fn pop_key(mut self, key: msal_pop::PopKey) -> Self {
        self.common.pop_key = Some(key);
        self
    }

    /// Builds the app.
    pub fn build(self) -> Result<PublicClientApplication> {
        Ok(PublicClientApplication {
            inner: Arc::new(self.common.build(None)?),
        })
    }
}
