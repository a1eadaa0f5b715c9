//! Two instances of the app behind one host (a browser sends its cookies to both ports, as it
//! would through a load balancer), sharing sessions (`RedisSessionStore`) and the token cache
//! (`msal_cache_redis::RedisCacheStore`, one partition per user) in one real `redis-server`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use msal_axum::RedisSessionStore;
use msal_cache_redis::RedisCacheStore;
use support::{browser::Browser, redis::redis, *};

/// An instance's own connections to Redis, as a separate process would have.
async fn instance(
    emu: &Emulator,
    downstream: &Downstream,
    server: &support::redis::RedisServer,
) -> App {
    let sessions = RedisSessionStore::new(&server.url()).unwrap();
    let tokens = RedisCacheStore::builder(server.url())
        .key_prefix("tokens")
        .build()
        .await
        .unwrap();
    start_app(emu, downstream, sessions, Some(Arc::new(tokens))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_through_one_instance_the_other_serves_downstream_tokens_from_the_shared_cache() {
    let test =
        "signed_in_through_one_instance_the_other_serves_downstream_tokens_from_the_shared_cache";
    let Some(server) = redis(test) else {
        return;
    };
    let emu = emulator().await;
    let downstream = downstream().await;
    let a = instance(&emu, &downstream, &server).await;
    let b = instance(&emu, &downstream, &server).await;
    let browser = Browser::new(http(&emu));

    let page = browser
        .open(&format!("{}/protected", a.base))
        .await
        .unwrap();
    assert_eq!(page.url, format!("{}/protected", a.base));
    assert!(
        page.body.contains(&format!("Hello, {}!", ids::USER_NAME)),
        "{}",
        page.body
    );

    let token_requests = emu.count("POST", "/oauth2/v2.0/token");
    let authorizations = emu.count("GET", "/oauth2/v2.0/authorize");
    let page = browser
        .open(&format!("{}/protected", b.base))
        .await
        .unwrap();
    assert_eq!(
        page.url,
        format!("{}/protected", b.base),
        "B knew the session"
    );
    assert!(
        page.body.contains(&format!("Hello, {}!", ids::USER_NAME)),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"{"items":3}"#), "{}", page.body);
    assert!(page.body.contains("token source: Cache"), "{}", page.body);
    assert_eq!(
        emu.count("POST", "/oauth2/v2.0/token"),
        token_requests,
        "no new token request"
    );
    assert_eq!(
        emu.count("GET", "/oauth2/v2.0/authorize"),
        authorizations,
        "no new sign-in"
    );

    // Redis holds the session under a hash of its id, never the id (the cookie's value).
    let cookie = browser.cookie("msal_session").unwrap();
    let sessions = server.keys("msal-axum:session:*");
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert!(!sessions[0].contains(&cookie));
    // and the user's tokens in a partition of their own.
    assert!(!server.keys("tokens*").is_empty());

    // Signing out through B ends the session for A too.
    browser
        .open(&format!("{}/auth/sign-out", b.base))
        .await
        .unwrap();
    assert!(server.keys("msal-axum:session:*").is_empty());
    let (page, location) = browser
        .send("GET", &format!("{}/protected", a.base), Vec::new(), &[])
        .await
        .unwrap();
    assert_eq!(page.status, 303);
    assert!(location.unwrap().contains("/auth/sign-in"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_store_outage_answers_503_instead_of_signing_in_again() {
    // Nothing listens on this port: the shared store is down.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let emu = emulator().await;
    let downstream = downstream().await;
    let sessions = RedisSessionStore::new(&format!("redis://127.0.0.1:{port}")).unwrap();
    let app = start_app(&emu, &downstream, sessions, None).await;
    let browser = Browser::new(http(&emu));
    let cookie = "msal_session=AAAAAAAAAAAAAAAAAAAAAA";
    for path in ["/protected", "/auth/sign-in?return_to=/protected"] {
        let (page, location) = browser
            .send(
                "GET",
                &format!("{}{path}", app.base),
                Vec::new(),
                &[("cookie", cookie)],
            )
            .await
            .unwrap();
        assert_eq!(page.status, 503, "{path}: {}", page.body);
        assert!(location.is_none());
    }
    assert_eq!(emu.count("GET", "/oauth2/v2.0/authorize"), 0);
}
