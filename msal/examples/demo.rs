//! `cargo xtask demo`: every scenario of msal-rs against the embedded emulator, printing what a
//! user would see. Tokens are never printed, only their length.
//!
//! Run it directly with `cargo run -p msal --example demo --features full`.

use std::{
    error::Error as StdError,
    time::{Duration, Instant},
};

use msal::{
    AuthResponse, AuthenticationResult, ClientCredential, ConfidentialClientApplication,
    InstantSleep, PublicClientApplication, TokenCache, TokenSource, authority::DiscoveryCache,
    http::ReqwestClient, prelude::*,
};
use msal_emulator::{Emulator, EmulatorConfig, ids};

type BoxError = Box<dyn StdError + Send + Sync>;

struct Row {
    scenario: &'static str,
    source: String,
    latency: Duration,
    detail: String,
}

fn describe(r: &AuthenticationResult) -> String {
    let who = r
        .account()
        .as_ref()
        .map(|a| a.username.as_str())
        .unwrap_or("app-only");
    format!(
        "{} {} [redacted, {} chars] for {who}",
        r.token_type(),
        "token",
        r.access_token().secret().len()
    )
}

fn source(r: &AuthenticationResult) -> String {
    match r.token_source() {
        TokenSource::Cache => "cache".into(),
        TokenSource::IdentityProvider => "identity provider".into(),
        _ => "other".into(),
    }
}

async fn timed<T, F: std::future::Future<Output = Result<T, msal::Error>>>(
    f: F,
) -> Result<(T, Duration), msal::Error> {
    let start = Instant::now();
    let v = f.await?;
    Ok((v, start.elapsed()))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let emu = Emulator::start(EmulatorConfig::default()).await?;
    println!(
        "msal-rs {} demo: a local Microsoft Entra ID emulator is listening at {}",
        msal::VERSION,
        emu.base_url()
    );
    println!("(everything below runs offline against it; tokens are redacted)\n");
    // Trusts the emulator's private CA (and nothing else).
    let http = emu.http_client()?;
    let mut rows = Vec::new();

    // 1. Daemon: client credentials with a certificate, then the same call from the cache.
    let (key, cert) = emu.client_certificate();
    let certificate =
        msal::Certificate::from_pem(&key, None)?.with_public_certificate_pem(&cert)?;
    let daemon = ConfidentialClientApplication::builder(
        ids::CONFIDENTIAL_CLIENT_ID,
        ClientCredential::certificate(certificate),
    )
    .authority(emu.authority())?
    .known_authorities(emu.known_authorities())
    .http_client(http.clone())
    .discovery_cache(DiscoveryCache::new())
    .build()?;
    println!("[daemon] acquire_token_for_client({})", ids::APP_SCOPE);
    for scenario in ["daemon (client credentials, certificate)", "daemon again"] {
        let (r, latency) = timed(daemon.acquire_token_for_client([ids::APP_SCOPE]).send()).await?;
        rows.push(Row {
            scenario,
            source: source(&r),
            latency,
            detail: describe(&r),
        });
    }

    // 2. Browserless device: the message a user reads; the emulator approves it.
    let cache = TokenCache::new();
    let device = PublicClientApplication::builder(ids::PUBLIC_CLIENT_ID)
        .authority(emu.authority())?
        .known_authorities(emu.known_authorities())
        .http_client(http.clone())
        .token_cache(cache.clone())
        .sleep_impl(InstantSleep)
        .build()?;
    println!("\n[device code] the user sees:");
    let (r, latency) = timed(
        device
            .acquire_token_with_device_code([ids::USER_SCOPE])
            .on_device_code(|flow| println!("    {}", flow.message))
            .send(),
    )
    .await?;
    rows.push(Row {
        scenario: "device code",
        source: source(&r),
        latency,
        detail: describe(&r),
    });
    let account = r.account().ok_or("the device-code result has no account")?;
    let (r, latency) = timed(
        device
            .acquire_token_silent([ids::USER_SCOPE], account)
            .send(),
    )
    .await?;
    rows.push(Row {
        scenario: "desktop: silent after sign-in",
        source: source(&r),
        latency,
        detail: describe(&r),
    });

    // 3. Desktop: interactive sign-in; a stand-in browser plays the user at the emulator and posts
    //    the answer to the app's loopback listener.
    let desktop = PublicClientApplication::builder(ids::PUBLIC_CLIENT_ID)
        .authority(emu.authority())?
        .known_authorities(emu.known_authorities())
        .http_client(http.clone())
        .build()?;
    println!("\n[desktop] opening the system browser (a stand-in here) for interactive sign-in");
    let (r, latency) = timed(
        desktop
            .acquire_token_interactive([ids::USER_SCOPE])
            .prompt(msal::Prompt::SelectAccount)
            .browser_opener(StandInBrowser { http: http.clone() })
            .timeout(Duration::from_secs(60))
            .send(),
    )
    .await?;
    rows.push(Row {
        scenario: "desktop (interactive, loopback)",
        source: source(&r),
        latency,
        detail: describe(&r),
    });

    // 4. Web app: auth code flow with PKCE; a stand-in browser follows the redirect.
    let web = ConfidentialClientApplication::builder(
        ids::CONFIDENTIAL_CLIENT_ID,
        ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
    .authority(emu.authority())?
    .known_authorities(emu.known_authorities())
    .http_client(http.clone())
    .build()?;
    let flow = web
        .initiate_auth_code_flow([ids::USER_SCOPE])
        .redirect_uri(ids::REDIRECT_URI)
        .await?;
    println!(
        "\n[web app] redirecting the browser to the authorize endpoint (state {})",
        flow.state()
    );
    let start = Instant::now();
    let request = http::Request::get(flow.auth_uri()).body(Vec::new())?;
    let answer = msal::http::HttpClient::send(&http, request).await?;
    let location = answer
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("the authorize endpoint did not redirect")?
        .to_owned();
    let r = web
        .acquire_token_by_auth_code_flow(&flow, AuthResponse::from_redirect_url(&location)?)
        .await?;
    rows.push(Row {
        scenario: "web app (auth code + PKCE)",
        source: source(&r),
        latency: start.elapsed(),
        detail: describe(&r),
    });

    // 5. Managed identity (IMDS), then from its cache.
    managed_identity(&emu, &http, &mut rows).await?;

    // 6. Proof-of-Possession: a token bound to our key, signed for one request.
    let scheme = msal::pop::PopAuthScheme::new(
        msal::pop::HttpMethod::Get,
        "https://api.fake-entra.invalid/items",
        "nonce-1",
    )?;
    let (r, latency) = timed(
        daemon
            .acquire_token_for_client([ids::APP_SCOPE])
            .auth_scheme(scheme)
            .send(),
    )
    .await?;
    let header = r.authorization_header();
    let header = header.to_str().unwrap_or_default();
    rows.push(Row {
        scenario: "PoP (signed HTTP request)",
        source: source(&r),
        latency,
        detail: format!(
            "Authorization: {} [redacted, {} chars]",
            header.split(' ').next().unwrap_or(""),
            header.len()
        ),
    });

    // 7. The cache saved to a file and loaded by a new app: served without any request.
    let dir = std::env::temp_dir().join(format!("msal-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("msal_cache.json");
    std::fs::write(&path, cache.serialize())?;
    let reloaded = TokenCache::new();
    reloaded.deserialize(&std::fs::read_to_string(&path)?)?;
    let app = PublicClientApplication::builder(ids::PUBLIC_CLIENT_ID)
        .authority(emu.authority())?
        .known_authorities(emu.known_authorities())
        .http_client(http.clone())
        .token_cache(reloaded)
        .build()?;
    let before = emu.requests().len();
    let accounts = app.get_accounts().await?;
    let account = accounts.first().ok_or("no account in the reloaded cache")?;
    let (r, latency) = timed(app.acquire_token_silent([ids::USER_SCOPE], account).send()).await?;
    let requests = emu.requests().len() - before;
    rows.push(Row {
        scenario: "cache file reloaded",
        source: source(&r),
        latency,
        detail: format!("{} ({requests} requests sent)", describe(&r)),
    });
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "\n{:<42} {:<18} {:>9}  result",
        "scenario", "token source", "latency"
    );
    println!("{}", "-".repeat(110));
    for row in &rows {
        println!(
            "{:<42} {:<18} {:>7.1}ms  {}",
            row.scenario,
            row.source,
            row.latency.as_secs_f64() * 1000.0,
            row.detail
        );
    }
    println!(
        "\n{} requests reached the emulator in total.",
        emu.requests().len()
    );
    Ok(())
}

async fn managed_identity(
    emu: &Emulator,
    http: &ReqwestClient,
    rows: &mut Vec<Row>,
) -> Result<(), BoxError> {
    use msal::managed_identity::{ManagedIdentityClient, UserAssignedManagedIdentity};
    let env = msal::Env::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", emu.http_base_url())]);
    let mi = ManagedIdentityClient::new(
        UserAssignedManagedIdentity::client_id(ids::MI_IMDS_CLIENT_ID),
        http.clone(),
    )
    .with_env(env);
    println!("\n[managed identity] detected source: {:?}", mi.source());
    for scenario in ["managed identity (IMDS)", "managed identity again"] {
        let (r, latency) = timed(mi.acquire_token_for_client(ids::MI_RESOURCE).send()).await?;
        rows.push(Row {
            scenario,
            source: source(&r),
            latency,
            detail: describe(&r),
        });
    }
    Ok(())
}

/// Plays the user's browser: loads the sign-in page (the emulator signs in without UI and answers
/// with an auto-submitting form) and submits it to the app's loopback redirect URI.
#[derive(Debug)]
struct StandInBrowser {
    http: ReqwestClient,
}

impl msal::BrowserOpener for StandInBrowser {
    fn open(&self, url: &str) -> std::io::Result<()> {
        let http = self.http.clone();
        let url = url.to_owned();
        // A real browser runs beside the app: never block the caller.
        tokio::spawn(async move {
            if let Err(e) = submit_sign_in(&http, &url).await {
                eprintln!("stand-in browser: {e}");
            }
        });
        Ok(())
    }
}

async fn submit_sign_in(http: &ReqwestClient, url: &str) -> Result<(), BoxError> {
    use msal::http::HttpClient;
    let page = http.send(http::Request::get(url).body(Vec::new())?).await?;
    let page = String::from_utf8(page.into_body())?;
    let attr = |s: &str, name: &str| -> Option<String> {
        let start = s.find(&format!("{name}=\""))? + name.len() + 2;
        let len = s[start..].find('"')?;
        Some(
            s[start..start + len]
                .replace("&amp;", "&")
                .replace("&quot;", "\"")
                .replace("&#x27;", "'"),
        )
    };
    let action = attr(&page, "action").ok_or("no form on the sign-in page")?;
    let fields: Vec<(String, String)> = page
        .split("<input ")
        .skip(1)
        .filter_map(|input| Some((attr(input, "name")?, attr(input, "value")?)))
        .collect();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&fields)
        .finish();
    let post = http::Request::post(action)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.into_bytes())?;
    http.send(post).await?;
    Ok(())
}
