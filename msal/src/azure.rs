//! msal as the credential of Azure SDK for Rust clients (feature `azure-core`).
//!
//! Azure SDK for Rust clients (Key Vault, Storage, Cosmos DB, ...) take an
//! `Arc<dyn azure_core::credentials::TokenCredential>`. [`MsalCredential`] is one, over any msal
//! token source: a [`ConfidentialClientApplication`] (client credentials), a
//! `ManagedIdentityClient` (feature `managed-identity`), or a [`PublicClientApplication`] and a
//! signed-in [`Account`] (silent only). The tokens live in the app's msal cache, so the
//! credential shares them with every other use of the app, persists them with its
//! [`CacheStore`](crate::cache::CacheStore), and answers a repeated request from the cache
//! without a request.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use azure_core::credentials::TokenCredential;
//! use msal::{ClientCredential, ConfidentialClientApplication, azure::MsalCredential};
//!
//! let app = ConfidentialClientApplication::builder("client-id", ClientCredential::secret("secret"))
//!     .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")?
//!     .build()?;
//! let credential: std::sync::Arc<dyn TokenCredential> = MsalCredential::confidential(app);
//! // Hand `credential` to any Azure SDK client, e.g. `SecretClient::new(url, credential, None)`.
//! let token = credential.get_token(&["https://vault.azure.net/.default"], None).await?;
//! # let _ = token; Ok(()) }
//! ```
//!
//! What a request carries: Azure SDK passes scopes (`https://vault.azure.net/.default`), which
//! apps use as they are and managed identity turns into its resource by stripping `/.default`.
//! From [`TokenRequestOptions`]' context, a [`ClientRequestId`] becomes msal's correlation id
//! (the token request's `client-request-id`), and a [`ClaimsChallenge`] (a resource's claims
//! challenge, which azure_core 1.x has no field for) skips the cache and goes to the token
//! request. Failures are [`ErrorKind::Credential`] errors whose [`source`](std::error::Error::source)
//! is the [`msal::Error`](crate::Error).

use std::{
    fmt,
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use azure_core::{
    credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions},
    error::{Error as AzureError, ErrorKind},
    http::{headers::Header as _, request::options::ClientRequestId},
    time::OffsetDateTime,
};

use crate::{
    Account, AuthenticationResult, ClientApplication as _, ConfidentialClientApplication,
    PublicClientApplication, app::sealed::Sealed as _,
};

/// Any msal token source as the credential Azure SDK for Rust clients take
/// (`Arc<dyn TokenCredential>`).
///
/// Cloning is cheap and shares the app and its cache. `Debug` shows the source, never a secret
/// or a token.
#[derive(Clone, Debug)]
pub struct MsalCredential {
    source: Source,
}

#[derive(Clone)]
enum Source {
    Confidential(ConfidentialClientApplication),
    #[cfg(feature = "managed-identity")]
    ManagedIdentity(msal_managed_identity::ManagedIdentityClient),
    Public {
        app: PublicClientApplication,
        account: Box<Account>,
    },
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Confidential(app) => f.debug_tuple("Confidential").field(app).finish(),
            #[cfg(feature = "managed-identity")]
            Source::ManagedIdentity(client) => {
                f.debug_tuple("ManagedIdentity").field(client).finish()
            }
            // The account's username and ids are PII, which msal shows only when asked to.
            Source::Public { app, .. } => f
                .debug_struct("Public")
                .field("app", app)
                .finish_non_exhaustive(),
        }
    }
}

impl Source {
    /// How errors name the credential.
    fn name(&self) -> &'static str {
        match self {
            Source::Confidential(_) => "MsalCredential (client credentials)",
            #[cfg(feature = "managed-identity")]
            Source::ManagedIdentity(_) => "MsalCredential (managed identity)",
            Source::Public { .. } => "MsalCredential (silent, signed-in account)",
        }
    }
}

impl MsalCredential {
    /// App-only tokens with the client credentials of `app`
    /// ([`acquire_token_for_client`](ConfidentialClientApplication::acquire_token_for_client)).
    pub fn confidential(app: ConfidentialClientApplication) -> Arc<Self> {
        Arc::new(Self {
            source: Source::Confidential(app),
        })
    }

    /// Tokens of the managed identity of the Azure host. Azure SDK's scope
    /// (`https://vault.azure.net/.default`) becomes the resource (`https://vault.azure.net`);
    /// managed identity takes exactly one.
    #[cfg(feature = "managed-identity")]
    #[cfg_attr(docsrs, doc(cfg(feature = "managed-identity")))]
    pub fn managed_identity(client: msal_managed_identity::ManagedIdentityClient) -> Arc<Self> {
        Arc::new(Self {
            source: Source::ManagedIdentity(client),
        })
    }

    /// `account`'s tokens from `app`'s cache, refreshed with its refresh token when needed
    /// ([`acquire_token_silent`](crate::ClientApplication::acquire_token_silent)). The
    /// credential never prompts: when the user must sign in again, `get_token` fails with a
    /// credential error that says so (its source is [`Error::InteractionRequired`](crate::Error::InteractionRequired));
    /// sign in with the app (interactively or with a device code) and try again.
    pub fn public(app: PublicClientApplication, account: Account) -> Arc<Self> {
        Arc::new(Self {
            source: Source::Public {
                app,
                account: Box::new(account),
            },
        })
    }
}

/// A claims challenge (the JSON of a resource's `WWW-Authenticate` `claims`, decoded) for the
/// next token, passed in [`TokenRequestOptions`]' context:
/// `options.method_options.context.insert(ClaimsChallenge::new(claims))`. The token is then
/// requested anew, with the claims, instead of taken from the cache.
#[derive(Clone, PartialEq, Eq)]
pub struct ClaimsChallenge(String);

impl ClaimsChallenge {
    /// The challenge's claims, a JSON object.
    pub fn new(claims: impl Into<String>) -> Self {
        Self(claims.into())
    }

    /// The claims as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClaimsChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Claims are policy, not secrets, but can be long; the length is what a log needs.
        write!(f, "ClaimsChallenge({} bytes)", self.0.len())
    }
}

/// What the options ask of msal, read once.
#[derive(Default)]
struct Extras {
    correlation_id: Option<String>,
    claims: Option<String>,
}

impl Extras {
    fn from_options(options: Option<&TokenRequestOptions<'_>>) -> Self {
        let Some(options) = options else {
            return Self::default();
        };
        let context = &options.method_options.context;
        Self {
            correlation_id: context
                .value::<ClientRequestId>()
                .map(|id| id.value().as_str().to_owned())
                .filter(|id| !id.is_empty()),
            claims: context
                .value::<ClaimsChallenge>()
                .map(|c| c.0.clone())
                .filter(|c| !c.is_empty()),
        }
    }
}

#[async_trait::async_trait]
impl TokenCredential for MsalCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let name = self.source.name();
        if scopes.is_empty() {
            return Err(AzureError::with_message(
                ErrorKind::Credential,
                format!("{name}: no scopes were requested"),
            ));
        }
        let extras = Extras::from_options(options.as_ref());
        if extras.claims.is_none()
            && let Some(hit) = self.memoised(scopes)
        {
            return Ok(hit);
        }
        // Everything else in a future of its own, so the hit path's future (boxed by the
        // trait, per call) stays small.
        self.acquire(name, scopes, extras).await
    }
}

impl MsalCredential {
    /// A repeat of this thread's last hit, answered without building an msal result: Azure
    /// SDK wants only the token and its expiry.
    fn memoised(&self, scopes: &[&str]) -> Option<AccessToken> {
        match &self.source {
            Source::Confidential(app) => app.core().memoised_bearer(None, scopes),
            Source::Public { app, account } => app
                .core()
                .memoised_bearer(Some(&account.home_account_id), scopes),
            // Managed identity's cache lookup is its own and cheap enough.
            #[cfg(feature = "managed-identity")]
            Source::ManagedIdentity(_) => None,
        }
    }

    /// The cache lookup, and the token request when it misses.
    fn acquire<'a>(
        &'a self,
        name: &'static str,
        scopes: &'a [&'a str],
        extras: Extras,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = azure_core::Result<AccessToken>> + Send + 'a>,
    > {
        Box::pin(async move {
            let result = match &self.source {
                Source::Confidential(app) => {
                    let mut request = app.acquire_token_for_client(scopes.iter().copied());
                    if let Some(id) = extras.correlation_id {
                        request = request.correlation_id(id);
                    }
                    if let Some(claims) = extras.claims {
                        request = request.claims_challenge(claims);
                    }
                    request.await
                }
                #[cfg(feature = "managed-identity")]
                Source::ManagedIdentity(client) => {
                    let [scope] = scopes else {
                        return Err(AzureError::with_message(
                            ErrorKind::Credential,
                            format!(
                                "{name}: managed identity takes one resource, but {} scopes were requested: {scopes:?}",
                                scopes.len()
                            ),
                        ));
                    };
                    let resource = resource_of(scope);
                    let mut request = client.acquire_token_for_client(resource);
                    if let Some(claims) = extras.claims {
                        request = request.claims_challenge(claims);
                    }
                    request.await
                }
                Source::Public { app, account } => {
                    let mut request = app.acquire_token_silent(scopes.iter().copied(), account);
                    if let Some(id) = extras.correlation_id {
                        request = request.correlation_id(id);
                    }
                    if let Some(claims) = extras.claims {
                        request = request.claims_challenge(claims);
                    }
                    request.await
                }
            };
            match result {
                Ok(result) => from_result(name, result),
                Err(e) => Err(credential_error(name, scopes, &self.source, e)),
            }
        })
    }
}

/// Managed identity's resource for an Azure SDK scope: `https://vault.azure.net/.default` →
/// `https://vault.azure.net` (a scope without `/.default` is taken as a resource already).
#[cfg(any(feature = "managed-identity", test))]
fn resource_of(scope: &str) -> &str {
    scope.strip_suffix("/.default").unwrap_or(scope)
}

fn from_result(name: &str, result: AuthenticationResult) -> azure_core::Result<AccessToken> {
    // Azure SDK sends whatever it gets as `Authorization: Bearer …`; a PoP or SSH token would be
    // sent under the wrong scheme.
    if !result.token_type().eq_ignore_ascii_case("bearer") {
        return Err(AzureError::with_message(
            ErrorKind::Credential,
            format!(
                "{name}: the token is of type {:?}, not a bearer token Azure SDK clients can send",
                result.token_type()
            ),
        ));
    }
    access_token(
        name,
        result.access_token().secret().to_owned(),
        result.expires_on(),
    )
}

fn access_token(
    name: &str,
    token: String,
    expires_on: SystemTime,
) -> azure_core::Result<AccessToken> {
    // An expiry time `OffsetDateTime` cannot represent (a bad `expires_in`) is an error, not a
    // panic.
    let expires_on = offset_date_time(expires_on).ok_or_else(|| {
        AzureError::with_message(
            ErrorKind::Credential,
            format!("{name}: the token's expiry time is out of range"),
        )
    })?;
    Ok(AccessToken::new(Secret::new(token), expires_on))
}

/// `time` as Azure SDK's expiry: whole seconds, as token lifetimes are; `None` when it is before
/// 1970 or past what `OffsetDateTime` holds.
pub(crate) fn offset_date_time(time: SystemTime) -> Option<OffsetDateTime> {
    let secs = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).ok()?).ok()
}

/// A credential error with the msal error as its source; the message says what to do when a
/// user must sign in.
fn credential_error(name: &str, scopes: &[&str], source: &Source, e: crate::Error) -> AzureError {
    let message = match (source, e.is_interaction_required()) {
        // The account is not named: usernames and object ids are PII, which msal logs only
        // when the app opts in, and error messages end up in logs.
        (Source::Public { .. }, true) => format!(
            "{name}: interaction required: the user must sign in again (interactively or with a \
             device code) before a token for {scopes:?} can be acquired silently: {e}"
        ),
        (_, true) => format!("{name}: interaction required for {scopes:?}: {e}"),
        (_, false) => format!("{name}: could not get a token for {scopes:?}: {e}"),
    };
    AzureError::with_error(ErrorKind::Credential, e, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_scope_becomes_its_resource() {
        assert_eq!(
            resource_of("https://vault.azure.net/.default"),
            "https://vault.azure.net"
        );
        assert_eq!(
            resource_of("https://management.azure.com/"),
            "https://management.azure.com/"
        );
        assert_eq!(resource_of("api://x"), "api://x");
    }

    #[test]
    fn an_expiry_out_of_range_is_an_error_not_a_panic() {
        // The first second of the year 10000: past `OffsetDateTime`'s range, and within every
        // platform's `SystemTime` (Windows' stops in the year 30828).
        let far = UNIX_EPOCH + std::time::Duration::from_secs(253_402_300_800);
        let err = access_token("t", "at".into(), far).expect_err("out of range");
        assert!(matches!(err.kind(), ErrorKind::Credential));
        let before_epoch = UNIX_EPOCH - std::time::Duration::from_secs(1);
        assert!(access_token("t", "at".into(), before_epoch).is_err());
        let ok = access_token(
            "t",
            "at".into(),
            UNIX_EPOCH + std::time::Duration::from_secs(60),
        )
        .expect("in range");
        assert_eq!(ok.expires_on.unix_timestamp(), 60);
    }

    #[test]
    fn claims_debug_shows_no_content() {
        let claims = r#"{"access_token":{"nbf":{"essential":true}}}"#;
        let c = ClaimsChallenge::new(claims);
        assert!(!format!("{c:?}").contains("nbf"));
        assert_eq!(c.as_str(), claims);
    }
}
