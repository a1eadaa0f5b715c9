//! Web app sign-in (authorization code flow with PKCE) on a minimal hyper server at 127.0.0.1:
//! `/` sends the browser to sign in, `/callback` receives the code (form_post) and redeems it.
//!
//! ```sh
//! cargo run -p msal --example web_app_hyper                # emulator: a stand-in browser signs in once
//! cargo run -p msal --example web_app_hyper -- --serve     # keep serving, for a real browser
//! MSAL_CLIENT_ID=… MSAL_CLIENT_SECRET=… cargo run -p msal --example web_app_hyper   # then open http://localhost:8400/
//! ```
//!
//! Against Microsoft Entra ID (when `MSAL_CLIENT_ID` is set): `MSAL_AUTHORITY` or
//! `MSAL_TENANT_ID` (default `organizations`); `MSAL_CLIENT_SECRET`, or `MSAL_CERT_PATH` +
//! `MSAL_KEY_PATH` (PEM files); `MSAL_SCOPES` (default `User.Read`); register
//! `http://localhost:8400/callback` as a "Web" redirect URI. Without it the example starts a
//! local emulator (`msal_emulator`) and a stand-in browser signs in once, so it runs offline.
//!
//! The server is plain hyper 1 + hyper-util, already built for the emulator, to keep compile time
//! down; any framework (axum, actix-web) does the same in its handlers.

// The stand-in browser: emulator-only, and shared with the desktop_interactive example.
#[path = "support/browser.rs"]
mod browser;

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{Arc, Mutex, PoisonError},
};

use http::{Method, Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use msal::{
    AuthCodeFlow, AuthResponse, Certificate, ClientCredential, ConfidentialClientApplication,
    ResponseMode, prelude::*,
};
use msal_emulator::{Emulator, EmulatorConfig, ids};
use tokio::net::TcpListener;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

struct WebApp {
    app: ConfidentialClientApplication,
    scopes: Vec<String>,
    redirect_uri: String,
    /// Sign-ins in progress, keyed by the `state` Entra ID sends back. The flow holds the PKCE
    /// verifier and nonce, so it never leaves the server. A real app also ties it to the browser's
    /// session cookie (so nobody can finish someone else's sign-in) and expires abandoned ones.
    flows: Mutex<HashMap<String, AuthCodeFlow>>,
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // The emulator (if any) stops when dropped: keep it for as long as the app runs.
    let (app, scopes, emulator) = create_app().await?;
    let serve = emulator.is_none() || std::env::args().any(|a| a == "--serve");
    // The registered redirect URI names a fixed port; the self-driven emulator run needs none.
    let listener = TcpListener::bind(("127.0.0.1", if serve { 8400 } else { 0 })).await?;
    let home = format!("http://localhost:{}/", listener.local_addr()?.port());

    let state = Arc::new(WebApp {
        app,
        scopes,
        redirect_uri: format!("{home}callback"),
        flows: Mutex::default(),
    });
    let server = tokio::spawn(run(listener, state));

    if serve {
        println!("Open {home} in a browser (Ctrl-C stops the server).");
        tokio::signal::ctrl_c().await?;
    } else if let Some(emulator) = &emulator {
        println!("A stand-in browser opens {home}");
        let page = browser::sign_in(&emulator.http_client()?, &home).await?;
        println!("and shows: {page}");
    }
    server.abort();
    Ok(())
}

async fn run(listener: TcpListener, state: Arc<WebApp>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(state.clone(), request));
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            if let Err(e) = connection.await {
                eprintln!("connection: {e}");
            }
        });
    }
}

async fn handle(
    state: Arc<WebApp>,
    request: Request<Incoming>,
) -> Result<Response<String>, Infallible> {
    let result = match (request.method(), request.uri().path()) {
        (&Method::GET, "/") => start_sign_in(&state).await,
        (&Method::POST, "/callback") => finish_sign_in(&state, request).await,
        _ => Ok(page(StatusCode::NOT_FOUND, "Not found.".into())),
    };
    // msal's error messages never contain secrets, so they can be shown; escape them like any text.
    Ok(result.unwrap_or_else(|e| {
        let message = format!(
            "Sign-in failed: {}. <a href=\"/\">Try again</a>",
            escape(&e.to_string())
        );
        page(StatusCode::BAD_REQUEST, message)
    }))
}

/// `GET /`: start a sign-in and redirect the browser to Entra ID.
async fn start_sign_in(state: &WebApp) -> Result<Response<String>, BoxError> {
    let flow = state
        .app
        .initiate_auth_code_flow(&state.scopes)
        .redirect_uri(&state.redirect_uri)
        // The code arrives in a POST body instead of the URL, so it stays out of browser history
        // and server logs.
        .response_mode(ResponseMode::FormPost)
        .await?;
    let auth_uri = flow.auth_uri().to_owned();
    lock(state).insert(flow.state().to_owned(), flow);
    Ok(Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, auth_uri)
        .body(String::new())?)
}

/// `POST /callback`: redeem the code for tokens (checking state, nonce and PKCE).
async fn finish_sign_in(
    state: &WebApp,
    request: Request<Incoming>,
) -> Result<Response<String>, BoxError> {
    let body = request.into_body().collect().await?.to_bytes();
    let flow_state = form_urlencoded::parse(&body)
        .find(|(name, _)| name == "state")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    // Removed, not read: a flow is good for one sign-in.
    let flow = lock(state)
        .remove(&flow_state)
        .ok_or("unknown or already used sign-in")?;
    let result = state
        .app
        .acquire_token_by_auth_code_flow(&flow, AuthResponse::from_form(&body)?)
        .await?;

    let claims = result.id_token_claims();
    let name = claims.and_then(|c| c.name.clone()).unwrap_or_default();
    let message = format!(
        "Hello, {}! Access token for {}: {}",
        escape(&name),
        escape(&result.scopes().join(" ")),
        redacted(result.access_token().secret())
    );
    Ok(page(StatusCode::OK, message))
}

fn lock(state: &WebApp) -> std::sync::MutexGuard<'_, HashMap<String, AuthCodeFlow>> {
    // A panic elsewhere cannot leave the map half-written, so a poisoned lock is still usable.
    state.flows.lock().unwrap_or_else(PoisonError::into_inner)
}

fn page(status: StatusCode, html: String) -> Response<String> {
    let mut response = Response::new(format!("<!doctype html><p>{html}</p>"));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Microsoft Entra ID when `MSAL_CLIENT_ID` is set, otherwise a freshly started emulator.
async fn create_app()
-> Result<(ConfidentialClientApplication, Vec<String>, Option<Emulator>), BoxError> {
    if let Some(client_id) = var("MSAL_CLIENT_ID") {
        let authority = var("MSAL_AUTHORITY").unwrap_or_else(|| {
            let tenant = var("MSAL_TENANT_ID").unwrap_or_else(|| "organizations".to_owned());
            format!("https://login.microsoftonline.com/{tenant}")
        });
        println!("Using Microsoft Entra ID at {authority}");
        let app = ConfidentialClientApplication::builder(client_id, credential_from_env()?)
            .authority(authority)?
            .build()?;
        return Ok((app, scopes_from_env("User.Read"), None));
    }

    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    println!(
        "MSAL_CLIENT_ID is not set: using a local Entra ID emulator at {}",
        emulator.base_url()
    );
    let app = ConfidentialClientApplication::builder(
        ids::CONFIDENTIAL_CLIENT_ID,
        ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
    .authority(emulator.authority())?
    // 127.0.0.1 is no Microsoft cloud: without this, the app would first ask
    // login.microsoftonline.com to vouch for it (instance discovery).
    .known_authorities(emulator.known_authorities())
    // Trusts the emulator's private CA.
    .http_client(emulator.http_client()?)
    .build()?;
    Ok((app, vec![ids::USER_SCOPE.to_owned()], Some(emulator)))
}

/// `MSAL_CLIENT_SECRET`, else the certificate in `MSAL_CERT_PATH` and its key in `MSAL_KEY_PATH`.
fn credential_from_env() -> Result<ClientCredential, BoxError> {
    if let Some(secret) = var("MSAL_CLIENT_SECRET") {
        return Ok(ClientCredential::secret(secret));
    }
    let (Some(cert_path), Some(key_path)) = (var("MSAL_CERT_PATH"), var("MSAL_KEY_PATH")) else {
        return Err("set MSAL_CLIENT_SECRET, or MSAL_CERT_PATH and MSAL_KEY_PATH".into());
    };
    // The public certificate gives Entra ID the SHA-256 thumbprint it looks the key up by.
    let certificate = Certificate::from_pem(&std::fs::read_to_string(key_path)?, None)?
        .with_public_certificate_pem(&std::fs::read_to_string(cert_path)?)?;
    Ok(ClientCredential::certificate(certificate))
}

/// `MSAL_SCOPES` (space- or comma-separated), else `default`.
fn scopes_from_env(default: &str) -> Vec<String> {
    var("MSAL_SCOPES").map_or_else(
        || vec![default.to_owned()],
        |s| {
            s.split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        },
    )
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// How a secret is shown: never its value, only its length.
fn redacted(secret: &str) -> String {
    format!("[redacted, {} chars]", secret.len())
}
