//! One `pub async fn` per rule of [`HttpClient`]. Each builds its own server and client, so a
//! failure names exactly one rule.

use std::time::{Duration, Instant};

use msal_core::http::{
    HttpClient, HttpRequest, HttpResponse, PinnedServerCertificate, RequestTimeout,
    ResponseBodyLimit, TransportError, TransportErrorKind,
};

use crate::{
    ClientOptions,
    pki::{MADE_UP_HOST, TestCa, self_signed_identity},
    server::{Reply, TestServer, Transport},
};

/// The longest any check waits for a client to give up; far above the timeouts it sets, so a
/// backend that ignores them fails instead of hanging the test run.
const GIVE_UP: Duration = Duration::from_secs(10);

async fn send<C: HttpClient>(
    client: &C,
    request: HttpRequest,
) -> Result<HttpResponse, TransportError> {
    tokio::time::timeout(GIVE_UP, client.send(request))
        .await
        .unwrap_or_else(|_| panic!("the client neither answered nor failed within {GIVE_UP:?}"))
}

fn get(url: &str) -> HttpRequest {
    http::Request::get(url).body(Vec::new()).expect("request")
}

#[track_caller]
fn assert_kind(result: Result<HttpResponse, TransportError>, expected: TransportErrorKind) {
    match result {
        Ok(response) => panic!(
            "expected a {expected:?} transport error, got a {} response",
            response.status()
        ),
        Err(error) => assert_eq!(
            error.kind(),
            expected,
            "expected {expected:?}, got {:?}: {error}",
            error.kind()
        ),
    }
}

/// An HTTPS server with a certificate from a fresh CA, and options trusting that CA.
async fn trusted_server(reply: Reply) -> (TestServer, ClientOptions) {
    let ca = TestCa::new("msal conformance CA");
    let server = TestServer::start(Transport::Tls(ca.server_identity()), reply).await;
    let options = ClientOptions {
        extra_root_pem: Some(ca.pem()),
        ..ClientOptions::default()
    };
    (server, options)
}

/// A form POST reaches the server byte for byte, headers included, and the response status,
/// headers and body come back unchanged. This also proves the extra root CA is trusted.
pub async fn post_form_round_trips<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let (server, options) = trusted_server(Reply::status(
        200,
        &[
            ("Content-Type", "application/json"),
            ("x-ms-request-id", "abc"),
        ],
        br#"{"access_token":"at","token_type":"Bearer"}"#,
    ))
    .await;
    let client = factory(options).expect("client");
    let body =
        b"grant_type=client_credentials&client_id=c&scope=a%20b&client_secret=s%2Bt".to_vec();
    let request = http::Request::post(format!(
        "https://localhost:{}/tenant/oauth2/v2.0/token?dc=ESTS-PUB",
        server.port()
    ))
    .header("content-type", "application/x-www-form-urlencoded")
    .header("x-client-sku", "MSAL.Rust")
    .header("client-request-id", "00000000-0000-0000-0000-000000000001")
    .body(body.clone())
    .expect("request");

    let response = send(&client, request)
        .await
        .expect("POST over TLS with the extra root CA");

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-ms-request-id"], "abc");
    assert_eq!(
        response.body(),
        br#"{"access_token":"at","token_type":"Bearer"}"#
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "exactly one request reaches the server");
    let seen = &requests[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.target, "/tenant/oauth2/v2.0/token?dc=ESTS-PUB");
    assert_eq!(seen.body, body);
    assert_eq!(
        seen.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(seen.header("x-client-sku"), Some("MSAL.Rust"));
    assert_eq!(
        seen.header("client-request-id"),
        Some("00000000-0000-0000-0000-000000000001")
    );
    assert_eq!(
        seen.header("content-length"),
        Some(body.len().to_string().as_str())
    );
}

/// An error status is a response, not a transport error: MSAL reads the OAuth error body.
pub async fn error_status_is_a_response<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let (server, options) = trusted_server(Reply::status(
        400,
        &[("Content-Type", "application/json")],
        br#"{"error":"invalid_grant"}"#,
    ))
    .await;
    let client = factory(options).expect("client");
    let response = send(
        &client,
        get(&format!("https://localhost:{}/", server.port())),
    )
    .await
    .expect("a 400 is a response");
    assert_eq!(response.status(), 400);
    assert_eq!(response.body(), br#"{"error":"invalid_grant"}"#);
}

/// A 302 is handed back, never followed: a redirect from a token endpoint must not get the
/// secret in the body re-sent somewhere else.
pub async fn redirect_is_returned_not_followed<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let (server, options) =
        trusted_server(Reply::status(302, &[("Location", "/elsewhere")], b"")).await;
    let client = factory(options).expect("client");
    let response = send(
        &client,
        get(&format!("https://localhost:{}/start", server.port())),
    )
    .await
    .expect("a 302 is a response");
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/elsewhere");
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(targets, ["/start"], "the redirect must not be followed");
}

/// A body announced longer than the [`ResponseBodyLimit`] is refused.
pub async fn oversize_body_with_content_length_is_body_too_large<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let (server, options) = trusted_server(Reply::status(200, &[], &[b'x'; 5000])).await;
    let client = factory(options).expect("client");
    let mut request = get(&format!("https://localhost:{}/", server.port()));
    request.extensions_mut().insert(ResponseBodyLimit(1000));
    assert_kind(
        send(&client, request).await,
        TransportErrorKind::BodyTooLarge,
    );
}

/// A chunked body that never ends is cut off at the limit instead of filling memory.
pub async fn endless_chunked_body_is_body_too_large<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let (server, options) = trusted_server(Reply::EndlessChunked).await;
    let client = factory(options).expect("client");
    let mut request = get(&format!("https://localhost:{}/", server.port()));
    request
        .extensions_mut()
        .insert(ResponseBodyLimit(64 * 1024));
    assert_kind(
        send(&client, request).await,
        TransportErrorKind::BodyTooLarge,
    );
}

/// A body of exactly the limit is accepted: the limit is inclusive.
pub async fn body_at_the_limit_is_returned<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let (server, options) = trusted_server(Reply::status(200, &[], &[b'x'; 1000])).await;
    let client = factory(options).expect("client");
    let mut request = get(&format!("https://localhost:{}/", server.port()));
    request.extensions_mut().insert(ResponseBodyLimit(1000));
    let response = send(&client, request).await.expect("body at the limit");
    assert_eq!(response.body().len(), 1000);
}

/// Without the extension, the builder's `max_response_bytes` is the limit.
pub async fn builder_body_limit_applies<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let (server, mut options) = trusted_server(Reply::status(200, &[], &[b'x'; 5000])).await;
    options.max_response_bytes = Some(1000);
    let client = factory(options).expect("client");
    let request = get(&format!("https://localhost:{}/", server.port()));
    assert_kind(
        send(&client, request).await,
        TransportErrorKind::BodyTooLarge,
    );
}

/// Nobody listening is a [`TransportErrorKind::Connect`] error.
pub async fn connection_refused_is_connect<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    // Bind then drop, so the port is (almost certainly) closed.
    let port = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        listener.local_addr().expect("address").port()
    };
    let client = factory(ClientOptions::default()).expect("client");
    let result = send(&client, get(&format!("http://127.0.0.1:{port}/"))).await;
    assert_kind(result, TransportErrorKind::Connect);
}

/// A failed connection names the host and port it tried (the URL's host, not the address it
/// resolved to) and nothing else of the URL: "connection failed" alone leaves a user guessing
/// which endpoint was unreachable, and the path and query can carry secrets.
pub async fn connect_failure_names_host_and_port<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let port = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        listener.local_addr().expect("address").port()
    };
    let closed = std::net::SocketAddr::from(([127, 0, 0, 1], port));

    let client = factory(ClientOptions::default()).expect("client");
    let url = format!("http://127.0.0.1:{port}/tenant-path/token?code=query-value");
    let error = send(&client, get(&url)).await.expect_err("nobody listens");
    let expected = format!("127.0.0.1:{port}");
    assert_eq!(error.host(), Some(expected.as_str()), "{error}");
    let text = error.to_string();
    assert!(text.contains(&expected), "{text} does not name {expected}");
    assert!(
        !text.contains("tenant-path") && !text.contains("query-value"),
        "{text} shows the path or query"
    );

    let options = ClientOptions {
        resolve: Some((MADE_UP_HOST.to_owned(), closed)),
        ..ClientOptions::default()
    };
    let client = factory(options).expect("client");
    let error = send(&client, get(&format!("https://{MADE_UP_HOST}:{port}/")))
        .await
        .expect_err("nobody listens");
    let expected = format!("{MADE_UP_HOST}:{port}");
    assert!(
        error.to_string().contains(&expected),
        "{error} does not name {expected}"
    );
}

/// A server that never answers gives [`TransportErrorKind::Timeout`] soon after the
/// [`RequestTimeout`].
pub async fn request_timeout_is_honoured<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let (server, options) = trusted_server(Reply::Stall).await;
    let client = factory(options).expect("client");
    let mut request = get(&format!("https://localhost:{}/", server.port()));
    request
        .extensions_mut()
        .insert(RequestTimeout(Duration::from_millis(300)));
    let started = Instant::now();
    assert_kind(send(&client, request).await, TransportErrorKind::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "timed out after {:?}, long past the 300 ms asked for",
        started.elapsed()
    );
}

/// Without the extension, the builder's `timeout` applies.
pub async fn builder_timeout_applies<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let (server, mut options) = trusted_server(Reply::Stall).await;
    options.timeout = Some(Duration::from_millis(300));
    let client = factory(options).expect("client");
    let started = Instant::now();
    let result = send(
        &client,
        get(&format!("https://localhost:{}/", server.port())),
    )
    .await;
    assert_kind(result, TransportErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// A certificate from a CA the client does not trust fails the handshake with
/// [`TransportErrorKind::Tls`].
pub async fn unknown_ca_is_tls<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let stranger = TestCa::new("unknown CA");
    let server = TestServer::start(
        Transport::Tls(stranger.server_identity()),
        Reply::json("{}"),
    )
    .await;
    let trusted = TestCa::new("msal conformance CA");
    let client = factory(ClientOptions {
        extra_root_pem: Some(trusted.pem()),
        ..ClientOptions::default()
    })
    .expect("client");
    let result = send(
        &client,
        get(&format!("https://localhost:{}/", server.port())),
    )
    .await;
    assert_kind(result, TransportErrorKind::Tls);
    assert!(
        server.requests().is_empty(),
        "no request may cross an untrusted handshake"
    );
}

/// [`PinnedServerCertificate`] accepts the self-signed certificate with that thumbprint, without
/// any root trusting it.
pub async fn pinned_certificate_is_accepted<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let identity = self_signed_identity();
    let pin = PinnedServerCertificate {
        sha1: identity.leaf_sha1(),
    };
    let server = TestServer::start(Transport::Tls(identity), Reply::json(r#"{"ok":true}"#)).await;
    let client = factory(ClientOptions::default()).expect("client");
    let mut request = get(&format!(
        "https://localhost:{}/metadata/identity/oauth2/token",
        server.port()
    ));
    request.extensions_mut().insert(pin);
    let response = send(&client, request)
        .await
        .expect("the pinned certificate is trusted");
    assert_eq!(response.body(), br#"{"ok":true}"#);
}

/// [`PinnedServerCertificate`] refuses any other certificate, even one a trusted CA issued.
pub async fn wrong_pin_is_tls<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let (server, options) = trusted_server(Reply::json("{}")).await;
    let client = factory(options).expect("client");
    let other = self_signed_identity();
    let mut request = get(&format!("https://localhost:{}/", server.port()));
    request.extensions_mut().insert(PinnedServerCertificate {
        sha1: other.leaf_sha1(),
    });
    assert_kind(send(&client, request).await, TransportErrorKind::Tls);
    assert!(
        server.requests().is_empty(),
        "no request may cross a refused pin"
    );
}

/// Plain HTTP to loopback works: managed identity talks plain HTTP to local endpoints.
pub async fn plain_http_to_loopback_works<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let server = TestServer::start(Transport::Plain, Reply::json(r#"{"plain":true}"#)).await;
    let client = factory(ClientOptions::default()).expect("client");
    let response = send(
        &client,
        get(&format!(
            "http://127.0.0.1:{}/msi/token?api-version=2019-08-01",
            server.port()
        )),
    )
    .await
    .expect("plain HTTP to loopback");
    assert_eq!(response.body(), br#"{"plain":true}"#);
    assert_eq!(
        server.requests()[0].target,
        "/msi/token?api-version=2019-08-01"
    );
}

/// `resolve(host, addr)` sends a made-up host name to the test server, with TLS checked against
/// that name.
pub async fn resolve_overrides_dns<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let (server, mut options) = trusted_server(Reply::json(r#"{"resolved":true}"#)).await;
    options.resolve = Some((MADE_UP_HOST.to_owned(), server.addr()));
    let client = factory(options).expect("client");
    let response = send(
        &client,
        get(&format!("https://{MADE_UP_HOST}:{}/", server.port())),
    )
    .await
    .expect("the made-up host resolves to the test server");
    assert_eq!(response.body(), br#"{"resolved":true}"#);
    assert_eq!(
        server.requests()[0].header("host"),
        Some(format!("{MADE_UP_HOST}:{}", server.port()).as_str())
    );
}

/// Transport errors never echo the query string or the body: both can carry secrets.
pub async fn errors_do_not_leak_query_or_body<F, C>(factory: F)
where
    F: Fn(ClientOptions) -> Result<C, msal_core::Error>,
    C: HttpClient,
{
    let port = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        listener.local_addr().expect("address").port()
    };
    let client = factory(ClientOptions::default()).expect("client");
    let request = http::Request::post(format!("http://127.0.0.1:{port}/token?code=SECRET-CODE"))
        .body(b"client_secret=SECRET-BODY".to_vec())
        .expect("request");
    let error = send(&client, request).await.expect_err("nobody listens");
    let mut text = format!("{error} {error:?}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(&format!(" {cause}"));
        source = cause.source();
    }
    assert!(!text.contains("SECRET"), "the error leaks a secret: {text}");
}
