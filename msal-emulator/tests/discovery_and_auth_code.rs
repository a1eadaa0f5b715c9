//! End-to-end tests of discovery, JWKS and the authorize + auth-code flow, over real TLS.
// Helpers outside #[test] functions unwrap too: a failed setup should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Request, b64url, https, jwt_payload, param, post_token, query_of, start, tid};
use msal_emulator::{Emulator, EmulatorConfig, ids};
use serde_json::{Value, json};
use sha2::Digest as _;
use sha2::Sha256;

/// Runs authorize with PKCE and returns (code, redirect query).
async fn authorize(
    emu: &Emulator,
    verifier: &str,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let challenge = b64url(Sha256::digest(verifier.as_bytes()));
    let mut pairs = vec![
        ("client_id", ids::PUBLIC_CLIENT_ID),
        ("response_type", "code"),
        ("redirect_uri", ids::REDIRECT_URI),
        (
            "scope",
            "https://api.fake-entra.invalid/Data.Read offline_access openid profile",
        ),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("client_info", "1"),
    ];
    pairs.extend_from_slice(extra);
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    let resp = https(
        emu,
        Request::get(format!("/{}/oauth2/v2.0/authorize?{query}", tid())),
    )
    .await
    .unwrap();
    assert_eq!(resp.status, 302, "{}", resp.text());
    let location = resp.header("Location").unwrap().to_owned();
    assert!(location.starts_with(ids::REDIRECT_URI));
    query_of(&location)
}
#[tokio::test]
async fn openid_configuration_matches_entra_shape() {
    let emu = start().await;
    let base = emu.base_url();
    let doc = https(
        &emu,
        Request::get(format!("/{}/v2.0/.well-known/openid-configuration", tid())),
    )
    .await
    .unwrap()
    .json();
    assert_eq!(doc["issuer"], format!("{base}/{}/v2.0", tid()));
    assert_eq!(
        doc["token_endpoint"],
        format!("{base}/{}/oauth2/v2.0/token", tid())
    );
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{base}/{}/oauth2/v2.0/authorize", tid())
    );
    assert_eq!(
        doc["device_authorization_endpoint"],
        format!("{base}/{}/oauth2/v2.0/devicecode", tid())
    );
    assert_eq!(
        doc["jwks_uri"],
        format!("{base}/{}/discovery/v2.0/keys", tid())
    );

    let common = https(
        &emu,
        Request::get("/common/v2.0/.well-known/openid-configuration"),
    )
    .await
    .unwrap()
    .json();
    assert_eq!(common["issuer"], format!("{base}/{{tenantid}}/v2.0"));
    assert_eq!(
        common["token_endpoint"],
        format!("{base}/common/oauth2/v2.0/token")
    );

    // A domain name resolves to the tenant id.
    let by_domain = https(
        &emu,
        Request::get("/contoso.example/v2.0/.well-known/openid-configuration"),
    )
    .await
    .unwrap()
    .json();
    assert_eq!(by_domain["token_endpoint"], doc["token_endpoint"]);

    let unknown = https(
        &emu,
        Request::get("/nope.example/v2.0/.well-known/openid-configuration"),
    )
    .await
    .unwrap();
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json()["error"], "invalid_tenant");

    let adfs = https(&emu, Request::get("/adfs/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json();
    assert_eq!(adfs["token_endpoint"], format!("{base}/adfs/oauth2/token"));
    let oidc = https(&emu, Request::get("/oidc/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json();
    assert_eq!(oidc["issuer"], format!("{base}/oidc"));
    let b2c = https(
        &emu,
        Request::get(format!(
            "/tfp/{}/B2C_1_signin/v2.0/.well-known/openid-configuration",
            tid()
        )),
    )
    .await
    .unwrap()
    .json();
    assert_eq!(
        b2c["token_endpoint"],
        format!("{base}/tfp/{}/B2C_1_signin/oauth2/v2.0/token", tid())
    );

    // Regional hosts: same routes, endpoints on the host the client used.
    let regional = https(
        &emu,
        Request::get(format!("/{}/v2.0/.well-known/openid-configuration", tid()))
            .host("westus.login.microsoft.com"),
    )
    .await
    .unwrap()
    .json();
    assert_eq!(
        regional["token_endpoint"],
        format!(
            "https://westus.login.microsoft.com/{}/oauth2/v2.0/token",
            tid()
        )
    );
    assert_eq!(
        emu.requests().last().unwrap().host.as_deref(),
        Some("westus.login.microsoft.com")
    );
}

#[tokio::test]
async fn instance_discovery_vouches_for_emulator_and_rejects_unknown_hosts() {
    let emu = start().await;
    let host = emu.addr().to_string();
    let endpoint = format!("https://{host}/{}/oauth2/v2.0/authorize", tid());
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("api-version", "1.1"),
            ("authorization_endpoint", endpoint.as_str()),
        ])
        .finish();
    let body = https(
        &emu,
        Request::get(format!("/common/discovery/instance?{query}")),
    )
    .await
    .unwrap()
    .json();
    assert_eq!(
        body["tenant_discovery_endpoint"],
        format!(
            "https://{host}/{}/v2.0/.well-known/openid-configuration",
            tid()
        )
    );
    let aliases: Vec<&Value> = body["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["aliases"].as_array().unwrap())
        .collect();
    assert!(aliases.iter().any(|a| *a == &json!(host)));

    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("api-version", "1.1"),
            (
                "authorization_endpoint",
                "https://login.evil.example/common/oauth2/v2.0/authorize",
            ),
        ])
        .finish();
    let unknown = https(
        &emu,
        Request::get(format!("/common/discovery/instance?{query}")),
    )
    .await
    .unwrap();
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json()["error"], "invalid_instance");
}

fn verify_with_jwks(jwks: &Value, token: &str) -> bool {
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .unwrap();
    let decode = |v: &Value| {
        base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            v.as_str().unwrap(),
        )
        .unwrap()
    };
    let n = rsa::BoxedUint::from_be_slice_vartime(&decode(&key["n"]));
    let e = rsa::BoxedUint::from_be_slice_vartime(&decode(&key["e"]));
    let public = rsa::PublicKey::new(n, e).unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig).unwrap();
    public
        .pkcs1v15_verify::<Sha256>(input.as_bytes(), &sig)
        .is_ok()
}

#[tokio::test]
async fn auth_code_with_pkce_issues_tokens_the_jwks_validates() {
    let emu = start().await;
    let verifier = "v".repeat(43);
    let redirect = authorize(&emu, &verifier, &[("login_hint", ids::USER_UPN)]).await;
    assert_eq!(param(&redirect, "state"), Some("st-1"));
    let code = param(&redirect, "code").unwrap().to_owned();
    let client_info = param(&redirect, "client_info").unwrap().to_owned();

    let resp = post_token(
        &emu,
        &[
            ("client_id", ids::PUBLIC_CLIENT_ID),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &verifier),
            ("redirect_uri", ids::REDIRECT_URI),
            (
                "scope",
                "https://api.fake-entra.invalid/Data.Read offline_access openid profile",
            ),
            ("client_info", "1"),
        ],
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let body = resp.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["scope"],
        "https://api.fake-entra.invalid/Data.Read openid profile"
    );
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    assert_eq!(body["client_info"], client_info);
    assert!(body["refresh_token"].as_str().unwrap().starts_with("rt."));

    let jwks = https(
        &emu,
        Request::get(format!("/{}/discovery/v2.0/keys", tid())),
    )
    .await
    .unwrap()
    .json();
    let id_token = body["id_token"].as_str().unwrap();
    assert!(verify_with_jwks(&jwks, id_token));
    assert!(verify_with_jwks(
        &jwks,
        body["access_token"].as_str().unwrap()
    ));
    // Change a character well inside the signature: the last one may only carry padding bits.
    let mut tampered: Vec<char> = id_token.chars().collect();
    let i = tampered.len() - 10;
    tampered[i] = if tampered[i] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    assert!(!verify_with_jwks(&jwks, &tampered));

    let claims = jwt_payload(id_token);
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(claims["aud"], ids::PUBLIC_CLIENT_ID);
    assert_eq!(claims["oid"], ids::USER_OID);
    assert_eq!(claims["tid"], ids::TENANT_ID);
    assert_eq!(claims["preferred_username"], ids::USER_UPN);
    assert_eq!(claims["name"], ids::USER_NAME);
    assert_eq!(claims["iss"], format!("{}/{}/v2.0", emu.base_url(), tid()));
    let info: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            &client_info,
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(info, json!({"uid": ids::USER_OID, "utid": ids::TENANT_ID}));

    // A code is single-use.
    let again = post_token(
        &emu,
        &[
            ("client_id", ids::PUBLIC_CLIENT_ID),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &verifier),
            ("redirect_uri", ids::REDIRECT_URI),
        ],
    )
    .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn pkce_mismatch_and_redirect_mismatch_are_rejected() {
    let emu = start().await;
    let redirect = authorize(&emu, &"a".repeat(43), &[]).await;
    let code = param(&redirect, "code").unwrap().to_owned();
    let resp = post_token(
        &emu,
        &[
            ("client_id", ids::PUBLIC_CLIENT_ID),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &"b".repeat(43)),
            ("redirect_uri", ids::REDIRECT_URI),
        ],
    )
    .await;
    assert_eq!(resp.status, 400);
    let body = resp.json();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_codes"][0], 501481);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS501481")
    );

    let redirect = authorize(&emu, &"a".repeat(43), &[]).await;
    let code = param(&redirect, "code").unwrap().to_owned();
    let resp = post_token(
        &emu,
        &[
            ("client_id", ids::PUBLIC_CLIENT_ID),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &"a".repeat(43)),
            ("redirect_uri", "http://localhost:9999/other"),
        ],
    )
    .await;
    assert_eq!(resp.status, 400);
}

#[tokio::test]
async fn authorize_form_post_errors_and_redirect_checks() {
    let emu = start().await;
    let q = |extra: &str| {
        format!(
            "/{}/oauth2/v2.0/authorize?client_id={}&response_type=code&redirect_uri={}&scope=openid&state=s1{extra}",
            tid(),
            ids::PUBLIC_CLIENT_ID,
            "http%3A%2F%2Flocalhost%3A1234%2Fcb"
        )
    };
    let page = https(&emu, Request::get(q("&response_mode=form_post")))
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains(r#"action="http://localhost:1234/cb""#));
    assert!(html.contains(r#"name="code""#) && html.contains(r#"name="state" value="s1""#));

    let denied = https(
        &emu,
        Request::get(q("&login_hint=access_denied%40error.invalid")),
    )
    .await
    .unwrap();
    let query = query_of(denied.header("Location").unwrap());
    assert_eq!(param(&query, "error"), Some("access_denied"));
    assert_eq!(param(&query, "state"), Some("s1"));

    let bad_redirect = https(
        &emu,
        Request::get(format!(
            "/{}/oauth2/v2.0/authorize?client_id={}&response_type=code&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&scope=openid",
            tid(),
            ids::PUBLIC_CLIENT_ID
        )),
    )
    .await
    .unwrap();
    assert_eq!(bad_redirect.status, 400);
    assert_eq!(bad_redirect.json()["error_codes"][0], 50011);

    let emu2 =
        Emulator::start(EmulatorConfig::default().authorize_error(Some("consent_required".into())))
            .await
            .unwrap();
    let r = https(&emu2, Request::get(q(""))).await.unwrap();
    assert_eq!(
        param(&query_of(r.header("Location").unwrap()), "error"),
        Some("consent_required")
    );
}

#[tokio::test]
async fn logout_returns_to_a_registered_or_loopback_uri_only() {
    let emu = start().await;
    let logout = |query: &str| format!("/{}/oauth2/v2.0/logout{query}", tid());
    let back = https(
        &emu,
        Request::get(logout(
            "?post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fbye&state=s%201",
        )),
    )
    .await
    .unwrap();
    assert_eq!(back.status, 302);
    assert_eq!(
        back.header("location"),
        Some("http://127.0.0.1:9/bye?state=s+1")
    );

    let foreign = https(
        &emu,
        Request::get(logout(
            "?post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
        )),
    )
    .await
    .unwrap();
    assert_eq!(foreign.status, 400);
    assert!(
        foreign.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("AADSTS50011")
    );

    let plain = https(&emu, Request::get(logout(""))).await.unwrap();
    assert_eq!(plain.status, 200);
    assert!(plain.text().contains("signed out"));
    let config = https(
        &emu,
        Request::get(format!("/{}/v2.0/.well-known/openid-configuration", tid())),
    )
    .await
    .unwrap();
    let endpoint = config.json()["end_session_endpoint"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(endpoint.ends_with(&logout("")), "{endpoint}");
}
