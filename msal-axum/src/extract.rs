//! The extractors: [`SignedInUser`] and [`TokenAcquirer`], and their [`AuthRejection`].

use std::fmt;

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts, OriginalUri},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use msal::{Account, AuthenticationResult, ClientApplication as _, IdTokenClaims};
use tower_sessions::Session;

use crate::{
    MsalAuth, routes,
    session::{self, SessionUser},
};

/// The signed-in user: their account and ID token claims, from the session.
///
/// Without a signed-in user the request is rejected with an [`AuthRejection`] that redirects
/// the browser to sign in and back to the requested page, or answers `401` with a JSON body
/// when the request's `Accept` asks for JSON (an API call from a script). Use
/// `Option<SignedInUser>` on pages that anyone may see.
#[derive(Debug, Clone)]
pub struct SignedInUser {
    account: Account,
    claims: IdTokenClaims,
}

impl SignedInUser {
    /// The account: the key to the user's tokens in the cache (on any instance).
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The claims of the ID token the user signed in with.
    pub fn id_token_claims(&self) -> &IdTokenClaims {
        &self.claims
    }

    /// The display name (`name`), else the sign-in name.
    pub fn name(&self) -> &str {
        self.claims
            .name
            .as_deref()
            .unwrap_or(&self.account.username)
    }

    /// The sign-in name (`preferred_username`, else `upn`).
    pub fn username(&self) -> &str {
        &self.account.username
    }
}

/// Acquires tokens for downstream APIs on behalf of the signed-in user, silently, from the
/// user's partition of the token cache (refreshing them with the cached refresh token).
///
/// When the identity provider needs the user (consent to new scopes, a claims challenge, an
/// expired or revoked session), [`acquire_token`](Self::acquire_token) fails with an
/// [`AuthRejection`] that sends the browser to sign in, asking for those scopes and claims, and
/// back to the same page, where the token is then served from the cache: return it from the
/// handler (`?`) and incremental consent just works.
///
/// Rejects the request like [`SignedInUser`] when nobody is signed in.
#[derive(Debug, Clone)]
pub struct TokenAcquirer {
    auth: MsalAuth,
    user: SignedInUser,
    return_to: String,
    wants_json: bool,
}

impl TokenAcquirer {
    /// The signed-in user.
    pub fn user(&self) -> &SignedInUser {
        &self.user
    }

    /// A token for `scopes`: from the cache when it has one, else redeemed with the user's
    /// refresh token. `InteractionRequired` becomes a sign-in redirect (see the type's docs).
    pub async fn acquire_token(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Result<AuthenticationResult, AuthRejection> {
        let scopes: Vec<String> = scopes.into_iter().map(|s| s.as_ref().to_owned()).collect();
        match self
            .auth
            .inner
            .app
            .acquire_token_silent(&scopes, &self.user.account)
            .await
        {
            Ok(result) => Ok(result),
            Err(e) if e.is_interaction_required() => {
                tracing::debug!(target: "msal_axum", error = %e, "interaction required: sending the user to sign in");
                let claims = e.service_error().and_then(|s| s.claims.clone());
                Err(self.challenge(scopes, claims.as_deref()))
            }
            Err(e) => {
                tracing::warn!(target: "msal_axum", error = %e, "could not acquire a token");
                Err(AuthRejection {
                    kind: Kind::Token(e),
                })
            }
        }
    }

    /// A sign-in redirect for `scopes` with a claims challenge, back to this page: for a
    /// downstream API that answered `401` with `WWW-Authenticate: ... claims="..."` (the
    /// decoded value) although the token was fresh.
    pub fn challenge(
        &self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
        claims: Option<&str>,
    ) -> AuthRejection {
        let scopes: Vec<String> = scopes.into_iter().map(|s| s.as_ref().to_owned()).collect();
        AuthRejection::sign_in(
            self.auth.sign_in_url(&self.return_to, &scopes, claims),
            self.wants_json,
        )
    }
}

/// Why an extractor or [`TokenAcquirer::acquire_token`] refused; as a response:
///
/// | case | response |
/// |---|---|
/// | nobody signed in, or the identity provider needs the user | `303` to the sign-in route (with `return_to`, and any scopes and claims), or `401` with `{"error": "sign_in_required", "sign_in_url": ...}` when the request accepts JSON |
/// | [`MsalAuth::layer`] is not installed | `500` |
/// | the session store failed | `503` |
/// | the token request failed otherwise (network, service) | `502` |
///
/// Bodies never contain tokens; details go to the log (target `msal_axum`).
pub struct AuthRejection {
    kind: Kind,
}

enum Kind {
    SignIn { url: String, json: bool },
    NotConfigured,
    Session(tower_sessions::session::Error),
    Token(msal::Error),
}

impl AuthRejection {
    fn sign_in(url: String, json: bool) -> Self {
        Self {
            kind: Kind::SignIn { url, json },
        }
    }

    /// Whether the user must sign in (again, or to consent).
    pub fn is_sign_in_required(&self) -> bool {
        matches!(self.kind, Kind::SignIn { .. })
    }

    /// Where the user signs in, when they must: this app's sign-in route with `return_to`.
    pub fn sign_in_url(&self) -> Option<&str> {
        match &self.kind {
            Kind::SignIn { url, .. } => Some(url),
            _ => None,
        }
    }

    /// The error of a failed token request that no sign-in would fix.
    pub fn msal_error(&self) -> Option<&msal::Error> {
        match &self.kind {
            Kind::Token(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Debug for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthRejection({self})")
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::SignIn { url, .. } => write!(f, "sign-in required ({url})"),
            Kind::NotConfigured => f.write_str(
                "msal-axum is not installed on this route: add `.layer(auth.layer(store))` \
                 to the router",
            ),
            Kind::Session(e) => write!(f, "the session store failed: {e}"),
            Kind::Token(e) => write!(f, "no token for the downstream API: {e}"),
        }
    }
}

impl std::error::Error for AuthRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Session(e) => Some(e),
            Kind::Token(e) => Some(e),
            _ => None,
        }
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self.kind {
            Kind::SignIn { url, json: false } => routes::see_other(&url),
            Kind::SignIn { url, json: true } => {
                let body = serde_json::json!({
                    "error": "sign_in_required",
                    "sign_in_url": url,
                });
                (
                    StatusCode::UNAUTHORIZED,
                    [
                        (
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("application/json"),
                        ),
                        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                    ],
                    body.to_string(),
                )
                    .into_response()
            }
            Kind::NotConfigured => {
                tracing::error!(target: "msal_axum", "{}", AuthRejection { kind: Kind::NotConfigured });
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sign-in is not configured.",
                )
                    .into_response()
            }
            Kind::Session(e) => {
                tracing::error!(target: "msal_axum", error = %e, "session store failed");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The session store is unavailable; try again shortly.",
                )
                    .into_response()
            }
            Kind::Token(_) => (
                StatusCode::BAD_GATEWAY,
                "A downstream token could not be acquired; try again shortly.",
            )
                .into_response(),
        }
    }
}

/// What the extractors read from a request: the configuration, the session, where the request
/// was going and whether it wants JSON.
struct Context {
    auth: MsalAuth,
    session: Session,
    return_to: String,
    wants_json: bool,
}

impl Context {
    fn of(parts: &Parts) -> Result<Self, AuthRejection> {
        let not_configured = || AuthRejection {
            kind: Kind::NotConfigured,
        };
        let auth = parts
            .extensions
            .get::<MsalAuth>()
            .cloned()
            .ok_or_else(not_configured)?;
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(not_configured)?;
        // A nested router sees a shortened URI; the browser must come back to the full one.
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(&parts.uri, |o| &o.0);
        let return_to = session::safe_return_to(uri.path_and_query().map(|p| p.as_str()));
        Ok(Self {
            auth,
            session,
            return_to,
            wants_json: wants_json(parts),
        })
    }

    async fn user(&self) -> Result<Option<SignedInUser>, AuthRejection> {
        match self.session.get::<SessionUser>(session::USER).await {
            Ok(user) => Ok(user.map(|u| SignedInUser {
                account: u.account,
                claims: u.claims,
            })),
            Err(e) => Err(AuthRejection {
                kind: Kind::Session(e),
            }),
        }
    }

    fn sign_in_required(&self) -> AuthRejection {
        AuthRejection::sign_in(
            self.auth.sign_in_url(&self.return_to, &[], None),
            self.wants_json,
        )
    }
}

/// An API-style request: its `Accept` names JSON and not HTML (browsers navigating to a page
/// send `text/html` first).
fn wants_json(parts: &Parts) -> bool {
    parts
        .headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|accept| accept.contains("application/json") && !accept.contains("text/html"))
}

impl<S: Send + Sync> FromRequestParts<S> for SignedInUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let cx = Context::of(parts)?;
        cx.user().await?.ok_or_else(|| cx.sign_in_required())
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for SignedInUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Context::of(parts)?.user().await
    }
}

impl<S: Send + Sync> FromRequestParts<S> for TokenAcquirer {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let cx = Context::of(parts)?;
        let user = cx.user().await?.ok_or_else(|| cx.sign_in_required())?;
        Ok(Self {
            auth: cx.auth,
            user,
            return_to: cx.return_to,
            wants_json: cx.wants_json,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use axum::http::Request;
    use msal::http::{HttpClient, HttpRequest, HttpResponse, TransportError, TransportErrorKind};
    use tower_sessions::MemoryStore;

    use super::*;

    /// Counts requests and fails them all: these tests must not need the network.
    #[derive(Debug, Default, Clone)]
    struct Offline(Arc<AtomicUsize>);

    #[async_trait::async_trait]
    impl HttpClient for Offline {
        async fn send(&self, _: HttpRequest) -> Result<HttpResponse, TransportError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Err(TransportError::new(TransportErrorKind::Connect, "offline"))
        }
    }

    fn auth(offline: &Offline) -> MsalAuth {
        let http = offline.clone();
        MsalAuth::builder()
            .client_id("00000000-0000-0000-0000-000000000001")
            .client_secret("s")
            .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")
            .redirect_uri("https://app.example/auth/callback")
            .configure_app(move |b| b.http_client(http))
            .build()
            .unwrap()
    }

    fn parts(uri: &str, accept: Option<&str>, auth: Option<&MsalAuth>, session: &Session) -> Parts {
        let mut request = Request::get(uri);
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT, accept);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        parts.extensions.insert(session.clone());
        if let Some(auth) = auth {
            parts.extensions.insert(auth.clone());
        }
        parts
    }

    fn session() -> Session {
        Session::new(None, Arc::new(MemoryStore::default()), None)
    }

    async fn sign_in(session: &Session, home_account_id: &str) {
        let account: Account = serde_json::from_value(serde_json::json!({
            "home_account_id": home_account_id,
            "environment": "login.microsoftonline.com",
            "username": "alice@contoso.example",
            "local_account_id": "oid",
            "realm": "contoso",
            "authority_type": "MSSTS",
        }))
        .unwrap();
        let claims = IdTokenClaims {
            name: Some("Alice".into()),
            ..IdTokenClaims::default()
        };
        session
            .insert(session::USER, SessionUser { account, claims })
            .await
            .unwrap();
    }

    fn location(response: &Response) -> &str {
        response.headers()[header::LOCATION].to_str().unwrap()
    }

    #[tokio::test]
    async fn without_a_signed_in_user_a_browser_is_redirected_to_sign_in_and_back() {
        let auth = auth(&Offline::default());
        let mut parts = parts(
            "/orders?id=7",
            Some("text/html,application/xhtml+xml,application/json;q=0.9"),
            Some(&auth),
            &session(),
        );
        let rejection = <SignedInUser as FromRequestParts<()>>::from_request_parts(&mut parts, &())
            .await
            .unwrap_err();
        assert!(rejection.is_sign_in_required());
        let response = rejection.into_response();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            location(&response),
            "/auth/sign-in?return_to=%2Forders%3Fid%3D7"
        );
    }

    #[tokio::test]
    async fn without_a_signed_in_user_a_json_request_gets_401() {
        let auth = auth(&Offline::default());
        let mut parts = parts(
            "/api/orders",
            Some("application/json"),
            Some(&auth),
            &session(),
        );
        let rejection =
            <TokenAcquirer as FromRequestParts<()>>::from_request_parts(&mut parts, &())
                .await
                .unwrap_err();
        let response = rejection.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().get(header::LOCATION).is_none());
    }

    #[tokio::test]
    async fn option_of_signed_in_user_is_none_without_a_session() {
        let auth = auth(&Offline::default());
        let mut parts = parts("/", None, Some(&auth), &session());
        let user =
            <SignedInUser as OptionalFromRequestParts<()>>::from_request_parts(&mut parts, &())
                .await
                .unwrap();
        assert!(user.is_none());
    }

    #[tokio::test]
    async fn a_signed_in_user_is_extracted_from_the_session() {
        let auth = auth(&Offline::default());
        let session = session();
        sign_in(&session, "uid.utid").await;
        let mut parts = parts("/", None, Some(&auth), &session);
        let user = <SignedInUser as FromRequestParts<()>>::from_request_parts(&mut parts, &())
            .await
            .unwrap();
        assert_eq!(user.name(), "Alice");
        assert_eq!(user.account().home_account_id, "uid.utid");
    }

    #[tokio::test]
    async fn interaction_required_redirects_to_sign_in_with_the_scopes_and_return_path() {
        let offline = Offline::default();
        let auth = auth(&offline);
        let session = session();
        // Signed in, but the cache has nothing for the account (another instance's memory
        // cache, an evicted or revoked session).
        sign_in(&session, "uid.utid").await;
        let mut parts = parts("/mail?folder=inbox", None, Some(&auth), &session);
        let tokens = <TokenAcquirer as FromRequestParts<()>>::from_request_parts(&mut parts, &())
            .await
            .unwrap();
        let rejection = tokens.acquire_token(["Mail.Read"]).await.unwrap_err();
        assert!(rejection.is_sign_in_required(), "{rejection}");
        let response = rejection.into_response();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            location(&response),
            "/auth/sign-in?return_to=%2Fmail%3Ffolder%3Dinbox&scope=Mail.Read"
        );
        assert_eq!(
            offline.0.load(Ordering::SeqCst),
            0,
            "decided from the cache"
        );
    }

    #[tokio::test]
    async fn a_claims_challenge_is_carried_to_sign_in() {
        let auth = auth(&Offline::default());
        let session = session();
        sign_in(&session, "uid.utid").await;
        let mut parts = parts("/report", Some("application/json"), Some(&auth), &session);
        let tokens = <TokenAcquirer as FromRequestParts<()>>::from_request_parts(&mut parts, &())
            .await
            .unwrap();
        let claims = r#"{"access_token":{"acrs":{"essential":true,"value":"c1"}}}"#;
        let rejection = tokens.challenge(["Files.Read"], Some(claims));
        let url = rejection.sign_in_url().unwrap().to_owned();
        let query: Vec<(String, String)> =
            form_urlencoded::parse(url.split_once('?').unwrap().1.as_bytes())
                .into_owned()
                .collect();
        assert_eq!(
            query,
            [
                ("return_to".to_owned(), "/report".to_owned()),
                ("scope".to_owned(), "Files.Read".to_owned()),
                ("claims".to_owned(), claims.to_owned()),
            ]
        );
        assert_eq!(rejection.into_response().status(), StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn without_the_layer_the_extractors_fail_with_500() {
        let mut parts = parts("/", None, None, &session());
        let rejection = <SignedInUser as FromRequestParts<()>>::from_request_parts(&mut parts, &())
            .await
            .unwrap_err();
        assert!(rejection.to_string().contains("auth.layer"), "{rejection}");
        assert_eq!(
            rejection.into_response().status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
