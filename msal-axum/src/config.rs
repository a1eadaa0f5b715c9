//! Configuration: [`MsalAuthBuilder`] from code or the environment, checked once at startup.

use std::{fmt, path::PathBuf, sync::Arc};

use msal::{
    Certificate, ClientApplication as _, ClientCredential, ConfidentialClientApplication,
    ConfidentialClientApplicationBuilder, TokenCache, authority::AuthorityKind, cache::CacheStore,
};

use crate::auth::{Inner, MsalAuth};

/// Where Microsoft Entra ID's multi-tenant web apps sign in when no authority is configured (the
/// default of MSAL Python's `ClientApplication`).
const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com/common";

/// A hook that finishes the application builder (HTTP client, known authorities, ...).
type Configure = Box<
    dyn FnOnce(ConfidentialClientApplicationBuilder) -> ConfidentialClientApplicationBuilder + Send,
>;

/// A setting [`MsalAuthBuilder::build`] could not do without.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Setting {
    /// The application (client) id: `MSAL_CLIENT_ID` or [`MsalAuthBuilder::client_id`].
    ClientId,
    /// The client credential: `MSAL_CLIENT_SECRET`, or `MSAL_CERT_PATH` and `MSAL_KEY_PATH`, or
    /// [`MsalAuthBuilder::client_secret`] / [`MsalAuthBuilder::credential`].
    Credential,
    /// The redirect URI registered for the app: `MSAL_REDIRECT_URI` or
    /// [`MsalAuthBuilder::redirect_uri`].
    RedirectUri,
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Setting::ClientId => "the client id (MSAL_CLIENT_ID, or MsalAuthBuilder::client_id)",
            Setting::Credential => {
                "a client credential (MSAL_CLIENT_SECRET, or MSAL_CERT_PATH and MSAL_KEY_PATH; \
                 or MsalAuthBuilder::client_secret / credential)"
            }
            Setting::RedirectUri => {
                "the redirect URI registered for the app (MSAL_REDIRECT_URI, or \
                 MsalAuthBuilder::redirect_uri)"
            }
        })
    }
}

/// Why [`MsalAuthBuilder::build`] refused the configuration. Raised at startup, so a
/// misconfigured app fails before it serves a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Settings without which sign-in cannot work, all of them named.
    #[error("msal-axum is not configured: set {}", list(.0))]
    Missing(Vec<Setting>),
    /// A setting is present but unusable.
    #[error("msal-axum: {setting} is invalid: {reason}")]
    Invalid {
        /// Which setting (and its environment variable).
        setting: &'static str,
        /// What is wrong with it (never its value when that could be a secret).
        reason: String,
    },
    /// A certificate or key file could not be read.
    #[error("msal-axum: cannot read {what} {}: {source}", path.display())]
    File {
        /// `MSAL_CERT_PATH` or `MSAL_KEY_PATH`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The application could not be built (a malformed authority, an unusable certificate...).
    #[error("msal-axum: the application could not be built: {0}")]
    Msal(#[from] msal::Error),
}

fn list(settings: &[Setting]) -> String {
    settings
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The paths of the routes [`MsalAuth::router`] serves, and of the page signed-out users land on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Paths {
    pub(crate) sign_in: String,
    pub(crate) sign_out: String,
    /// The redirect URI's path: where the authorization response is posted.
    pub(crate) callback: String,
    pub(crate) after_sign_out: String,
}

/// Configures an [`MsalAuth`]: the app registration (from code, [`from_env`](Self::from_env), or
/// both), the scopes to sign in with, where the token cache lives, and the route paths.
///
/// ```no_run
/// # fn main() -> Result<(), msal_axum::ConfigError> {
/// let auth = msal_axum::MsalAuth::builder()
///     .from_env() // MSAL_CLIENT_ID, MSAL_AUTHORITY, MSAL_CLIENT_SECRET, MSAL_REDIRECT_URI, ...
///     .scopes(["User.Read"])
///     .build()?; // names every missing setting
/// # let _ = auth; Ok(()) }
/// ```
pub struct MsalAuthBuilder {
    client_id: Option<String>,
    authority: Option<String>,
    credential: Option<ClientCredential>,
    certificate_files: Option<(PathBuf, PathBuf)>,
    redirect_uri: Option<String>,
    scopes: Vec<String>,
    cache: Option<TokenCache>,
    configure: Vec<Configure>,
    sign_in_path: String,
    sign_out_path: String,
    after_sign_out_path: String,
    end_session_endpoint: Option<String>,
}

impl fmt::Debug for MsalAuthBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The credential's own Debug is redacted; the hooks are closures.
        f.debug_struct("MsalAuthBuilder")
            .field("client_id", &self.client_id)
            .field("authority", &self.authority)
            .field("credential", &self.credential)
            .field("certificate_files", &self.certificate_files)
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("cache", &self.cache.is_some())
            .field("configure_hooks", &self.configure.len())
            .field("sign_in_path", &self.sign_in_path)
            .field("sign_out_path", &self.sign_out_path)
            .field("after_sign_out_path", &self.after_sign_out_path)
            .field("end_session_endpoint", &self.end_session_endpoint)
            .finish()
    }
}

impl Default for MsalAuthBuilder {
    fn default() -> Self {
        Self {
            client_id: None,
            authority: None,
            credential: None,
            certificate_files: None,
            redirect_uri: None,
            scopes: Vec::new(),
            cache: None,
            configure: Vec::new(),
            sign_in_path: "/auth/sign-in".into(),
            sign_out_path: "/auth/sign-out".into(),
            after_sign_out_path: "/".into(),
            end_session_endpoint: None,
        }
    }
}

impl MsalAuthBuilder {
    /// Reads the app registration from the environment; variables that are unset (or blank)
    /// leave the setting as it was:
    ///
    /// | variable | setting |
    /// |---|---|
    /// | `MSAL_CLIENT_ID` | [`client_id`](Self::client_id) |
    /// | `MSAL_AUTHORITY`, or `MSAL_TENANT_ID` | [`authority`](Self::authority) (`https://login.microsoftonline.com/<tenant>`) |
    /// | `MSAL_CLIENT_SECRET` | [`client_secret`](Self::client_secret) |
    /// | `MSAL_CERT_PATH` + `MSAL_KEY_PATH` | [`certificate_files`](Self::certificate_files) (PEM) |
    /// | `MSAL_REDIRECT_URI` | [`redirect_uri`](Self::redirect_uri) |
    /// | `MSAL_SCOPES` | [`scopes`](Self::scopes), space- or comma-separated |
    pub fn from_env(self) -> Self {
        self.with_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with the variables looked up by `var` (tests, other sources).
    pub(crate) fn with_lookup(mut self, var: impl Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        if let Some(id) = var("MSAL_CLIENT_ID") {
            self.client_id = Some(id);
        }
        match (var("MSAL_AUTHORITY"), var("MSAL_TENANT_ID")) {
            (Some(authority), _) => self.authority = Some(authority),
            (None, Some(tenant)) => {
                self.authority = Some(format!("https://login.microsoftonline.com/{tenant}"));
            }
            (None, None) => {}
        }
        if let Some(secret) = var("MSAL_CLIENT_SECRET") {
            self.credential = Some(ClientCredential::secret(secret));
        }
        if let (Some(cert), Some(key)) = (var("MSAL_CERT_PATH"), var("MSAL_KEY_PATH")) {
            self.certificate_files = Some((cert.into(), key.into()));
        }
        if let Some(uri) = var("MSAL_REDIRECT_URI") {
            self.redirect_uri = Some(uri);
        }
        if let Some(scopes) = var("MSAL_SCOPES") {
            self.scopes = scopes
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
        }
        self
    }

    /// The application (client) id of the app registration.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The authority, e.g. `https://login.microsoftonline.com/<tenant>`; default
    /// `https://login.microsoftonline.com/common`.
    pub fn authority(mut self, authority: impl Into<String>) -> Self {
        self.authority = Some(authority.into());
        self
    }

    /// Authenticates the app with a client secret.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.credential = Some(ClientCredential::secret(secret.into()));
        self.certificate_files = None;
        self
    }

    /// Authenticates the app with any credential (a certificate, an assertion callback...).
    pub fn credential(mut self, credential: ClientCredential) -> Self {
        self.credential = Some(credential);
        self.certificate_files = None;
        self
    }

    /// Authenticates the app with a certificate read at [`build`](Self::build) from PEM files:
    /// the public certificate (Entra looks the key up by its SHA-256 thumbprint) and the
    /// unencrypted private key.
    pub fn certificate_files(
        mut self,
        certificate_pem: impl Into<PathBuf>,
        private_key_pem: impl Into<PathBuf>,
    ) -> Self {
        self.certificate_files = Some((certificate_pem.into(), private_key_pem.into()));
        self.credential = None;
        self
    }

    /// The redirect URI registered for the app as a "Web" platform URI, e.g.
    /// `https://app.contoso.com/auth/callback`. Its path is where the router receives the
    /// authorization response; an `https` URI makes the session cookie `Secure`.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// The scopes to ask for at sign-in (`openid profile offline_access` are always added), and
    /// the default of [`TokenAcquirer::acquire_token`](crate::TokenAcquirer::acquire_token)'s
    /// callers. Asking for a downstream API's scopes here gets consent for them up front.
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Keeps the token cache in `store` (Redis, a file, your own), which a web app with several
    /// instances needs. A partitioned store (such as `msal_cache_redis::RedisCacheStore`) keeps
    /// each user's tokens in their own partition. Default: in this process's memory.
    pub fn cache_store(mut self, store: impl CacheStore + 'static) -> Self {
        self.cache = Some(TokenCache::with_store(store));
        self
    }

    /// Uses this token cache (shared with other applications, say).
    pub fn token_cache(mut self, cache: TokenCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Adjusts the application builder before it is built: an HTTP client, known authorities,
    /// a timeout... Hooks run in the order they were added.
    pub fn configure_app(
        mut self,
        hook: impl FnOnce(ConfidentialClientApplicationBuilder) -> ConfidentialClientApplicationBuilder
        + Send
        + 'static,
    ) -> Self {
        self.configure.push(Box::new(hook));
        self
    }

    /// Where the router starts a sign-in; default `/auth/sign-in`.
    pub fn sign_in_path(mut self, path: impl Into<String>) -> Self {
        self.sign_in_path = path.into();
        self
    }

    /// Where the router signs the user out; default `/auth/sign-out`.
    pub fn sign_out_path(mut self, path: impl Into<String>) -> Self {
        self.sign_out_path = path.into();
        self
    }

    /// Where the identity provider sends the browser after signing out (on the redirect URI's
    /// origin; register it as a post-logout redirect URI in Entra); default `/`.
    pub fn after_sign_out_path(mut self, path: impl Into<String>) -> Self {
        self.after_sign_out_path = path.into();
        self
    }

    /// The identity provider's end-session endpoint. Default: the authority's (Entra and B2C
    /// `…/oauth2/v2.0/logout`, AD FS `…/adfs/oauth2/logout`); a generic OpenID Connect authority
    /// has none by default, and signing out then only ends the app's own session.
    pub fn end_session_endpoint(mut self, url: impl Into<String>) -> Self {
        self.end_session_endpoint = Some(url.into());
        self
    }

    /// Checks the configuration and builds the application. Does no network I/O.
    pub fn build(self) -> Result<MsalAuth, ConfigError> {
        let mut missing = Vec::new();
        if self.client_id.is_none() {
            missing.push(Setting::ClientId);
        }
        if self.credential.is_none() && self.certificate_files.is_none() {
            missing.push(Setting::Credential);
        }
        if self.redirect_uri.is_none() {
            missing.push(Setting::RedirectUri);
        }
        let (Some(client_id), Some(redirect_uri)) = (self.client_id, self.redirect_uri) else {
            return Err(ConfigError::Missing(missing));
        };
        let credential = match (self.credential, self.certificate_files) {
            (Some(credential), _) => credential,
            (None, Some((cert, key))) => certificate_from_files(cert, key)?,
            (None, None) => return Err(ConfigError::Missing(missing)),
        };

        let redirect = url::Url::parse(&redirect_uri).map_err(|e| ConfigError::Invalid {
            setting: "the redirect URI (MSAL_REDIRECT_URI)",
            reason: format!("not an absolute URL ({e})"),
        })?;
        if !matches!(redirect.scheme(), "https" | "http") || redirect.host_str().is_none() {
            return Err(ConfigError::Invalid {
                setting: "the redirect URI (MSAL_REDIRECT_URI)",
                reason: "must be an http or https URL with a host".into(),
            });
        }
        if redirect.query().is_some() || redirect.fragment().is_some() {
            return Err(ConfigError::Invalid {
                setting: "the redirect URI (MSAL_REDIRECT_URI)",
                reason: "must not have a query or fragment".into(),
            });
        }
        let paths = Paths {
            sign_in: checked_path("the sign-in path", self.sign_in_path)?,
            sign_out: checked_path("the sign-out path", self.sign_out_path)?,
            callback: redirect.path().to_owned(),
            after_sign_out: checked_path("the after-sign-out path", self.after_sign_out_path)?,
        };
        if paths.callback == paths.sign_in || paths.callback == paths.sign_out {
            return Err(ConfigError::Invalid {
                setting: "the redirect URI (MSAL_REDIRECT_URI)",
                reason: format!(
                    "its path {} is also the sign-in or sign-out path",
                    paths.callback
                ),
            });
        }

        let mut builder = ConfidentialClientApplication::builder(client_id, credential)
            .authority(self.authority.as_deref().unwrap_or(DEFAULT_AUTHORITY))?;
        if let Some(cache) = self.cache {
            builder = builder.token_cache(cache);
        }
        for hook in self.configure {
            builder = hook(builder);
        }
        let app = builder.build()?;

        let end_session_endpoint = self
            .end_session_endpoint
            .or_else(|| default_end_session_endpoint(&app));
        let origin = redirect.origin().ascii_serialization();
        Ok(MsalAuth {
            inner: Arc::new(Inner {
                secure_cookies: redirect.scheme() == "https",
                post_logout_redirect_uri: format!("{origin}{}", paths.after_sign_out),
                app,
                scopes: self.scopes,
                redirect_uri,
                paths,
                end_session_endpoint,
            }),
        })
    }
}

/// An absolute path on this app: `/` then anything but a second `/` or `\` (which browsers read
/// as another host).
fn checked_path(setting: &'static str, path: String) -> Result<String, ConfigError> {
    if crate::session::is_local_path(&path) && !path.contains(['?', '#']) {
        Ok(path)
    } else {
        Err(ConfigError::Invalid {
            setting,
            reason: format!("{path:?} is not an absolute path on this app (like /auth/sign-in)"),
        })
    }
}

fn certificate_from_files(cert: PathBuf, key: PathBuf) -> Result<ClientCredential, ConfigError> {
    let read = |what: &'static str, path: PathBuf| {
        std::fs::read_to_string(&path).map_err(|source| ConfigError::File { what, path, source })
    };
    let cert_pem = read("the certificate (MSAL_CERT_PATH)", cert)?;
    let key_pem = read("the private key (MSAL_KEY_PATH)", key)?;
    let certificate =
        Certificate::from_pem(&key_pem, None)?.with_public_certificate_pem(&cert_pem)?;
    Ok(ClientCredential::certificate(certificate))
}

/// The end-session endpoint Entra, B2C, External ID and AD FS publish for an authority.
fn default_end_session_endpoint(app: &ConfidentialClientApplication) -> Option<String> {
    let authority = app.authority();
    match authority.kind() {
        AuthorityKind::Aad | AuthorityKind::B2c | AuthorityKind::Ciam => {
            Some(format!("{}/oauth2/v2.0/logout", authority.url()))
        }
        AuthorityKind::Adfs => Some(format!("{}/adfs/oauth2/logout", authority.base_url())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn an_empty_environment_names_every_missing_setting() {
        let err = MsalAuthBuilder::default()
            .with_lookup(env(&[("MSAL_CLIENT_ID", "  ")]))
            .build()
            .unwrap_err();
        let ConfigError::Missing(missing) = &err else {
            panic!("{err}")
        };
        assert_eq!(
            missing,
            &[Setting::ClientId, Setting::Credential, Setting::RedirectUri]
        );
        let text = err.to_string();
        for var in [
            "MSAL_CLIENT_ID",
            "MSAL_CLIENT_SECRET",
            "MSAL_CERT_PATH",
            "MSAL_REDIRECT_URI",
        ] {
            assert!(text.contains(var), "{text}");
        }
    }

    #[test]
    fn the_environment_configures_a_complete_app() {
        let auth = MsalAuthBuilder::default()
            .with_lookup(env(&[
                ("MSAL_CLIENT_ID", "00000000-0000-0000-0000-000000000001"),
                ("MSAL_TENANT_ID", "contoso.onmicrosoft.com"),
                ("MSAL_CLIENT_SECRET", "s3cret-value"),
                ("MSAL_REDIRECT_URI", "https://app.example/signin-oidc"),
                ("MSAL_SCOPES", "User.Read, Mail.Read"),
            ]))
            .build()
            .unwrap();
        let inner = &auth.inner;
        assert!(inner.secure_cookies);
        assert_eq!(inner.paths.callback, "/signin-oidc");
        assert_eq!(inner.scopes, ["User.Read", "Mail.Read"]);
        assert_eq!(
            inner.end_session_endpoint.as_deref(),
            Some("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/logout")
        );
        assert_eq!(inner.post_logout_redirect_uri, "https://app.example/");
        assert!(!format!("{auth:?}").contains("s3cret-value"));
    }

    #[test]
    fn an_unreadable_certificate_file_is_named() {
        let err = MsalAuthBuilder::default()
            .client_id("id")
            .redirect_uri("http://localhost:8400/callback")
            .certificate_files("/nonexistent/cert.pem", "/nonexistent/key.pem")
            .build()
            .unwrap_err();
        assert!(matches!(err, ConfigError::File { .. }), "{err}");
        assert!(err.to_string().contains("MSAL_CERT_PATH"), "{err}");
    }

    #[test]
    fn paths_must_stay_on_this_app() {
        for bad in ["auth", "//evil.example/x", "/\\evil.example", "/a?b"] {
            let err = MsalAuthBuilder::default()
                .client_id("id")
                .client_secret("s")
                .redirect_uri("http://localhost:8400/callback")
                .sign_in_path(bad)
                .build()
                .unwrap_err();
            assert!(matches!(err, ConfigError::Invalid { .. }), "{bad}: {err}");
        }
        let err = MsalAuthBuilder::default()
            .client_id("id")
            .client_secret("s")
            .redirect_uri("urn:ietf:wg:oauth:2.0:oob")
            .build()
            .unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { .. }), "{err}");
    }
}
