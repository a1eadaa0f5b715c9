//! The routes and extractors as a browser meets them, against the emulator, with a scripted
//! browser (`support/browser.rs`) and sessions in memory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use msal::ClientApplication as _;
use support::{browser::Browser, *};

struct Setup {
    emu: Emulator,
    downstream: Downstream,
    app: App,
    browser: Browser,
}

async fn setup() -> Setup {
    let emu = emulator().await;
    let downstream = downstream().await;
    let app = start_app(&emu, &downstream, msal_axum::MemoryStore::default(), None).await;
    let browser = Browser::new(http(&emu));
    Setup {
        emu,
        downstream,
        app,
        browser,
    }
}

fn session_cookies(browser: &Browser) -> Vec<String> {
    browser
        .set_cookie_headers()
        .into_iter()
        .filter(|h| h.starts_with("msal_session="))
        .collect()
}

#[tokio::test]
async fn signed_in_user_without_a_session_redirects_to_sign_in_with_the_return_path() {
    let s = setup().await;
    let (page, location) = s
        .browser
        .send(
            "GET",
            &format!("{}/protected?tab=2", s.app.base),
            Vec::new(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(page.status, 303);
    assert_eq!(
        location.unwrap(),
        format!(
            "{}/auth/sign-in?return_to=%2Fprotected%3Ftab%3D2",
            s.app.base
        )
    );
    assert_eq!(s.emu.count("GET", "/oauth2/v2.0/authorize"), 0);
}

#[tokio::test]
async fn signed_in_user_answers_401_with_json_to_api_requests() {
    let s = setup().await;
    let (page, location) = s
        .browser
        .send(
            "GET",
            &format!("{}/api/me", s.app.base),
            Vec::new(),
            &[("accept", "application/json")],
        )
        .await
        .unwrap();
    assert_eq!(page.status, 401);
    assert!(location.is_none());
    let body: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(body["error"], "sign_in_required");
    assert_eq!(body["sign_in_url"], "/auth/sign-in?return_to=%2Fapi%2Fme");
}

#[tokio::test]
async fn option_of_signed_in_user_lets_guests_in() {
    let s = setup().await;
    let page = s.browser.open(&format!("{}/", s.app.base)).await.unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Welcome, guest"), "{}", page.body);
}

#[tokio::test]
async fn sign_in_returns_to_the_requested_page_with_a_rotated_session_and_safe_cookie() {
    let s = setup().await;
    let page = s
        .browser
        .open(&format!("{}/protected", s.app.base))
        .await
        .unwrap();
    assert_eq!(page.url, format!("{}/protected", s.app.base));
    assert!(
        page.body.contains(&format!("Hello, {}!", ids::USER_NAME)),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"{"items":3}"#), "{}", page.body);
    assert_eq!(s.downstream.tokens.lock().unwrap().len(), 1);
    // The sign-in redeemed the code and cached the token: the page was served from the cache.
    assert!(page.body.contains("token source: Cache"), "{}", page.body);

    let authorize = s
        .emu
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/oauth2/v2.0/authorize"))
        .unwrap();
    assert_eq!(authorize.query_param("response_mode"), Some("form_post"));
    assert_eq!(authorize.query_param("code_challenge_method"), Some("S256"));

    // One cookie set when the sign-in started, a different one once signed in.
    let cookies = session_cookies(&s.browser);
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    let id = |h: &str| h.split(';').next().unwrap().to_owned();
    assert_ne!(
        id(&cookies[0]),
        id(&cookies[1]),
        "the session id rotates at sign-in"
    );
    for cookie in &cookies {
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    }
    // The old session is gone from the store: the first cookie no longer signs anyone in.
    let old = id(&cookies[0]);
    let stale = Browser::new(http(&s.emu));
    let (page, _) = stale
        .send(
            "GET",
            &format!("{}/api/me", s.app.base),
            Vec::new(),
            &[("cookie", &old), ("accept", "application/json")],
        )
        .await
        .unwrap();
    assert_eq!(page.status, 401);
}

#[tokio::test]
async fn an_https_redirect_uri_makes_the_session_cookie_secure() {
    let emu = emulator().await;
    let auth = MsalAuth::builder()
        .client_id(ids::CONFIDENTIAL_CLIENT_ID)
        .client_secret(ids::CONFIDENTIAL_CLIENT_SECRET)
        .authority(emu.authority())
        .redirect_uri("https://app.example/auth/callback")
        .configure_app(|b| b.known_authorities(["127.0.0.1"]))
        .build()
        .unwrap();
    let router = axum::Router::new()
        .route(
            "/touch",
            axum::routing::get(|session: tower_sessions::Session| async move {
                session.insert("k", 1).await.unwrap();
            }),
        )
        .layer(auth.layer(msal_axum::MemoryStore::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let browser = Browser::new(http(&emu));
    browser.open(&format!("{base}/touch")).await.unwrap();
    let cookies = session_cookies(&browser);
    assert_eq!(cookies.len(), 1);
    assert!(cookies[0].contains("Secure"), "{}", cookies[0]);
}

#[tokio::test]
async fn interaction_required_becomes_a_sign_in_for_the_new_scope_that_returns_to_the_page() {
    let s = setup().await;
    s.browser
        .open(&format!("{}/protected", s.app.base))
        .await
        .unwrap();
    // The user's refresh token no longer works (revoked, expired): only a sign-in helps.
    s.emu.revoke_all_refresh_tokens();
    let more = format!("{}/more", s.app.base);

    let (page, _) = s
        .browser
        .send("GET", &more, Vec::new(), &[("accept", "application/json")])
        .await
        .unwrap();
    assert_eq!(page.status, 401, "{}", page.body);
    let body: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    let expected = format!(
        "/auth/sign-in?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", "/more")
            .append_pair("scope", EXTRA_SCOPE)
            .finish()
    );
    assert_eq!(body["sign_in_url"], expected.as_str());

    let (page, location) = s.browser.send("GET", &more, Vec::new(), &[]).await.unwrap();
    assert_eq!(page.status, 303);
    assert_eq!(location.unwrap(), format!("{}{expected}", s.app.base));

    let authorizations = s.emu.count("GET", "/oauth2/v2.0/authorize");
    let page = s.browser.open(&more).await.unwrap();
    assert_eq!(page.url, more, "back on the page that needed consent");
    assert!(page.body.contains("Data.Write"), "{}", page.body);
    assert_eq!(
        s.emu.count("GET", "/oauth2/v2.0/authorize"),
        authorizations + 1
    );
    let consent = s
        .emu
        .requests()
        .into_iter()
        .rfind(|r| r.path.ends_with("/oauth2/v2.0/authorize"))
        .unwrap();
    assert!(consent.query_param("scope").unwrap().contains(EXTRA_SCOPE));
    assert_eq!(consent.query_param("login_hint"), Some(ids::USER_UPN));
}

#[tokio::test]
async fn sign_out_removes_the_tokens_ends_the_session_and_visits_the_end_session_endpoint() {
    let s = setup().await;
    s.browser
        .open(&format!("{}/protected", s.app.base))
        .await
        .unwrap();
    assert_eq!(s.app.auth.app().get_accounts().await.unwrap().len(), 1);

    let page = s
        .browser
        .open(&format!("{}/auth/sign-out", s.app.base))
        .await
        .unwrap();
    assert_eq!(page.url, format!("{}/signed-out", s.app.base));
    let logout = s
        .emu
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/oauth2/v2.0/logout"))
        .expect("the browser visited the end-session endpoint");
    assert_eq!(
        logout.query_param("post_logout_redirect_uri"),
        Some(format!("{}/signed-out", s.app.base).as_str())
    );
    assert!(s.app.auth.app().get_accounts().await.unwrap().is_empty());
    assert!(s.browser.cookie("msal_session").is_none());

    let (page, location) = s
        .browser
        .send("GET", &format!("{}/protected", s.app.base), Vec::new(), &[])
        .await
        .unwrap();
    assert_eq!(page.status, 303);
    assert!(
        location
            .unwrap()
            .contains("/auth/sign-in?return_to=%2Fprotected")
    );
}

#[tokio::test]
async fn a_callback_without_the_session_cookie_is_posted_again_once_then_refused() {
    let s = setup().await;
    let callback = format!("{}/auth/callback", s.app.base);
    let (page, _) = s
        .browser
        .send("POST", &callback, b"code=c0de&state=st4te".to_vec(), &[])
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(r#"action="/auth/callback""#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"name="msal_bounce""#), "{}", page.body);
    assert!(
        page.body.contains(r#"name="state" value="st4te""#),
        "{}",
        page.body
    );

    let (page, _) = s
        .browser
        .send(
            "POST",
            &callback,
            b"code=c0de&state=st4te&msal_bounce=1".to_vec(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("unknown to this browser session"),
        "{}",
        page.body
    );
    assert_eq!(
        s.emu.count("POST", "/oauth2/v2.0/token"),
        0,
        "nothing redeemed"
    );
}

#[tokio::test]
async fn an_answer_for_another_browsers_sign_in_is_refused() {
    let s = setup().await;
    // The victim starts a sign-in; an attacker who has their own answer posts it into the
    // victim's browser: the state is not the victim's.
    s.browser
        .send(
            "GET",
            &format!("{}/auth/sign-in?return_to=/protected", s.app.base),
            Vec::new(),
            &[],
        )
        .await
        .unwrap();
    let (page, _) = s
        .browser
        .send(
            "POST",
            &format!("{}/auth/callback", s.app.base),
            b"code=attacker-code&state=attacker-state&msal_bounce=1".to_vec(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(page.status, 400);
    assert_eq!(s.emu.count("POST", "/oauth2/v2.0/token"), 0);
}

#[tokio::test]
async fn return_to_outside_the_app_is_ignored() {
    let s = setup().await;
    let page = s
        .browser
        .open(&format!(
            "{}/auth/sign-in?return_to=%2F%2Fevil.example%2F",
            s.app.base
        ))
        .await
        .unwrap();
    assert_eq!(page.url, format!("{}/", s.app.base));
    assert!(page.body.contains("Welcome back"), "{}", page.body);
}

#[tokio::test]
async fn extractors_without_the_layer_fail_with_a_server_error() {
    let router = axum::Router::new().route(
        "/",
        axum::routing::get(|_user: SignedInUser| async { "unreachable" }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let emu = emulator().await;
    let (page, _) = Browser::new(http(&emu))
        .send("GET", &format!("{base}/"), Vec::new(), &[])
        .await
        .unwrap();
    assert_eq!(page.status, 500);
}

#[tokio::test]
async fn a_claims_challenge_reaches_the_identity_provider() {
    let s = setup().await;
    let claims = r#"{"access_token":{"acrs":{"essential":true,"value":"c1"}}}"#;
    let url = format!(
        "{}/auth/sign-in?{}",
        s.app.base,
        form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", "/protected")
            .append_pair("claims", claims)
            .finish()
    );
    let page = s.browser.open(&url).await.unwrap();
    assert_eq!(page.url, format!("{}/protected", s.app.base));
    let authorize = s
        .emu
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/oauth2/v2.0/authorize"))
        .unwrap();
    let sent: serde_json::Value =
        serde_json::from_str(authorize.query_param("claims").unwrap()).unwrap();
    assert_eq!(sent["access_token"]["acrs"]["value"], "c1");
}

#[tokio::test]
async fn a_certificate_from_pem_files_signs_the_app_in() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = emu.client_certificate();
    let (key_path, cert_path) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
    std::fs::write(&key_path, key).unwrap();
    std::fs::write(&cert_path, cert).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let client = http(&emu);
    let auth = MsalAuth::builder()
        .client_id(ids::CONFIDENTIAL_CLIENT_ID)
        .certificate_files(&cert_path, &key_path)
        .authority(emu.authority())
        .redirect_uri(format!("{base}/auth/callback"))
        .configure_app(move |b| b.known_authorities(["127.0.0.1"]).http_client(client))
        .build()
        .unwrap();
    let router = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|user: SignedInUser| async move { format!("hi {}", user.name()) }),
        )
        .merge(auth.router())
        .layer(auth.layer(msal_axum::MemoryStore::default()));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let page = Browser::new(http(&emu))
        .open(&format!("{base}/"))
        .await
        .unwrap();
    assert_eq!(page.body, format!("hi {}", ids::USER_NAME));
    let redemption = emu
        .requests()
        .into_iter()
        .find(|r| r.form_param("grant_type") == Some("authorization_code"))
        .unwrap();
    assert!(redemption.form_param("client_assertion").is_some());
    assert!(redemption.form_param("client_secret").is_none());
}
