//! An axum web app with msal-axum: a public home page, a protected page that shows the signed-in
//! user and calls a downstream API with a token acquired silently, and sign-out.
//!
//! ```sh
//! cargo run -p msal-axum --example web_app              # emulator; a scripted browser signs in once
//! cargo run -p msal-axum --example web_app -- --serve   # emulator; keep serving for a real browser
//! MSAL_CLIENT_ID=… MSAL_TENANT_ID=… MSAL_CLIENT_SECRET=… cargo run -p msal-axum --example web_app
//! ```
//! Against Entra ID (when `MSAL_CLIENT_ID` is set) it serves until Ctrl-C at
//! http://localhost:8400/: register `http://localhost:8400/auth/callback` as a "Web" redirect URI
//! (or set `MSAL_REDIRECT_URI`) and `http://localhost:8400/` as the front-channel logout URL. The
//! downstream API is Microsoft Graph's `/me` with `User.Read` (`MSAL_SCOPES`, `DOWNSTREAM_URL`
//! change them). Tokens are never printed, only their length.

#[path = "../tests/support/browser.rs"]
mod browser;

use axum::{
    Router,
    extract::State,
    response::{Html, IntoResponse},
    routing::get,
};
use msal::http::{HttpClient as _, ReqwestClient};
use msal_axum::{AuthRejection, MemoryStore, MsalAuth, SignedInUser, TokenAcquirer};
use msal_emulator::{Emulator, EmulatorConfig, ids};
use tokio::net::TcpListener;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone)]
struct AppState {
    http: ReqwestClient,
    downstream_url: String,
    scopes: Vec<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Display, not Debug: a configuration error names what to set.
            eprintln!("web_app: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BoxError> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "msal_axum=info".into()))
        .init();
    let entra = std::env::var_os("MSAL_CLIENT_ID").is_some();
    let serve = entra || std::env::args().any(|a| a == "--serve");

    // Entra needs the registered redirect URI's fixed port; the scripted run takes any.
    let listener = TcpListener::bind(("127.0.0.1", if serve { 8400 } else { 0 })).await?;
    let base = format!("http://localhost:{}", listener.local_addr()?.port());

    let mut emulator = None;
    let (auth, state) = if entra {
        let auth = MsalAuth::builder()
            .redirect_uri(format!("{base}/auth/callback")) // unless MSAL_REDIRECT_URI says otherwise
            .scopes(["User.Read"])
            .from_env()
            .build()?;
        let state = AppState {
            http: ReqwestClient::new(),
            downstream_url: std::env::var("DOWNSTREAM_URL")
                .unwrap_or_else(|_| "https://graph.microsoft.com/v1.0/me".into()),
            scopes: auth.scopes().to_vec(),
        };
        println!("Using Microsoft Entra ID");
        (auth, state)
    } else {
        let emu = Emulator::start(EmulatorConfig::default()).await?;
        println!(
            "MSAL_CLIENT_ID is not set: using a local Entra ID emulator at {}",
            emu.base_url()
        );
        let http = ReqwestClient::builder()
            .add_root_certificate_pem(emu.ca_pem().as_bytes())?
            .no_proxy()
            .build()?;
        let app_http = http.clone();
        let auth = MsalAuth::builder()
            .client_id(ids::CONFIDENTIAL_CLIENT_ID)
            .client_secret(ids::CONFIDENTIAL_CLIENT_SECRET)
            .authority(emu.authority())
            .redirect_uri(format!("{base}/auth/callback"))
            .scopes([ids::USER_SCOPE])
            // 127.0.0.1 is not a Microsoft cloud: skip instance discovery; trust the emulator's CA.
            .configure_app(move |b| b.known_authorities(["127.0.0.1"]).http_client(app_http))
            .build()?;
        let state = AppState {
            http,
            downstream_url: format!("{base}/api/items"),
            scopes: vec![ids::USER_SCOPE.to_owned()],
        };
        emulator = Some(emu);
        (auth, state)
    };

    let app = Router::new()
        .route("/", get(home))
        .route("/protected", get(protected))
        .route("/api/items", get(items))
        .with_state(state.clone())
        .merge(auth.router())
        .layer(auth.layer(MemoryStore::default()));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    if serve {
        println!("Open {base}/ in a browser (Ctrl-C stops the server).");
        tokio::signal::ctrl_c().await?;
    } else {
        let browser = browser::Browser::new(state.http.clone());
        println!("A scripted browser opens {base}/protected");
        let page = browser.open(&format!("{base}/protected")).await?;
        println!("and, after signing in, shows: {}", text(&page.body));
        if !page.body.contains("Hello, ") {
            return Err(format!("sign-in did not reach the protected page: {}", page.body).into());
        }
        let page = browser.open(&format!("{base}/auth/sign-out")).await?;
        println!("Signed out: {}", text(&page.body));
        if let Some(emu) = &emulator {
            println!(
                "The emulator saw {} sign-in, {} token request and {} sign-out.",
                emu.count("GET", "/oauth2/v2.0/authorize"),
                emu.count("POST", "/oauth2/v2.0/token"),
                emu.count("GET", "/oauth2/v2.0/logout"),
            );
        }
    }
    server.abort();
    Ok(())
}

async fn home(user: Option<SignedInUser>) -> Html<String> {
    Html(match user {
        Some(user) => format!(
            r#"<p>Signed in as {}. <a href="/protected">Your page</a> · <a href="/auth/sign-out">Sign out</a></p>"#,
            escape(user.name())
        ),
        None => r#"<p>Welcome. <a href="/protected">Sign in</a></p>"#.into(),
    })
}

/// Signed-out visitors are sent to sign in and brought back here.
async fn protected(
    State(state): State<AppState>,
    user: SignedInUser,
    tokens: TokenAcquirer,
) -> Result<Html<String>, AuthRejection> {
    // From the user's cache partition; a consent or claims challenge redirects through sign-in.
    let token = tokens.acquire_token(&state.scopes).await?;
    let request = http::Request::get(&state.downstream_url)
        .header(http::header::AUTHORIZATION, token.authorization_header())
        .body(Vec::new());
    let answer = match request {
        Ok(request) => match state.http.send(request).await {
            Ok(response) => format!(
                "{} {}",
                response.status(),
                String::from_utf8_lossy(response.body())
            ),
            Err(e) => format!("failed: {e}"),
        },
        Err(e) => format!("failed: {e}"),
    };
    Ok(Html(format!(
        r#"<p>Hello, {}!</p><p>Downstream API ({} token of {} chars from {:?}) answered: {}</p><p><a href="/auth/sign-out">Sign out</a></p>"#,
        escape(user.name()),
        escape(&token.scopes().join(" ")),
        token.access_token().secret().len(),
        token.token_source(),
        escape(&answer),
    )))
}

/// The emulator run's downstream API: it only checks that a bearer token came.
async fn items(headers: http::HeaderMap) -> impl IntoResponse {
    match headers.get(http::header::AUTHORIZATION) {
        Some(value) if value.as_bytes().starts_with(b"Bearer ") => {
            (http::StatusCode::OK, r#"{"items":3}"#)
        }
        _ => (http::StatusCode::UNAUTHORIZED, r#"{"error":"no token"}"#),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A page's text, without tags, for the terminal.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
