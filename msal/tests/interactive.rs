//! Interactive sign-in end to end: a stand-in browser signs in at the emulator, reads its
//! auto-submitting form_post page and posts it to our loopback listener.
#![cfg(all(feature = "interactive", feature = "reqwest"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::{
    io,
    sync::{Arc, Mutex},
    time::Duration,
};

use msal::{
    BrowserOpener, Error, TokenSource, Ui,
    http::{HttpClient as _, ReqwestClient},
    prelude::*,
};
use support::*;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// What the stand-in browser does once opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    /// Sign in and post the answer.
    SignIn,
    /// Ask for /favicon.ico first, as browsers do.
    FaviconFirst,
    /// Post the answer with another state.
    ForgeState,
    /// Post a forged answer (another code, another state) first, then the real one.
    StrayStateFirst,
    /// Sign in with another nonce in the authorize URL (the ID token then carries it).
    ForgeNonce,
    /// Skip the identity provider: post `error=access_denied` with the right state straight to
    /// the redirect URI the sign-in URL names (at the address it names).
    DeclineDirectly,
    /// Open nothing and never answer (the user walked away).
    Idle,
    /// Fail to open.
    Fail,
    /// Fail to open, then sign in anyway: the user opened the printed URL in another browser
    /// (over SSH, from a container's host).
    FailThenSignIn,
    /// Load the welcome page and follow its link.
    Welcome,
}

#[derive(Debug, Clone)]
struct FakeBrowser {
    http: ReqwestClient,
    act: Act,
    opened: Arc<Mutex<Vec<String>>>,
    /// (status, body) of each loopback answer, in order.
    pages: Arc<Mutex<Vec<(u16, String)>>>,
}

impl FakeBrowser {
    fn new(emu: &Emulator, act: Act) -> Self {
        Self {
            http: http(emu),
            act,
            opened: Arc::default(),
            pages: Arc::default(),
        }
    }

    fn opened(&self) -> String {
        self.opened
            .lock()
            .unwrap()
            .first()
            .cloned()
            .expect("opened")
    }

    /// The loopback pages, once `n` have arrived.
    async fn pages(&self, n: usize) -> Vec<(u16, String)> {
        for _ in 0..500 {
            if self.pages.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.pages.lock().unwrap().clone()
    }

    async fn play(self, mut url: String) {
        if self.act == Act::Welcome {
            let (status, page) = loopback(&url, "GET", None).await;
            assert_eq!(status, 200);
            url = unescape(between(&page, "href=\"", "\"").expect("a link"));
        }
        if self.act == Act::DeclineDirectly {
            let auth = url::Url::parse(&url).unwrap();
            let param = |name: &str| {
                auth.query_pairs()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.into_owned())
                    .unwrap()
            };
            let body = form_urlencoded::Serializer::new(String::new())
                .append_pair("error", "access_denied")
                .append_pair("state", &param("state"))
                .finish();
            let answer = loopback(&param("redirect_uri"), "POST", Some(&body)).await;
            self.pages.lock().unwrap().push(answer);
            return;
        }
        if self.act == Act::ForgeNonce {
            url = with_forged_nonce(&url);
        }
        let mut request = msal::http::HttpRequest::new(Vec::new());
        *request.uri_mut() = url.parse().unwrap();
        let answer = self.http.send(request).await.unwrap();
        assert_eq!(
            answer.status(),
            200,
            "the emulator answers form_post with a page"
        );
        let page = String::from_utf8(answer.into_body()).unwrap();
        let action = unescape(between(&page, "action=\"", "\"").unwrap());
        let mut fields: Vec<(String, String)> = page
            .split("<input type=\"hidden\" ")
            .skip(1)
            .map(|input| {
                (
                    unescape(between(input, "name=\"", "\"").unwrap()),
                    unescape(between(input, "value=\"", "\"").unwrap()),
                )
            })
            .collect();
        if self.act == Act::ForgeState {
            for (k, v) in &mut fields {
                if k == "state" {
                    *v = "forged-state".into();
                }
            }
        }
        if self.act == Act::StrayStateFirst {
            let forged = form_urlencoded::Serializer::new(String::new())
                .append_pair("code", "stray-code")
                .append_pair("state", "forged-state")
                .finish();
            let stray = loopback(&action, "POST", Some(&forged)).await;
            self.pages.lock().unwrap().push(stray);
        }
        if self.act == Act::FaviconFirst {
            let origin = action.trim_end_matches('/').to_owned();
            let favicon = loopback(&format!("{origin}/favicon.ico"), "GET", None).await;
            self.pages.lock().unwrap().push(favicon);
        }
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&fields)
            .finish();
        let answer = loopback(&action, "POST", Some(&body)).await;
        self.pages.lock().unwrap().push(answer);
    }
}

impl BrowserOpener for FakeBrowser {
    fn open(&self, url: &str) -> io::Result<()> {
        self.opened.lock().unwrap().push(url.to_owned());
        match self.act {
            Act::Fail => Err(io::Error::other("no browser here")),
            Act::FailThenSignIn => {
                tokio::spawn(self.clone().play(url.to_owned()));
                Err(io::Error::other("no browser here"))
            }
            Act::Idle => Ok(()),
            _ => {
                // A real browser runs beside the app: never block the caller.
                tokio::spawn(self.clone().play(url.to_owned()));
                Ok(())
            }
        }
    }
}

fn between<'s>(s: &'s str, start: &str, end: &str) -> Option<&'s str> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(&s[from..from + len])
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A plain HTTP/1.1 request to the loopback listener, at the address the URL names (127.0.0.1
/// for `localhost`).
async fn loopback(url: &str, method: &str, form: Option<&str>) -> (u16, String) {
    let url = url::Url::parse(url).unwrap();
    let port = url.port().unwrap();
    let ip: std::net::IpAddr = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.into(),
        Some(url::Host::Ipv6(ip)) => ip.into(),
        _ => std::net::Ipv4Addr::LOCALHOST.into(),
    };
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let mut stream = TcpStream::connect((ip, port)).await.unwrap();
    let body = form.unwrap_or_default();
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: localhost:{port}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The loopback port named in the sign-in URL's redirect_uri.
fn redirect_port(auth_uri: &str) -> u16 {
    let url = url::Url::parse(auth_uri).unwrap();
    let redirect = url
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    url::Url::parse(&redirect).unwrap().port().unwrap()
}

async fn assert_closed(port: u16) {
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "the listener on {port} is closed"
    );
}

#[tokio::test]
async fn signs_in_through_the_browser_and_caches_the_account() {
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();
    let browser = FakeBrowser::new(&emu, Act::SignIn);
    let launched = Arc::new(Mutex::new(Vec::new()));
    let seen = launched.clone();
    let result = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .browser_opener(browser.clone())
        .on_before_launching_ui(move |ui| seen.lock().unwrap().push(ui))
        .extra_scopes_to_consent(["https://other.fake-entra.invalid/Other.Read"])
        .await
        .unwrap();
    assert_eq!(*launched.lock().unwrap(), vec![Ui::Browser]);
    assert_eq!(result.token_source(), TokenSource::IdentityProvider);
    let account = result.account().cloned().unwrap();
    assert_eq!(account.username, ids::USER_UPN);
    assert_eq!(
        account.account_source.as_deref(),
        Some("authorization_code")
    );

    let auth_uri = browser.opened();
    let port = redirect_port(&auth_uri);
    assert!(auth_uri.contains("response_mode=form_post"));
    assert!(auth_uri.contains("code_challenge_method=S256"));
    assert!(
        auth_uri.contains("Other.Read"),
        "extra consent scopes are asked for"
    );
    let pages = browser.pages(1).await;
    assert_eq!(pages[0].0, 200);
    assert!(pages[0].1.starts_with("Authentication complete."));

    let token = sent(&emu, "POST", "/oauth2/v2.0/token").remove(0);
    assert_eq!(token.form_param("grant_type"), Some("authorization_code"));
    let redirect = format!("http://localhost:{port}");
    assert_eq!(token.form_param("redirect_uri"), Some(redirect.as_str()));
    assert!(token.form_param("code_verifier").is_some());
    assert!(!token.form_param("scope").unwrap().contains("Other.Read"));
    // Tagged as MSAL Python tags it: interactive (169), not authorization code (832).
    assert_eq!(token.header("x-client-current-telemetry"), Some("4|169,0|"));
    assert!(
        token
            .header("X-AnchorMailbox")
            .is_some_and(|a| a.starts_with("Oid:"))
    );
    assert_closed(port).await;

    // The account and tokens are in the cache: silent works without the browser.
    let accounts = app.get_accounts().await.unwrap();
    assert_eq!(accounts, vec![account.clone()]);
    let silent = app
        .acquire_token_silent([ids::USER_SCOPE], &account)
        .await
        .unwrap();
    assert_eq!(silent.token_source(), TokenSource::Cache);
    assert_eq!(silent.access_token(), result.access_token());
}

#[tokio::test]
async fn a_declined_sign_in_shows_the_failure_page() {
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();
    let browser = FakeBrowser::new(&emu, Act::SignIn);
    let err = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .login_hint("access_denied@error.invalid")
        .error_template("<p>$error: $error_description</p>")
        .browser_opener(browser.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AuthorizationDeclined(_)), "{err:?}");
    assert_eq!(err.service_error().unwrap().error, "access_denied");
    let pages = browser.pages(1).await;
    assert_eq!(pages[0].0, 400);
    assert!(
        pages[0].1.starts_with("<p>access_denied: AADSTS90000"),
        "{}",
        pages[0].1
    );
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 0);
}

#[tokio::test]
async fn a_forged_state_is_refused_and_the_deadline_says_state_mismatch() {
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();
    let browser = FakeBrowser::new(&emu, Act::ForgeState);
    let err = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .browser_opener(browser.clone())
        .timeout(Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::StateMismatch), "{err:?}");
    let pages = browser.pages(1).await;
    assert_eq!(pages[0].0, 400);
    assert!(pages[0].1.contains("state_mismatch"));
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 0);
    assert!(app.get_accounts().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_nonce_mismatch_fails_and_caches_nothing() {
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();
    let browser = FakeBrowser::new(&emu, Act::ForgeNonce);
    let err = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .browser_opener(browser.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::IdToken(msal::IdTokenError::NonceMismatch)),
        "{err:?}"
    );
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 1);
    // Nothing of the rejected sign-in is left for acquire_token_silent to serve.
    assert!(app.get_accounts().await.unwrap().is_empty());
    assert_cache_empty(app.token_cache());
    let account = msal::Account {
        home_account_id: format!("{}.{}", ids::USER_OID, ids::TENANT_ID),
        environment: "127.0.0.1".into(),
        username: ids::USER_UPN.into(),
        local_account_id: ids::USER_OID.into(),
        realm: ids::TENANT_ID.into(),
        authority_type: msal::AuthorityType::Mssts,
        account_source: None,
    };
    assert!(
        app.acquire_token_silent([ids::USER_SCOPE], &account)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_stray_answer_with_a_wrong_state_does_not_end_the_flow() {
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();
    let browser = FakeBrowser::new(&emu, Act::StrayStateFirst);
    let result = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .browser_opener(browser.clone())
        .timeout(Duration::from_secs(10))
        .await
        .unwrap();
    assert!(result.account().is_some());
    let pages = browser.pages(2).await;
    assert_eq!(pages[0].0, 400);
    assert!(pages[0].1.contains("state_mismatch"));
    assert_eq!(pages[1].0, 200);
    // Only the real answer's code was redeemed.
    let tokens = sent(&emu, "POST", "/oauth2/v2.0/token");
    assert_eq!(tokens.len(), 1);
    assert_ne!(tokens[0].form_param("code"), Some("stray-code"));
}

#[tokio::test]
async fn a_stray_favicon_request_does_not_end_the_flow() {
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();
    let browser = FakeBrowser::new(&emu, Act::FaviconFirst);
    let result = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .browser_opener(browser.clone())
        .await
        .unwrap();
    assert!(result.account().is_some());
    let pages = browser.pages(2).await;
    assert_eq!(pages[0].0, 404);
    assert_eq!(pages[1].0, 200);
}

#[tokio::test]
async fn no_answer_times_out_and_closes_the_listener() {
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();
    let browser = FakeBrowser::new(&emu, Act::Idle);
    let err = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .browser_opener(browser.clone())
        .timeout(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert_closed(redirect_port(&browser.opened())).await;
}

#[tokio::test]
async fn cancel_on_and_dropping_the_future_close_the_listener() {
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();
    let browser = FakeBrowser::new(&emu, Act::Idle);
    let err = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .browser_opener(browser.clone())
        .cancel_on(tokio::time::sleep(Duration::from_millis(300)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err:?}");
    assert_closed(redirect_port(&browser.opened())).await;

    let browser = FakeBrowser::new(&emu, Act::Idle);
    let request = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .browser_opener(browser.clone())
        .into_future();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), request)
            .await
            .is_err()
    );
    assert_closed(redirect_port(&browser.opened())).await;
}

#[tokio::test]
async fn without_a_browser_the_sign_in_keeps_waiting_for_the_printed_url() {
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();
    // No browser and no on_auth_uri: the URL goes to stderr and the listener stays up, so the
    // user can complete the sign-in from elsewhere.
    let browser = FakeBrowser::new(&emu, Act::FailThenSignIn);
    let result = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .browser_opener(browser.clone())
        .timeout(Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(result.token_source(), TokenSource::IdentityProvider);
    assert!(result.account().is_some());
    assert_eq!(browser.pages(1).await[0].0, 200, "the success page");

    // Nobody comes: the deadline ends it, not a browser error, and the listener closes.
    let browser = FakeBrowser::new(&emu, Act::Fail);
    let err = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .browser_opener(browser.clone())
        .timeout(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert_closed(redirect_port(&browser.opened())).await;
}

#[tokio::test]
async fn a_browser_that_fails_to_open_with_on_auth_uri() {
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();

    // With on_auth_uri the user is shown the URL instead, and signs in with it.
    let player = FakeBrowser::new(&emu, Act::SignIn);
    let shown = player.clone();
    let result = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .browser_opener(FakeBrowser::new(&emu, Act::Fail))
        .on_auth_uri(move |uri| {
            shown.open(uri).unwrap();
        })
        .await
        .unwrap();
    assert!(result.account().is_some());
}

#[tokio::test]
async fn the_port_and_redirect_uri_options() {
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let browser = FakeBrowser::new(&emu, Act::SignIn);
    app.acquire_token_interactive([ids::USER_SCOPE])
        .browser_opener(browser.clone())
        .port(port)
        .await
        .unwrap();
    assert_eq!(redirect_port(&browser.opened()), port);

    let browser = FakeBrowser::new(&emu, Act::SignIn);
    app.acquire_token_interactive([ids::USER_SCOPE])
        .browser_opener(browser.clone())
        .redirect_uri("http://127.0.0.1/callback")
        .await
        .unwrap();
    let token = sent(&emu, "POST", "/oauth2/v2.0/token").pop().unwrap();
    let redirect = token.form_param("redirect_uri").unwrap();
    assert!(redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/callback"));

    // Another 127/8 address: the browser is sent there, so that is where we must listen (the
    // emulator accepts only the usual loopback hosts, so the answer is posted directly).
    let browser = FakeBrowser::new(&emu, Act::DeclineDirectly);
    let answered = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .browser_opener(browser.clone())
        .redirect_uri("http://127.0.0.2/callback")
        .timeout(Duration::from_secs(10))
        .await
        .unwrap_err();
    if std::net::TcpListener::bind("127.0.0.2:0").is_ok() {
        assert!(
            matches!(answered, Error::AuthorizationDeclined(_)),
            "{answered:?}"
        );
        assert!(browser.opened().contains("127.0.0.2%3A"));
        assert_eq!(browser.pages(1).await[0].0, 400);
    } else {
        // 127.0.0.2 is not configured here: a typed error, never a listener elsewhere.
        assert!(
            matches!(answered, Error::InvalidArgument(_)),
            "{answered:?}"
        );
    }

    let err = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .redirect_uri("https://app.example/callback")
        .browser_opener(FakeBrowser::new(&emu, Act::SignIn))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
}

#[tokio::test]
async fn a_welcome_page_leads_to_the_sign_in() {
    let emu = emulator().await;
    let app = public_app(&emu).build().unwrap();
    let browser = FakeBrowser::new(&emu, Act::Welcome);
    let result = app
        .acquire_token_interactive([ids::USER_SCOPE])
        .welcome_template("<a href=\"$auth_uri\">Sign in</a> or <a href=\"$abort_uri\">abort</a>")
        .success_template("<h1>Done</h1>")
        .browser_opener(browser.clone())
        .await
        .unwrap();
    assert!(result.account().is_some());
    assert!(browser.opened().ends_with("?welcome=true"));
    assert_eq!(browser.pages(1).await[0], (200, "<h1>Done</h1>".to_owned()));
}
