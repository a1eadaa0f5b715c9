//! `PopAuthScheme` and `HttpMethod`: URL rules, WWW-Authenticate challenges, typed errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use http::HeaderValue;
use msal_core::Error;
use msal_pop::{HttpMethod, PopAuthScheme};

const URL: &str = "https://resource.example/api";

fn from_header(h: &str) -> Result<PopAuthScheme, Error> {
    PopAuthScheme::from_www_authenticate(HttpMethod::Get, URL, &HeaderValue::from_str(h).unwrap())
}

fn assert_invalid_argument<T: std::fmt::Debug>(r: Result<T, Error>, what: &str) -> String {
    match r {
        Err(Error::InvalidArgument(m)) => m,
        other => panic!("{what}: expected InvalidArgument, got {other:?}"),
    }
}

#[test]
fn method_constants_and_names() {
    let all = [
        (PopAuthScheme::HTTP_GET, "GET"),
        (PopAuthScheme::HTTP_POST, "POST"),
        (PopAuthScheme::HTTP_PUT, "PUT"),
        (PopAuthScheme::HTTP_DELETE, "DELETE"),
        (PopAuthScheme::HTTP_PATCH, "PATCH"),
    ];
    for (m, name) in all {
        assert_eq!(m.as_str(), name);
        assert_eq!(m.to_string(), name);
        assert_eq!(name.parse::<HttpMethod>().unwrap(), m);
        assert_eq!(http::Method::from(m).as_str(), name);
        assert_eq!(HttpMethod::try_from(&http::Method::from(m)).unwrap(), m);
    }
}

#[test]
fn bad_methods_are_typed_errors() {
    for bad in ["get", "Get", "HEAD", "OPTIONS", "", " GET", "GET "] {
        assert_invalid_argument(bad.parse::<HttpMethod>(), bad);
    }
    assert_invalid_argument(HttpMethod::try_from(&http::Method::HEAD), "HEAD");
    // An unbounded method name is not echoed in full.
    let long = "X".repeat(10_000);
    let msg = assert_invalid_argument(long.parse::<HttpMethod>(), "long");
    assert!(msg.len() < 200, "{msg}");
}

#[test]
fn new_accepts_absolute_http_urls() {
    let s = PopAuthScheme::new(HttpMethod::Put, "HTTPS://Resource.Example:443", "n").unwrap();
    assert_eq!(s.http_method(), HttpMethod::Put);
    assert_eq!(s.host(), "resource.example");
    assert_eq!(s.path(), "/");
    assert_eq!(s.query(), None);
    assert_eq!(s.nonce(), "n");
    assert_eq!(s.url(), "https://resource.example/");

    let s = PopAuthScheme::new(HttpMethod::Get, "http://h.example:8080/a%20b/c?x=1", "n").unwrap();
    assert_eq!(s.host(), "h.example:8080");
    assert_eq!(s.path(), "/a%20b/c");
    assert_eq!(s.query(), Some("x=1"));
}

#[test]
fn bad_urls_and_nonces_are_typed_errors() {
    for bad in [
        "",
        "/relative/path",
        "resource.example/api",
        "ftp://resource.example/",
        "file:///etc/passwd",
        "mailto:someone@example.com",
        "https://",
        "https://user:secret@resource.example/",
        "https://resource.example:99999/",
        "https://exa mple.com/",
    ] {
        let msg = assert_invalid_argument(PopAuthScheme::new(HttpMethod::Get, bad, "n"), bad);
        assert!(!msg.contains("secret"), "{msg}");
    }
    assert_invalid_argument(PopAuthScheme::new(HttpMethod::Get, URL, ""), "empty nonce");
    assert_invalid_argument(
        PopAuthScheme::new(HttpMethod::Get, URL, "n".repeat(5000)),
        "huge nonce",
    );
}

#[test]
fn challenge_forms_that_carry_a_nonce() {
    for (header, nonce) in [
        (r#"PoP nonce="abc""#, "abc"),
        (r#"PoP realm="", nonce="abc""#, "abc"),
        (r#"pop NONCE="abc""#, "abc"),
        (r#"POP nonce=abc"#, "abc"),
        (r#"PoP   nonce = "abc" , realm="x""#, "abc"),
        (r#"Bearer realm="", PoP realm="", nonce="n2""#, "n2"),
        (
            r#"Bearer authorization_uri="https://login.example/common", error="insufficient_claims", PoP nonce="n3""#,
            "n3",
        ),
        (r#"Negotiate YII+/w==, PoP nonce="n4""#, "n4"),
        (
            r#"PoP nonce="with \"quotes\" and, commas""#,
            r#"with "quotes" and, commas"#,
        ),
        // The first PoP challenge without a nonce is skipped for one that has it.
        (r#"PoP realm="a", PoP nonce="second""#, "second"),
        (r#"PoP nonce="", PoP nonce="x""#, "x"),
    ] {
        let s = from_header(header).unwrap_or_else(|e| panic!("{header}: {e}"));
        assert_eq!(s.nonce(), nonce, "{header}");
        assert_eq!(s.host(), "resource.example");
    }
}

#[test]
fn challenges_without_a_usable_nonce_are_typed_errors() {
    for header in [
        "",
        "Bearer",
        r#"Bearer realm="", error="invalid_token""#,
        r#"PoPx nonce="abc""#,
        r#"XPoP nonce="abc""#,
    ] {
        let msg = assert_invalid_argument(from_header(header), header);
        assert!(msg.contains("no PoP challenge"), "{header}: {msg}");
    }
    for header in ["PoP", r#"PoP realm="x""#, r#"PoP nonce="""#, "PoP nonce="] {
        let msg = assert_invalid_argument(from_header(header), header);
        assert!(msg.contains("no nonce"), "{header}: {msg}");
    }
    for header in [
        r#"nonce="abc""#,
        r#"PoP nonce="abc"#,
        r#"PoP nonce="abc" trailing"#,
        r#"PoP "abc""#,
        r#"PoP nonce=="#,
        "PoP ,,, =",
    ] {
        assert_invalid_argument(from_header(header), header);
    }
    // Not visible ASCII.
    let opaque = HeaderValue::from_bytes(b"PoP nonce=\"\xff\"").unwrap();
    assert_invalid_argument(
        PopAuthScheme::from_www_authenticate(HttpMethod::Get, URL, &opaque),
        "opaque bytes",
    );
    // Oversized headers are refused before parsing.
    let huge = format!(r#"PoP nonce="{}""#, "a".repeat(20_000));
    let msg = assert_invalid_argument(from_header(&huge), "huge");
    assert!(msg.contains("too long"), "{msg}");
}

#[test]
fn a_valid_challenge_with_a_bad_url_is_still_an_error() {
    let h = HeaderValue::from_static(r#"PoP nonce="abc""#);
    assert_invalid_argument(
        PopAuthScheme::from_www_authenticate(HttpMethod::Get, "/relative", &h),
        "relative",
    );
}
