//! End-to-end tests of the Entra endpoints over real TLS.
// Helpers outside #[test] functions unwrap too: a failed setup should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Request, b64url, https, jwt_payload, param, query_of};
use msal_emulator::{ClientConfig, Emulator, EmulatorConfig, ids};
use rsa::pkcs8::DecodePrivateKey;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Value, json};
use sha2::Digest as _;
use sha2::Sha256;

fn tid() -> &'static str {
    ids::TENANT_ID
}

async fn start() -> Emulator {
    Emulator::start(EmulatorConfig::default()).await.unwrap()
}

fn token_path() -> String {
    format!("/{}/oauth2/v2.0/token", tid())
}

async fn post_token(emu: &Emulator, form: &[(&str, &str)]) -> common::Resp {
    https(emu, Request::post_form(token_path(), form))
        .await
        .unwrap()
}

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
    let mut tampered = id_token.to_owned();
    tampered.pop();
    tampered.push(if id_token.ends_with('A') { 'B' } else { 'A' });
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
async fn client_credentials_with_secret() {
    let emu = start().await;
    let resp = https(
        &emu,
        Request::post_form(
            token_path(),
            &[
                ("client_id", ids::CONFIDENTIAL_CLIENT_ID),
                ("client_secret", ids::CONFIDENTIAL_CLIENT_SECRET),
                ("grant_type", "client_credentials"),
                ("scope", ids::APP_SCOPE),
                ("client_info", "1"),
            ],
        )
        .header("x-client-SKU", "MSAL.Rust")
        .header("client-request-id", "11111111-2222-4333-8444-555555555555"),
    )
    .await
    .unwrap();
    assert_eq!(resp.status, 200, "{}", resp.text());
    let body = resp.json();
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    let at = jwt_payload(body["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], "https://api.fake-entra.invalid");
    assert_eq!(at["azp"], ids::CONFIDENTIAL_CLIENT_ID);
    assert_eq!(at["idtyp"], "app");

    // The log keeps header case and the form.
    let logged = emu.requests().pop().unwrap();
    assert_eq!(logged.status, 200);
    assert!(logged.headers.iter().any(|(k, _)| k == "x-client-SKU"));
    assert_eq!(logged.form_param("grant_type"), Some("client_credentials"));
    assert_eq!(
        logged.form_keys(),
        [
            "client_id",
            "client_info",
            "client_secret",
            "grant_type",
            "scope"
        ]
    );
    assert_eq!(emu.count("POST", "/oauth2/v2.0/token"), 1);

    let wrong = https(
        &emu,
        Request::post_form(
            token_path(),
            &[
                ("client_id", ids::CONFIDENTIAL_CLIENT_ID),
                ("client_secret", "nope"),
                ("grant_type", "client_credentials"),
                ("scope", ids::APP_SCOPE),
            ],
        )
        .header("client-request-id", "11111111-2222-4333-8444-555555555555"),
    )
    .await
    .unwrap();
    assert_eq!(wrong.status, 401);
    let err = wrong.json();
    assert_eq!(err["error"], "invalid_client");
    assert_eq!(
        err["correlation_id"],
        "11111111-2222-4333-8444-555555555555"
    );
    assert!(!err.to_string().contains("nope"));

    let user_scope = post_token(
        &emu,
        &[
            ("client_id", ids::CONFIDENTIAL_CLIENT_ID),
            ("client_secret", ids::CONFIDENTIAL_CLIENT_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", ids::USER_SCOPE),
        ],
    )
    .await;
    assert_eq!(user_scope.json()["error"], "invalid_scope");
}

/// Builds a client assertion like MSAL Python does.
fn assertion(
    emu: &Emulator,
    alg: &str,
    thumb_header: (&str, Vec<u8>),
    exp_offset: i64,
    aud: Option<String>,
) -> String {
    let (key_pem, cert_pem) = emu.client_certificate();
    assert!(key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    let key = rsa::PrivateKey::from_pkcs8_pem(&key_pem).unwrap();
    let _cert = CertificateDer::from_pem_slice(cert_pem.as_bytes()).unwrap();
    let padded =
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE, &thumb_header.1);
    let header = json!({"alg": alg, "typ": "JWT", thumb_header.0: padded});
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let claims = json!({
        "aud": aud.unwrap_or_else(|| emu.token_endpoint()),
        "iss": ids::CONFIDENTIAL_CLIENT_ID,
        "sub": ids::CONFIDENTIAL_CLIENT_ID,
        "exp": now + exp_offset as f64,
        "iat": now,
        "jti": "c5f1ce0a-9c1b-4d4f-8a51-7d6f3f0f3b57",
    });
    let input = format!(
        "{}.{}",
        b64url(header.to_string()),
        b64url(claims.to_string())
    );
    let sig = match alg {
        "RS256" => key.pkcs1v15_sign::<Sha256>(input.as_bytes()).unwrap(),
        _ => key.pss_sign::<Sha256>(input.as_bytes()).unwrap(),
    };
    format!("{input}.{}", b64url(sig))
}

fn cert_der(emu: &Emulator) -> Vec<u8> {
    CertificateDer::from_pem_slice(emu.client_certificate().1.as_bytes())
        .unwrap()
        .to_vec()
}

async fn cc_with_assertion(emu: &Emulator, jwt: &str) -> common::Resp {
    post_token(
        emu,
        &[
            ("client_id", ids::CONFIDENTIAL_CLIENT_ID),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", jwt),
            ("grant_type", "client_credentials"),
            ("scope", ids::APP_SCOPE),
        ],
    )
    .await
}

#[tokio::test]
async fn certificate_assertions_rs256_x5t_and_ps256_x5t_s256() {
    let emu = start().await;
    let der = cert_der(&emu);
    let sha1 = sha1::Sha1::digest(&der).to_vec();
    assert_eq!(
        emu.client_certificate_thumbprint(),
        sha1.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let rs = assertion(&emu, "RS256", ("x5t", sha1.clone()), 600, None);
    assert_eq!(cc_with_assertion(&emu, &rs).await.status, 200);
    let ps = assertion(
        &emu,
        "PS256",
        ("x5t#S256", Sha256::digest(&der).to_vec()),
        600,
        None,
    );
    let resp = cc_with_assertion(&emu, &ps).await;
    assert_eq!(resp.status, 200, "{}", resp.text());

    let wrong_thumb = assertion(&emu, "RS256", ("x5t", vec![7u8; 20]), 600, None);
    let resp = cc_with_assertion(&emu, &wrong_thumb).await;
    assert_eq!(resp.status, 401);
    assert_eq!(resp.json()["error_codes"][0], 700027);

    let expired = assertion(&emu, "RS256", ("x5t", sha1.clone()), -10, None);
    assert_eq!(
        cc_with_assertion(&emu, &expired).await.json()["error_codes"][0],
        700024
    );

    let wrong_aud = assertion(
        &emu,
        "RS256",
        ("x5t", sha1),
        600,
        Some("https://login.evil.example/x/oauth2/v2.0/token".into()),
    );
    assert_eq!(cc_with_assertion(&emu, &wrong_aud).await.status, 401);
}

#[tokio::test]
async fn device_code_pending_then_success() {
    let emu = start().await;
    let dc = https(
        &emu,
        Request::post_form(
            format!("/{}/oauth2/v2.0/devicecode", tid()),
            &[
                ("client_id", ids::PUBLIC_CLIENT_ID),
                (
                    "scope",
                    "https://api.fake-entra.invalid/Data.Read offline_access openid profile",
                ),
            ],
        ),
    )
    .await
    .unwrap()
    .json();
    assert_eq!(dc["interval"], 1);
    assert_eq!(dc["expires_in"], 900);
    assert!(
        dc["message"]
            .as_str()
            .unwrap()
            .contains(dc["user_code"].as_str().unwrap())
    );
    let code = dc["device_code"].as_str().unwrap();
    let poll = [
        ("client_id", ids::PUBLIC_CLIENT_ID),
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("code", code),
        ("device_code", code),
        ("client_info", "1"),
    ];
    let first = post_token(&emu, &poll).await;
    assert_eq!(first.status, 400);
    assert_eq!(first.json()["error"], "authorization_pending");
    let second = post_token(&emu, &poll).await;
    assert_eq!(second.status, 200, "{}", second.text());
    assert!(second.json()["id_token"].is_string());
    assert_eq!(
        post_token(&emu, &poll).await.json()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn device_code_manual_slow_down_decline_and_expiry() {
    let emu = Emulator::start(
        EmulatorConfig::default()
            .device_code_polls_before_approval(None)
            .device_code_slow_down_on_poll(Some(2)),
    )
    .await
    .unwrap();
    let new_code = || async {
        https(
            &emu,
            Request::post_form(
                format!("/{}/oauth2/v2.0/devicecode", tid()),
                &[
                    ("client_id", ids::PUBLIC_CLIENT_ID),
                    ("scope", "openid profile offline_access"),
                ],
            ),
        )
        .await
        .unwrap()
        .json()
    };
    let dc = new_code().await;
    let code = dc["device_code"].as_str().unwrap();
    let poll = |c: &str| {
        let form = vec![
            ("client_id".to_owned(), ids::PUBLIC_CLIENT_ID.to_owned()),
            (
                "grant_type".to_owned(),
                "urn:ietf:params:oauth:grant-type:device_code".to_owned(),
            ),
            ("device_code".to_owned(), c.to_owned()),
        ];
        let mut req = Request::post_form(token_path(), &[]);
        req.form = Some(form);
        req
    };
    let error = |r: common::Resp| r.json()["error"].as_str().unwrap().to_owned();
    assert_eq!(
        error(https(&emu, poll(code)).await.unwrap()),
        "authorization_pending"
    );
    assert_eq!(error(https(&emu, poll(code)).await.unwrap()), "slow_down");
    assert_eq!(
        error(https(&emu, poll(code)).await.unwrap()),
        "authorization_pending"
    );
    assert!(emu.approve_device_code(dc["user_code"].as_str().unwrap()));
    assert_eq!(https(&emu, poll(code)).await.unwrap().status, 200);

    let dc = new_code().await;
    assert!(emu.decline_device_code(dc["user_code"].as_str().unwrap()));
    assert_eq!(
        error(
            https(&emu, poll(dc["device_code"].as_str().unwrap()))
                .await
                .unwrap()
        ),
        "authorization_declined"
    );

    let short = Emulator::start(EmulatorConfig::default().device_code_expires_in(0))
        .await
        .unwrap();
    let dc = https(
        &short,
        Request::post_form(
            format!("/{}/oauth2/v2.0/devicecode", tid()),
            &[("client_id", ids::PUBLIC_CLIENT_ID), ("scope", "openid")],
        ),
    )
    .await
    .unwrap()
    .json();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        error(
            https(&short, poll(dc["device_code"].as_str().unwrap()))
                .await
                .unwrap()
        ),
        "expired_token"
    );
}

async fn ropc(emu: &Emulator, client: &str, scope: &str) -> Value {
    let resp = post_token(
        emu,
        &[
            ("client_id", client),
            ("grant_type", "password"),
            ("username", ids::USER_UPN),
            ("password", ids::USER_PASSWORD),
            ("scope", scope),
            ("client_info", "1"),
        ],
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    resp.json()
}

#[tokio::test]
async fn password_grant_user_realm_and_wrong_password() {
    let emu = Emulator::start(EmulatorConfig::default().with_federated_user(
        "fed@fabrikam.example",
        "f0000000-0000-4000-8000-000000000001",
    ))
    .await
    .unwrap();
    let realm = https(
        &emu,
        Request::get(format!(
            "/common/userrealm/{}?api-version=1.0",
            ids::USER_UPN
        )),
    )
    .await
    .unwrap()
    .json();
    assert_eq!(realm["account_type"], "Managed");
    let fed = https(
        &emu,
        Request::get("/common/userrealm/fed@fabrikam.example?api-version=1.0"),
    )
    .await
    .unwrap()
    .json();
    assert_eq!(fed["account_type"], "Federated");
    assert!(fed["federation_metadata_url"].is_string());

    let body = ropc(
        &emu,
        ids::PUBLIC_CLIENT_ID,
        "https://api.fake-entra.invalid/Data.Read offline_access openid profile",
    )
    .await;
    assert!(body["refresh_token"].is_string());
    let wrong = post_token(
        &emu,
        &[
            ("client_id", ids::PUBLIC_CLIENT_ID),
            ("grant_type", "password"),
            ("username", ids::USER_UPN),
            ("password", "wrong"),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.json()["error_codes"][0], 50126);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_family_tokens_cross_clients() {
    let sibling = "00000000-0000-4000-8000-0000000000a4";
    let emu = Emulator::start(
        EmulatorConfig::default()
            .with_client(ClientConfig::public(sibling))
            .foci_family([ids::PUBLIC_CLIENT_ID, sibling]),
    )
    .await
    .unwrap();
    let first = ropc(&emu, ids::PUBLIC_CLIENT_ID, "openid profile offline_access").await;
    assert_eq!(first["foci"], "1");
    let rt = first["refresh_token"].as_str().unwrap();
    let refreshed = post_token(
        &emu,
        &[
            ("client_id", sibling),
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            (
                "scope",
                "https://api.fake-entra.invalid/Data.Read offline_access openid profile",
            ),
        ],
    )
    .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text());
    let new_rt = refreshed.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_rt, rt);

    assert!(emu.revoke_refresh_token(&new_rt));
    let revoked = post_token(
        &emu,
        &[
            ("client_id", sibling),
            ("grant_type", "refresh_token"),
            ("refresh_token", &new_rt),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(revoked.status, 400);
    assert_eq!(revoked.json()["error"], "invalid_grant");

    // Not a family member: the RT of another client is refused.
    let plain = start().await;
    let rt = ropc(&plain, ids::PUBLIC_CLIENT_ID, "openid offline_access").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = post_token(
        &plain,
        &[
            ("client_id", ids::CONFIDENTIAL_CLIENT_ID),
            ("client_secret", ids::CONFIDENTIAL_CLIENT_SECRET),
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(other.status, 400);
}

#[tokio::test]
async fn on_behalf_of_exchanges_a_user_token() {
    let emu = start().await;
    let user = ropc(
        &emu,
        ids::PUBLIC_CLIENT_ID,
        "https://api.fake-entra.invalid/Data.Read offline_access openid profile",
    )
    .await;
    let resp = post_token(
        &emu,
        &[
            ("client_id", ids::OBO_CLIENT_ID),
            ("client_secret", ids::OBO_CLIENT_SECRET),
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("requested_token_use", "on_behalf_of"),
            ("assertion", user["access_token"].as_str().unwrap()),
            (
                "scope",
                "https://downstream.fake-entra.invalid/.default offline_access openid profile",
            ),
            ("client_info", "1"),
        ],
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let body = resp.json();
    let at = jwt_payload(body["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], "https://downstream.fake-entra.invalid");
    assert_eq!(at["oid"], ids::USER_OID);
    assert!(body["client_info"].is_string());

    let forged = post_token(
        &emu,
        &[
            ("client_id", ids::OBO_CLIENT_ID),
            ("client_secret", ids::OBO_CLIENT_SECRET),
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("requested_token_use", "on_behalf_of"),
            ("assertion", "a.b.c"),
            ("scope", "https://downstream.fake-entra.invalid/.default"),
        ],
    )
    .await;
    assert_eq!(forged.status, 400);
}

#[tokio::test]
async fn pop_tokens_carry_cnf_and_claims_challenges_are_enforced() {
    let emu = Emulator::start(
        EmulatorConfig::default().claims_challenge_resource("https://claims.fake-entra.invalid"),
    )
    .await
    .unwrap();
    let req_cnf = b64url(json!({"kid": "kid-123", "xms_ksl": "sw"}).to_string());
    let resp = post_token(
        &emu,
        &[
            ("client_id", ids::CONFIDENTIAL_CLIENT_ID),
            ("client_secret", ids::CONFIDENTIAL_CLIENT_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", ids::APP_SCOPE),
            ("token_type", "pop"),
            ("req_cnf", &req_cnf),
        ],
    )
    .await;
    let body = resp.json();
    assert_eq!(body["token_type"], "pop");
    assert_eq!(
        jwt_payload(body["access_token"].as_str().unwrap())["cnf"],
        json!({"kid": "kid-123"})
    );

    let form = [
        ("client_id", ids::CONFIDENTIAL_CLIENT_ID),
        ("client_secret", ids::CONFIDENTIAL_CLIENT_SECRET),
        ("grant_type", "client_credentials"),
        ("scope", "https://claims.fake-entra.invalid/.default"),
    ];
    let challenged = post_token(&emu, &form).await;
    assert_eq!(challenged.status, 400);
    let err = challenged.json();
    assert_eq!(err["error"], "interaction_required");
    let claims: Value = serde_json::from_str(err["claims"].as_str().unwrap()).unwrap();
    assert!(claims["access_token"].is_object());

    let mut with_claims = form.to_vec();
    with_claims.push((
        "claims",
        r#"{"access_token":{"capolids":{"essential":true,"values":["emulator-policy"]}}}"#,
    ));
    assert_eq!(post_token(&emu, &with_claims).await.status, 200);
}
