//! `ConfidentialClientApplication`: apps that keep a credential (web apps, web APIs, daemons).

use std::sync::Arc;

use msal_authority::Region;
use msal_core::{AccessToken, ClientCredential, ClientSecret, Result, token_endpoint::scopes};
use serde_json::{Map, Value};

use super::{
    ClientApplication, Shared,
    builder::{CommonBuilder, common_builder_methods},
    core::AppCore,
    sealed::Sealed,
};
use crate::{
    flows::{
        accounts::RemoveTokensForClient,
        client_credentials::AcquireTokenForClient,
        obo::AcquireTokenOnBehalfOf,
        user_fic::{AcquireTokenByUserFic, UserIdentifier},
    },
    request::RequestOptions,
};

/// A confidential client: proves its identity with a secret, a certificate or an assertion.
///
/// ```no_run
/// # async fn run() -> msal::Result<()> {
/// use msal::{ClientCredential, ConfidentialClientApplication};
/// let app = ConfidentialClientApplication::builder("client-id", ClientCredential::secret("secret"))
///     .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")?
///     .build()?;
/// let token = app.acquire_token_for_client(["https://graph.microsoft.com/.default"]).await?;
/// # let _ = token; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ConfidentialClientApplication {
    inner: Shared,
}

impl Sealed for ConfidentialClientApplication {
    fn core(&self) -> &AppCore {
        &self.inner
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
            common: CommonBuilder::new(client_id.into()),
            credential,
        }
    }

    /// An app-only token (client credentials), from the cache when possible.
    pub fn acquire_token_for_client(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> AcquireTokenForClient<'_> {
        AcquireTokenForClient {
            core: &self.inner,
            scopes: crate::request::RequestedScopes::collect(scopes),
            options: RequestOptions::default(),
            force_refresh: false,
            fmi_path: None,
        }
    }

    /// A token for a downstream API on behalf of the user whose token (`user_assertion`) this
    /// API received. Cached by the assertion's SHA-256.
    pub fn acquire_token_on_behalf_of(
        &self,
        user_assertion: impl Into<AccessToken>,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> AcquireTokenOnBehalfOf<'_> {
        AcquireTokenOnBehalfOf {
            core: &self.inner,
            assertion: user_assertion.into(),
            scopes: scopes::collect(scopes),
            options: RequestOptions::default(),
            force_refresh: false,
        }
    }

    /// A user token from a user federated identity credential (`user_fic`).
    pub fn acquire_token_by_user_federated_identity_credential(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
        assertion: impl Into<String>,
        user: UserIdentifier,
    ) -> AcquireTokenByUserFic<'_> {
        AcquireTokenByUserFic {
            core: &self.inner,
            scopes: scopes::collect(scopes),
            assertion: ClientSecret::new(assertion),
            user,
            options: RequestOptions::default(),
        }
    }

    /// Removes this app's app-only tokens from the cache.
    pub fn remove_tokens_for_client(&self) -> RemoveTokensForClient<'_> {
        RemoveTokensForClient { core: &self.inner }
    }
}

/// Builds a [`ConfidentialClientApplication`]. `build()` does no network I/O.
#[derive(Debug)]
pub struct ConfidentialClientApplicationBuilder {
    common: CommonBuilder,
    credential: ClientCredential,
}

impl ConfidentialClientApplicationBuilder {
    common_builder_methods!();

    /// Regional endpoints for client credentials (ESTS-R). Unset: `MSAL_FORCE_REGION`, else global.
    pub fn azure_region(mut self, region: Region) -> Self {
        self.common.region(region);
        self
    }

    /// Claims added to (and overriding) the client assertion's payload (certificate credentials).
    pub fn client_claims(mut self, claims: Map<String, Value>) -> Self {
        self.common.client_claims = Some(claims);
        self
    }

    /// The PoP key for `.auth_scheme(..)` (default: an ES256 key generated at build).
    #[cfg(feature = "pop")]
    #[cfg_attr(docsrs, doc(cfg(feature = "pop")))]
    pub fn pop_key(mut self, key: msal_pop::PopKey) -> Self {
        self.common.pop_key = Some(key);
        self
    }

    /// Builds the app.
    pub fn build(self) -> Result<ConfidentialClientApplication> {
        Ok(ConfidentialClientApplication {
            inner: Arc::new(self.common.build(Some(self.credential))?),
        })
    }
}
