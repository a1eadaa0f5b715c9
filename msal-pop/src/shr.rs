//! Building and signing the Signed HTTP Request (SHR).

use std::time::SystemTime;

use msal_core::{AccessToken, Error, Result, clock::unix_secs};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use url::{Url, form_urlencoded::byte_serialize};

use crate::{PopAuthScheme, PopKey, b64url};

/// Wraps a PoP-bound access token in a Signed HTTP Request for one HTTP request.
///
/// The result is a compact JWS, sent to the resource as `Authorization: PoP <shr>`:
///
/// - header: `{"alg": key.alg(), "kid": key.kid(), "typ": "pop"}` (MSAL.NET's header);
/// - payload:
///   - `at`: the access token ESTS issued for `key` (its `cnf.kid` is `key.kid()`);
///   - `ts`: `now` in seconds since the Unix epoch;
///   - `nonce`: [`scheme.nonce()`](PopAuthScheme::nonce);
///   - `m`: the upper-case HTTP method;
///   - `u`: [`scheme.host()`](PopAuthScheme::host), `host[:port]` in lower case, the port
///     only when it is not the scheme's default;
///   - `p`: [`scheme.path()`](PopAuthScheme::path), `/` when the URL has no path;
///   - `q` (only when the URL's query has at least one parameter): the query-hash tuple of
///     the SHR draft (draft-ietf-oauth-signed-http-request §3.1, as MSAL.js sends it),
///     `[[name, ...], base64url(SHA-256(canonical))]`. The query is parsed as
///     `application/x-www-form-urlencoded` (so `%20` and `+` both decode to a space and empty
///     `&&` segments are skipped); the list holds every parameter name, decoded, in URL order,
///     repeats included; `canonical` is `name=value` for each parameter in the same order,
///     joined by `&`, with name and value re-encoded by the WHATWG
///     `application/x-www-form-urlencoded` serializer. `?b=bar&a=foo` therefore gives
///     `[["b","a"], base64url(SHA-256("b=bar&a=foo"))]`;
///   - `cnf`: `{"jwk": key.jwk()}`, the public key the resource verifies the signature with.
///
/// The optional `h` (header-hash) claim is not sent: this function does not see the request's
/// headers, and resources that accept MSAL.NET's SHRs do not require it.
///
/// An empty access token is [`Error::InvalidArgument`]; a signing failure is
/// [`Error::Crypto`].
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
///
/// use base64::Engine as _;
/// use msal_core::AccessToken;
/// use msal_pop::{PopAuthScheme, PopKey, sign_http_request};
///
/// let key = PopKey::generate_es256()?;
/// let scheme = PopAuthScheme::new(PopAuthScheme::HTTP_GET, "https://graph.example/v1.0/me", "n0nce")?;
/// let at = AccessToken::new("eyJ.bound.token");
/// let shr = sign_http_request(&key, &at, &scheme, UNIX_EPOCH + Duration::from_secs(1_700_000_000))?;
///
/// let parts: Vec<&str> = shr.secret().split('.').collect();
/// assert_eq!(parts.len(), 3);
/// let payload: serde_json::Value = serde_json::from_slice(
///     &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[1]).unwrap(),
/// )
/// .unwrap();
/// assert_eq!(payload["at"], "eyJ.bound.token");
/// assert_eq!(payload["ts"], 1_700_000_000);
/// assert_eq!(payload["m"], "GET");
/// assert_eq!(payload["u"], "graph.example");
/// assert_eq!(payload["p"], "/v1.0/me");
/// assert_eq!(payload["cnf"]["jwk"], key.jwk());
/// # Ok::<(), msal_core::Error>(())
/// ```
pub fn sign_http_request(
    key: &PopKey,
    access_token: &AccessToken,
    scheme: &PopAuthScheme,
    now: SystemTime,
) -> Result<AccessToken> {
    if access_token.is_empty() {
        return Err(Error::InvalidArgument(
            "cannot sign a PoP request for an empty access token".into(),
        ));
    }
    // serde_json's default `Map` is a BTreeMap, so both objects serialize in a fixed order.
    let header = json!({"alg": key.alg(), "kid": key.kid(), "typ": "pop"});
    let mut payload = Map::new();
    payload.insert("at".into(), access_token.secret().into());
    payload.insert("ts".into(), unix_secs(now).into());
    payload.insert("nonce".into(), scheme.nonce().into());
    payload.insert("m".into(), scheme.http_method().as_str().into());
    payload.insert("u".into(), scheme.host().into());
    payload.insert("p".into(), scheme.path().into());
    if let Some(q) = query_claim(scheme.parsed_url()) {
        payload.insert("q".into(), q);
    }
    payload.insert("cnf".into(), json!({"jwk": key.jwk()}));

    let signing_input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(Value::Object(payload).to_string().as_bytes())
    );
    let signature = key.sign(signing_input.as_bytes())?;
    Ok(AccessToken::new(format!(
        "{signing_input}.{}",
        b64url(&signature)
    )))
}

/// The `q` claim (see [`sign_http_request`]), or `None` when the query has no parameters.
fn query_claim(url: &Url) -> Option<Value> {
    let mut names = Vec::new();
    let mut canonical = String::new();
    for (name, value) in url.query_pairs() {
        if !canonical.is_empty() {
            canonical.push('&');
        }
        canonical.extend(byte_serialize(name.as_bytes()));
        canonical.push('=');
        canonical.extend(byte_serialize(value.as_bytes()));
        names.push(Value::String(name.into_owned()));
    }
    if names.is_empty() {
        return None;
    }
    Some(json!([
        names,
        b64url(&Sha256::digest(canonical.as_bytes()))
    ]))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]
    use super::*;

    fn q(url: &str) -> Option<Value> {
        query_claim(&Url::parse(url).unwrap())
    }

    #[test]
    fn query_claim_follows_the_documented_canonical_form() {
        let hash = |s: &str| b64url(&Sha256::digest(s.as_bytes()));
        assert_eq!(
            q("https://h/p?b=bar&a=foo&c=duck"),
            Some(json!([["b", "a", "c"], hash("b=bar&a=foo&c=duck")]))
        );
        // Decoded, then re-encoded: `%20` and `+` are the same space; repeats are kept.
        assert_eq!(
            q("https://h/p?x=a%20b&x=a+b&&flag"),
            Some(json!([["x", "x", "flag"], hash("x=a+b&x=a+b&flag=")]))
        );
        assert_eq!(
            q("https://h/p?na%C3%AFve=%2F"),
            Some(json!([["naïve"], hash("na%C3%AFve=%2F")]))
        );
        assert_eq!(q("https://h/p"), None);
        assert_eq!(q("https://h/p?"), None);
        assert_eq!(q("https://h/p?&&"), None);
    }
}
