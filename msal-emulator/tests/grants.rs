//! End-to-end tests of the token-endpoint grants, over real TLS.
// Helpers outside #[test] functions unwrap too: a failed setup should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Request, b64url, https, jwt_payload, post_token, start, tid, token_path};
use msal_emulator::{ClientConfig, Emulator, EmulatorConfig, ids};
use rsa::pkcs8::DecodePrivateKey;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Value, json};
use sha2::Digest as _;
use sha2::Sha256;

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
