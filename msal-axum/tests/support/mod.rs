//! An emulator, a downstream API, and the app under test: an axum app with msal-axum's routes,
//! a public page, a protected page that calls the downstream API, and a JSON API.

#![allow(dead_code, unreachable_pub)]

pub mod browser;
pub mod redis;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{Html, IntoResponse},
    routing::get,
};
use msal::{
    authority::DiscoveryCache,
    cache::CacheStore,
    http::{HttpClient, ReqwestClient},
};
pub use msal_axum::{AuthRejection, MsalAuth, SignedInUser, TokenAcquirer};
pub use msal_emulator::{Emulator, EmulatorConfig, ids};
use tokio::net::TcpListener;
use tower_sessions::SessionStore;

/// A scope of the emulator's API that the app does not ask for at sign-in: the incremental
/// consent page asks for it.
pub const EXTRA_SCOPE: &str = "https://api.fake-entra.invalid/Data.Write";

pub async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator starts")
}

/// A client that trusts the emulator's private CA and never follows redirects.
pub fn http(emu: &Emulator) -> ReqwestClient {
    ReqwestClient::builder()
        .add_root_certificate_pem(emu.ca_pem().as_bytes())
        .unwrap()
        .no_proxy()
        .build()
        .unwrap()
}

/// A downstream API on loopback: answers `{"items": 3}` to a bearer token and keeps every token
/// it saw (so tests can look for them where they must not be).
#[derive(Clone)]
pub struct Downstream {
    pub url: String,
    pub tokens: Arc<Mutex<Vec<String>>>,
}

pub async fn downstream() -> Downstream {
    let tokens: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = tokens.clone();
    let app = Router::new().route(
        "/items",
        get(move |headers: HeaderMap| async move {
            let token = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::to_owned);
            match token {
                Some(token) if !token.is_empty() => {
                    seen.lock().unwrap().push(token);
                    Json(serde_json::json!({ "items": 3 })).into_response()
                }
                _ => StatusCode::UNAUTHORIZED.into_response(),
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/items", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Downstream { url, tokens }
}

/// One running instance of the app.
pub struct App {
    pub base: String,
    pub auth: MsalAuth,
    /// How many posts reached the redirect URI, and how many of them carried a cookie.
    pub callback_posts: Arc<Mutex<Vec<bool>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for App {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The app's configuration against the emulator, with its redirect URI on `addr`.
pub fn auth(emu: &Emulator, addr: SocketAddr, cache: Option<Arc<dyn CacheStore>>) -> MsalAuth {
    let http = http(emu);
    let mut builder = MsalAuth::builder()
        .client_id(ids::CONFIDENTIAL_CLIENT_ID)
        .client_secret(ids::CONFIDENTIAL_CLIENT_SECRET)
        .authority(emu.authority())
        .redirect_uri(format!("http://{addr}/auth/callback"))
        .scopes([ids::USER_SCOPE])
        .after_sign_out_path("/signed-out")
        .configure_app(move |b| {
            // 127.0.0.1 is not a Microsoft cloud: no instance discovery; and a discovery cache of
            // this app's own, as each instance is a process of its own in production.
            b.known_authorities(["127.0.0.1"])
                .http_client(http)
                .discovery_cache(DiscoveryCache::new())
        });
    if let Some(store) = cache {
        builder = builder.cache_store(store);
    }
    builder.build().unwrap()
}

/// Starts an instance with sessions in `sessions` and the token cache in `cache` (memory when
/// `None`).
pub async fn start_app<St: SessionStore + Clone>(
    emu: &Emulator,
    downstream: &Downstream,
    sessions: St,
    cache: Option<Arc<dyn CacheStore>>,
) -> App {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let auth = auth(emu, addr, cache);
    let state = AppState {
        downstream: downstream.url.clone(),
        http: http(emu),
    };
    let callback_posts: Arc<Mutex<Vec<bool>>> = Arc::default();
    let seen = callback_posts.clone();
    let router = Router::new()
        .route("/", get(home))
        .route("/protected", get(protected))
        .route("/more", get(more))
        .route("/api/me", get(api_me))
        .route(
            "/signed-out",
            get(|| async { Html("<p>You are signed out.</p>") }),
        )
        .with_state(state)
        .merge(auth.router())
        .layer(auth.layer(sessions))
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                if request.method() == http::Method::POST
                    && request.uri().path() == "/auth/callback"
                {
                    let cookie = request.headers().contains_key(http::header::COOKIE);
                    seen.lock().unwrap().push(cookie);
                }
                next.run(request)
            },
        ));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    App {
        base: format!("http://{addr}"),
        auth,
        callback_posts,
        server,
    }
}

#[derive(Clone)]
struct AppState {
    downstream: String,
    http: ReqwestClient,
}

async fn home(user: Option<SignedInUser>) -> Html<String> {
    Html(match user {
        Some(user) => format!("<p>Welcome back, {}.</p>", user.name()),
        None => r#"<p>Welcome, guest. <a href="/protected">Sign in</a></p>"#.into(),
    })
}

/// The user's name and the downstream API's answer, with where the token came from.
async fn protected(
    State(state): State<AppState>,
    user: SignedInUser,
    tokens: TokenAcquirer,
) -> Result<Html<String>, AuthRejection> {
    let token = tokens.acquire_token([ids::USER_SCOPE]).await?;
    let request = http::Request::get(&state.downstream)
        .header(http::header::AUTHORIZATION, token.authorization_header())
        .body(Vec::new())
        .unwrap();
    let answer = match state.http.send(request).await {
        Ok(response) => String::from_utf8_lossy(response.body()).into_owned(),
        Err(e) => format!("error: {e}"),
    };
    Ok(Html(format!(
        "<p id=\"user\">Hello, {}!</p><p id=\"downstream\">Downstream API answered {answer}</p><p id=\"source\">token source: {:?}</p>",
        user.name(),
        token.token_source()
    )))
}

/// Needs a scope the user did not consent to at sign-in.
async fn more(tokens: TokenAcquirer) -> Result<Html<String>, AuthRejection> {
    let token = tokens.acquire_token([EXTRA_SCOPE]).await?;
    Ok(Html(format!(
        "<p>More: scopes {}</p>",
        token.scopes().join(" ")
    )))
}

async fn api_me(user: SignedInUser) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "name": user.name(), "username": user.username() }))
}
