//! PoP keys and Signed HTTP Requests: JWKs, thumbprints, req_cnf, SHR format and signatures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, UNIX_EPOCH};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use msal_core::{AccessToken, Error};
use msal_pop::{
    BoxError, HttpMethod, PopAuthScheme, PopKey, PopSigner, sign_http_request, token_request_fields,
};
use p256::pkcs8::DecodePrivateKey as _;
use rsa::signature::Verifier as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const EC_PEM: &str = include_str!("data/ec_p256_pkcs8.pem");
const RSA_PEM: &str = include_str!("data/rsa2048_pkcs8.pem");
/// Public JWKs and RFC 7638 thumbprints of the two keys above, computed with openssl and
/// Python's hashlib, independently of this crate.
const EXPECTED: &str = include_str!("data/expected_jwks.json");
const TS: u64 = 1_700_000_123;

fn expected(name: &str) -> Value {
    serde_json::from_str::<Value>(EXPECTED).unwrap()[name].clone()
}

fn b64d(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap()
}

/// Splits a compact JWS into (header, payload, signing input, signature).
fn decode(shr: &AccessToken) -> (Value, Value, String, Vec<u8>) {
    let parts: Vec<&str> = shr.secret().split('.').collect();
    assert_eq!(parts.len(), 3, "compact JWS has three parts");
    (
        serde_json::from_slice(&b64d(parts[0])).unwrap(),
        serde_json::from_slice(&b64d(parts[1])).unwrap(),
        format!("{}.{}", parts[0], parts[1]),
        b64d(parts[2]),
    )
}

fn sign(key: &PopKey, method: HttpMethod, url: &str) -> AccessToken {
    let scheme = PopAuthScheme::new(method, url, "nonce-1").unwrap();
    let at = AccessToken::new("bound.access.token");
    sign_http_request(key, &at, &scheme, UNIX_EPOCH + Duration::from_secs(TS)).unwrap()
}

#[test]
fn ec_key_jwk_and_kid_match_openssl() {
    let key = PopKey::from_pkcs8_pem(EC_PEM).unwrap();
    let want = expected("ec_p256");
    assert_eq!(key.alg(), "ES256");
    assert_eq!(key.jwk(), want["jwk"]);
    assert_eq!(key.kid(), want["kid"]);
}

#[test]
fn rsa_key_jwk_and_kid_match_openssl() {
    let key = PopKey::from_pkcs8_pem(RSA_PEM).unwrap();
    let want = expected("rsa2048");
    assert_eq!(key.alg(), "RS256");
    assert_eq!(key.jwk(), want["jwk"]);
    assert_eq!(key.kid(), want["kid"]);
}

#[test]
fn req_cnf_and_token_request_fields() {
    let key = PopKey::from_pkcs8_pem(EC_PEM).unwrap();
    let want = format!(
        r#"{{"kid":"{}","xms_ksl":"sw"}}"#,
        expected("ec_p256")["kid"].as_str().unwrap()
    );
    assert_eq!(b64d(&key.req_cnf()), want.as_bytes());
    assert!(!key.req_cnf().contains('='), "base64url without padding");
    assert_eq!(
        token_request_fields(&key),
        [("token_type", "pop".to_owned()), ("req_cnf", key.req_cnf())]
    );
}

#[test]
fn es256_shr_has_exact_header_and_payload_and_verifies() {
    let key = PopKey::from_pkcs8_pem(EC_PEM).unwrap();
    let shr = sign(
        &key,
        HttpMethod::Post,
        "https://Graph.Example/v1.0/me/sendMail",
    );
    let (header, payload, input, sig) = decode(&shr);

    assert_eq!(
        header,
        json!({"alg": "ES256", "kid": key.kid(), "typ": "pop"})
    );
    assert_eq!(
        payload,
        json!({
            "at": "bound.access.token",
            "ts": TS,
            "nonce": "nonce-1",
            "m": "POST",
            "u": "graph.example",
            "p": "/v1.0/me/sendMail",
            "cnf": {"jwk": expected("ec_p256")["jwk"]},
        })
    );

    // Verify with the public key taken from the SHR's own cnf.jwk: that is what a resource does.
    assert_eq!(sig.len(), 64, "JOSE r||s, not DER");
    let jwk = &payload["cnf"]["jwk"];
    let mut sec1 = vec![4u8];
    sec1.extend(b64d(jwk["x"].as_str().unwrap()));
    sec1.extend(b64d(jwk["y"].as_str().unwrap()));
    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).unwrap();
    let signature = p256::ecdsa::Signature::from_slice(&sig).unwrap();
    vk.verify(input.as_bytes(), &signature).unwrap();

    // And the private key's own verifying key agrees.
    let sk = p256::ecdsa::SigningKey::from_pkcs8_pem(EC_PEM).unwrap();
    sk.verifying_key()
        .verify(input.as_bytes(), &signature)
        .unwrap();
    // A tampered payload does not verify.
    assert!(vk.verify(b"tampered.input", &signature).is_err());
}

#[test]
fn rs256_shr_verifies_with_the_public_key() {
    let key = PopKey::from_pkcs8_pem(RSA_PEM).unwrap();
    let shr = sign(&key, HttpMethod::Get, "http://localhost:8080");
    let (header, payload, input, sig) = decode(&shr);
    assert_eq!(
        header,
        json!({"alg": "RS256", "kid": key.kid(), "typ": "pop"})
    );
    assert_eq!(payload["u"], "localhost:8080");
    assert_eq!(payload["p"], "/");
    assert_eq!(payload["m"], "GET");
    assert_eq!(payload["cnf"]["jwk"], expected("rsa2048")["jwk"]);
    assert_eq!(sig.len(), 256);

    let public = rsa::PrivateKey::from_pkcs8_pem(RSA_PEM)
        .unwrap()
        .to_public_key();
    let vk = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public);
    let signature = rsa::pkcs1v15::Signature::try_from(sig.as_slice()).unwrap();
    vk.verify(input.as_bytes(), &signature).unwrap();
    assert!(vk.verify(b"other", &signature).is_err());
}

#[test]
fn u_claim_keeps_only_non_default_ports() {
    let key = PopKey::from_pkcs8_pem(EC_PEM).unwrap();
    for (url, u) in [
        ("https://contoso.example:443/a", "contoso.example"),
        ("http://contoso.example:80/a", "contoso.example"),
        ("https://contoso.example:80/a", "contoso.example:80"),
        ("http://CONTOSO.example:8443/a", "contoso.example:8443"),
        ("https://[::1]:9000/a", "[::1]:9000"),
        ("https://127.0.0.1/a", "127.0.0.1"),
    ] {
        let (_, payload, _, _) = decode(&sign(&key, HttpMethod::Get, url));
        assert_eq!(payload["u"], u, "{url}");
    }
}

#[test]
fn query_becomes_the_q_claim() {
    let key = PopKey::from_pkcs8_pem(EC_PEM).unwrap();
    let (_, payload, _, _) = decode(&sign(
        &key,
        HttpMethod::Get,
        "https://h.example/items?b=bar&a=foo&c=duck#frag",
    ));
    let hash = URL_SAFE_NO_PAD.encode(Sha256::digest(b"b=bar&a=foo&c=duck"));
    assert_eq!(payload["q"], json!([["b", "a", "c"], hash]));
    assert_eq!(payload["p"], "/items");

    let (_, payload, _, _) = decode(&sign(&key, HttpMethod::Get, "https://h.example/items"));
    assert!(payload.get("q").is_none());
    assert!(payload.get("h").is_none());
}

#[test]
fn shr_is_fresh_per_call_time() {
    let key = PopKey::from_pkcs8_pem(EC_PEM).unwrap();
    let scheme = PopAuthScheme::new(HttpMethod::Get, "https://h.example/", "n").unwrap();
    let at = AccessToken::new("t");
    let a = sign_http_request(&key, &at, &scheme, UNIX_EPOCH + Duration::from_secs(1)).unwrap();
    let b = sign_http_request(&key, &at, &scheme, UNIX_EPOCH + Duration::from_secs(2)).unwrap();
    assert_eq!(decode(&a).1["ts"], 1);
    assert_eq!(decode(&b).1["ts"], 2);
}

#[test]
fn empty_access_token_is_an_invalid_argument() {
    let key = PopKey::from_pkcs8_pem(EC_PEM).unwrap();
    let scheme = PopAuthScheme::new(HttpMethod::Get, "https://h.example/", "n").unwrap();
    let err = sign_http_request(&key, &AccessToken::new(""), &scheme, UNIX_EPOCH).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
}

#[test]
fn bad_pem_is_a_crypto_error_without_key_material() {
    let p384 = include_str!("data/ec_p384_pkcs8.pem");
    let rsa1024 = include_str!("data/rsa1024_pkcs8.pem");
    let truncated = &EC_PEM[..EC_PEM.len() / 2];
    for pem in ["", "garbage", p384, rsa1024, truncated] {
        let err = PopKey::from_pkcs8_pem(pem).unwrap_err();
        assert!(matches!(err, Error::Crypto(_)), "{err:?}");
        assert!(!err.to_string().contains("MII"), "{err}");
    }
    let err = PopKey::from_pkcs8_pem(rsa1024).unwrap_err();
    assert!(err.to_string().contains("1024 bits"), "{err}");
    let pkcs1 = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
    let err = PopKey::from_pkcs8_pem(pkcs1).unwrap_err();
    assert!(err.to_string().contains("openssl pkcs8 -topk8"), "{err}");
}

/// The private body of a PEM: every line between the armour.
fn pem_body_lines(pem: &str) -> Vec<&str> {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

#[test]
fn debug_shows_only_alg_and_kid() {
    for pem in [EC_PEM, RSA_PEM] {
        let key = PopKey::from_pkcs8_pem(pem).unwrap();
        let dbg = format!("{key:?} {:#?}", key.clone());
        assert_eq!(
            format!("{key:?}"),
            format!("PopKey {{ alg: {:?}, kid: {:?} }}", key.alg(), key.kid())
        );
        for line in pem_body_lines(pem) {
            assert!(!dbg.contains(line), "PEM material in Debug");
        }
        assert!(key.jwk().get("d").is_none(), "public JWK only");
    }
    // The EC private scalar itself, in the encodings a leak would take.
    let sk = p256::ecdsa::SigningKey::from_pkcs8_pem(EC_PEM).unwrap();
    let d = sk.to_bytes();
    let key = PopKey::from_pkcs8_pem(EC_PEM).unwrap();
    let dbg = format!("{key:?}");
    assert!(!dbg.contains(&URL_SAFE_NO_PAD.encode(d)));
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!dbg.contains(&hex));
    assert!(!dbg.contains(&format!("{:?}", d.as_slice())));
}

#[test]
fn generated_keys_sign_verifiable_shrs() {
    let key = PopKey::generate_es256().unwrap();
    assert_ne!(key.kid(), PopKey::generate_es256().unwrap().kid());
    let (_, payload, input, sig) = decode(&sign(&key, HttpMethod::Delete, "https://h.example/x"));
    assert_eq!(payload["m"], "DELETE");
    let jwk = &payload["cnf"]["jwk"];
    let mut sec1 = vec![4u8];
    sec1.extend(b64d(jwk["x"].as_str().unwrap()));
    sec1.extend(b64d(jwk["y"].as_str().unwrap()));
    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).unwrap();
    vk.verify(
        input.as_bytes(),
        &p256::ecdsa::Signature::from_slice(&sig).unwrap(),
    )
    .unwrap();
}

/// The one test that generates an RSA key (slow in debug builds).
#[test]
fn generate_rs256_makes_a_2048_bit_key() {
    let key = PopKey::generate_rs256().unwrap();
    assert_eq!(key.alg(), "RS256");
    assert_eq!(b64d(key.jwk()["n"].as_str().unwrap()).len(), 256);
    assert_eq!(key.jwk()["e"], "AQAB");
    assert_eq!(key.sign(b"m").unwrap().len(), 256);
}

/// An HSM-style signer that returns DER ECDSA signatures and, carelessly, a private JWK member.
#[derive(Debug)]
struct DerHsm(p256::ecdsa::SigningKey, Value);

impl PopSigner for DerHsm {
    fn alg(&self) -> &str {
        "ES256"
    }
    fn public_jwk(&self) -> Value {
        let mut jwk = self.1.clone();
        jwk["d"] = json!("private-scalar-must-not-leak");
        jwk
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, BoxError> {
        use p256::ecdsa::signature::Signer as _;
        let sig: p256::ecdsa::Signature = self.0.try_sign(msg)?;
        Ok(sig.to_der().as_bytes().to_vec())
    }
}

#[derive(Debug)]
struct Failing;

impl PopSigner for Failing {
    fn alg(&self) -> &str {
        "ES256"
    }
    fn public_jwk(&self) -> Value {
        json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"})
    }
    fn sign(&self, _: &[u8]) -> Result<Vec<u8>, BoxError> {
        Err("device unplugged".into())
    }
}

#[test]
fn external_signer_keys_are_public_only_and_jose_encoded() {
    let sk = p256::ecdsa::SigningKey::from_pkcs8_pem(EC_PEM).unwrap();
    let key = PopKey::with_signer(DerHsm(sk.clone(), expected("ec_p256")["jwk"].clone()));
    assert_eq!(key.kid(), expected("ec_p256")["kid"]);
    assert_eq!(
        key.jwk(),
        expected("ec_p256")["jwk"],
        "private `d` stripped"
    );

    let (header, payload, input, sig) =
        decode(&sign(&key, HttpMethod::Patch, "https://h.example/x"));
    assert_eq!(header["alg"], "ES256");
    assert!(payload["cnf"]["jwk"].get("d").is_none());
    assert_eq!(sig.len(), 64, "DER converted to r||s");
    sk.verifying_key()
        .verify(
            input.as_bytes(),
            &p256::ecdsa::Signature::from_slice(&sig).unwrap(),
        )
        .unwrap();

    let failing = PopKey::with_signer(Failing);
    let err = failing.sign(b"x").unwrap_err();
    assert!(matches!(err, Error::Crypto(ref m) if m.contains("device unplugged")));
}

#[test]
fn clones_share_the_key() {
    let key = PopKey::from_pkcs8_pem(EC_PEM).unwrap();
    let clone = key.clone();
    assert_eq!(clone.kid(), key.kid());
    assert_eq!(clone.jwk(), key.jwk());
}

/// RFC 7638 §3.1's example key, through the public API: a signer that only knows its JWK.
#[derive(Debug)]
struct Rfc7638Example;

impl PopSigner for Rfc7638Example {
    fn alg(&self) -> &str {
        "RS256"
    }
    fn public_jwk(&self) -> Value {
        json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        })
    }
    fn sign(&self, _: &[u8]) -> Result<Vec<u8>, BoxError> {
        Err("verification only".into())
    }
}

#[test]
fn rfc7638_example_thumbprint_through_the_public_api() {
    let key = PopKey::with_signer(Rfc7638Example);
    assert_eq!(key.kid(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}
