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
