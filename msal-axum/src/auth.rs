//! [`MsalAuth`]: the configured app, its routes and its layer.

use std::{fmt, sync::Arc};

use axum::{
    Router,
    middleware::AddExtension,
    routing::{get, post},
};
use msal::ConfidentialClientApplication;
use tower_cookies::CookieManager;
use tower_layer::Layer;
use tower_sessions::{
    SessionManager, SessionManagerLayer, SessionStore, cookie::SameSite, service::PlaintextCookie,
};

use crate::{config::Paths, routes};

/// The session cookie's name.
const COOKIE_NAME: &str = "msal_session";

/// Sign-in for an axum app: the [`router`](Self::router) to merge (sign-in, the redirect URI,
/// sign-out) and the [`layer`](Self::layer) that gives the extractors
/// ([`SignedInUser`](crate::SignedInUser), [`TokenAcquirer`](crate::TokenAcquirer)) the session
/// and this configuration. Cheap to clone.
#[derive(Clone)]
pub struct MsalAuth {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) app: ConfidentialClientApplication,
    pub(crate) scopes: Vec<String>,
    pub(crate) redirect_uri: String,
    pub(crate) paths: Paths,
    pub(crate) end_session_endpoint: Option<String>,
    pub(crate) post_logout_redirect_uri: String,
    pub(crate) secure_cookies: bool,
}

impl fmt::Debug for MsalAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("MsalAuth")
            .field("app", &inner.app)
            .field("scopes", &inner.scopes)
            .field("redirect_uri", &inner.redirect_uri)
            .field("paths", &inner.paths)
            .field("end_session_endpoint", &inner.end_session_endpoint)
            .field("secure_cookies", &inner.secure_cookies)
            .finish()
    }
}

impl MsalAuth {
    /// Configures sign-in: see [`MsalAuthBuilder`](crate::MsalAuthBuilder).
    pub fn builder() -> crate::MsalAuthBuilder {
        crate::MsalAuthBuilder::default()
    }

    /// The application: for flows msal-axum does not wrap (client credentials, on-behalf-of).
    pub fn app(&self) -> &ConfidentialClientApplication {
        &self.inner.app
    }

    /// The scopes users sign in with.
    pub fn scopes(&self) -> &[String] {
        &self.inner.scopes
    }

    /// The routes: `GET` sign-in (`?return_to=/path`), `POST` on the redirect URI's path
    /// (the identity provider's form_post answer), and `GET`/`POST` sign-out. Merge it into the
    /// app's router, below [`layer`](Self::layer).
    pub fn router<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let paths = &self.inner.paths;
        let (a, b, c, d) = (self.clone(), self.clone(), self.clone(), self.clone());
        Router::new()
            .route(
                &paths.sign_in,
                get(move |session, query| routes::sign_in(a, session, query)),
            )
            .route(
                &paths.callback,
                post(move |session, body| routes::callback(b, session, body)),
            )
            .route(
                &paths.sign_out,
                get(move |session| routes::sign_out(c, session))
                    .post(move |session| routes::sign_out(d, session)),
            )
    }

    /// The layer the routes and extractors need: sessions in `store` (a [`MemoryStore`] for one
    /// instance; a store every instance reads, such as
    /// [`RedisSessionStore`](crate::RedisSessionStore), for several) with the cookie of
    /// [`session_layer`](Self::session_layer), and this configuration for the extractors. Add it
    /// with `.layer(..)` after merging [`router`](Self::router) and the app's routes.
    ///
    /// [`MemoryStore`]: crate::MemoryStore
    pub fn layer<St: SessionStore + Clone>(&self, store: St) -> MsalLayer<St> {
        MsalLayer {
            auth: self.clone(),
            sessions: self.session_layer(store),
        }
    }

    /// The session layer alone, for apps that stack their own: the cookie `msal_session` is
    /// `HttpOnly` (no script reads it), `SameSite=Lax` (not sent on cross-site subrequests or
    /// posts), `Secure` when the redirect URI is https, and lives as long as the browser
    /// session. Tighten it further with [`SessionManagerLayer`]'s own methods.
    pub fn session_layer<St: SessionStore + Clone>(&self, store: St) -> SessionManagerLayer<St> {
        SessionManagerLayer::new(store)
            .with_name(COOKIE_NAME)
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(self.inner.secure_cookies)
            .with_path("/")
    }

    /// The URL of this app's sign-in route that comes back to `return_to`, asking for `scopes`
    /// beyond the configured ones and with a claims challenge. Scopes and claims are not secret
    /// (the identity provider's sign-in URL carries them too).
    pub(crate) fn sign_in_url(
        &self,
        return_to: &str,
        scopes: &[String],
        claims: Option<&str>,
    ) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("return_to", return_to);
        if !scopes.is_empty() {
            query.append_pair("scope", &scopes.join(" "));
        }
        if let Some(claims) = claims {
            query.append_pair("claims", claims);
        }
        format!("{}?{}", self.inner.paths.sign_in, query.finish())
    }
}

/// The [`tower_layer::Layer`] of [`MsalAuth::layer`]: sessions, then the configuration as a
/// request extension.
#[derive(Debug, Clone)]
pub struct MsalLayer<St: SessionStore> {
    auth: MsalAuth,
    sessions: SessionManagerLayer<St>,
}

impl<S, St: SessionStore + Clone> Layer<S> for MsalLayer<St> {
    type Service = CookieManager<SessionManager<AddExtension<S, MsalAuth>, St, PlaintextCookie>>;

    fn layer(&self, inner: S) -> Self::Service {
        self.sessions
            .layer(axum::Extension(self.auth.clone()).layer(inner))
    }
}
