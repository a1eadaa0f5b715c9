// Every test here signs with a certificate.
#![cfg(feature = "certificate")]

use super::*;
use crate::{ManualClock, id_token::decode_jwt_payload};
use base64::Engine as _;
use rsa::{PublicKey, pkcs8::DecodePrivateKey as _, signature::Verifier as _};
use sha2::Sha256;

const KEY_PKCS8: &str = include_str!("../../tests/data/test_key_pkcs8.pem");
const KEY_PKCS1: &str = include_str!("../../tests/data/test_key_pkcs1.pem");
const KEY_ENCRYPTED: &str = include_str!("../../tests/data/test_key_encrypted.pem");
const CERT: &str = include_str!("../../tests/data/test_cert.pem");
const ENDPOINT: &str = "https://login.example/tenant/oauth2/v2.0/token";

fn header_of(jwt: &str) -> serde_json::Map<String, Value> {
    let h = jwt.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(h)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn verify(jwt: &str, pss: bool) {
    let public = PublicKey::from(&rsa::PrivateKey::from_pkcs8_pem(KEY_PKCS8).unwrap());
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sig)
        .unwrap();
    if pss {
        let s = rsa::pss::Signature::try_from(sig.as_slice()).unwrap();
        rsa::pss::VerifyingKey::<Sha256>::new(public)
            .verify(input.as_bytes(), &s)
            .unwrap();
    } else {
        let s = rsa::pkcs1v15::Signature::try_from(sig.as_slice()).unwrap();
        rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public)
            .verify(input.as_bytes(), &s)
            .unwrap();
    }
}

#[test]
fn the_certificate_expiry_is_read() {
    let der = super::certificate::pem_blocks(CERT, "CERTIFICATE")
        .unwrap()
        .remove(0);
    let not_after = super::x509::not_after(&der).unwrap();
    assert_eq!(crate::clock::unix_secs(not_after), 4_949_273_302);
}

#[test]
fn a_certificate_of_another_key_is_refused() {
    let other = include_str!("../../tests/data/other_key_pkcs8.pem");
    let e = Certificate::from_pem(other, None)
        .unwrap()
        .with_public_certificate_pem(CERT)
        .unwrap_err();
    assert!(e.to_string().contains("does not belong"), "{e}");
    assert!(
        Certificate::from_pem(KEY_PKCS8, None)
            .unwrap()
            .with_public_certificate_pem(CERT)
            .is_ok()
    );
}

#[test]
fn every_key_format_loads() {
    assert!(Certificate::from_pem(KEY_PKCS8, None).is_ok());
    assert!(Certificate::from_pem(KEY_PKCS1, None).is_ok());
    assert!(Certificate::from_pem(KEY_ENCRYPTED, Some("hunter2")).is_ok());
    let wrong = Certificate::from_pem(KEY_ENCRYPTED, Some("wrong"))
        .unwrap_err()
        .to_string();
    assert!(!wrong.contains("hunter2") && !wrong.contains("wrong\""));
    assert!(Certificate::from_pem(KEY_ENCRYPTED, None).is_err());
    assert!(Certificate::from_pem("garbage", None).is_err());
    assert!(
        Certificate::from_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            None
        )
        .is_err()
    );
}

#[test]
fn public_certificate_gives_ps256_with_sha256_thumbprint_and_x5c() {
    let clock = ManualClock::from_unix_secs(1_795_670_000);
    let cert = Certificate::from_pem(KEY_PKCS8, None)
        .unwrap()
        .with_public_certificate_pem(CERT)
        .unwrap();
    let jwt = cert
        .assertion("client", ENDPOINT, None, &clock, false)
        .unwrap();
    let h = header_of(&jwt);
    assert_eq!(h["alg"], "PS256");
    assert!(h.contains_key("x5t#S256"));
    verify(&jwt, true);
    let claims = decode_jwt_payload(&jwt).unwrap();
    assert_eq!(claims["aud"], ENDPOINT);
    assert_eq!(claims["iss"], "client");
    assert_eq!(claims["sub"], "client");
    assert_eq!(claims["exp"], 1_795_670_600u64);
    assert!(claims.contains_key("jti") && !claims.contains_key("nbf"));

    assert_eq!(h["x5c"].as_array().unwrap().len(), 1);
    // AD FS: SHA-1 and RS256 even with a public certificate.
    let adfs = cert
        .assertion("client", ENDPOINT, None, &clock, true)
        .unwrap();
    assert_eq!(header_of(&adfs)["alg"], "RS256");
    verify(&adfs, false);
}

#[test]
fn x5c_is_sent_by_default_with_a_public_certificate_and_send_x5c_false_opts_out() {
    let clock = ManualClock::from_unix_secs(1_795_670_000);
    let x5c_of = |cert: &Certificate| {
        header_of(
            &cert
                .assertion("client", ENDPOINT, None, &clock, false)
                .unwrap(),
        )
        .get("x5c")
        .cloned()
    };
    let key = || Certificate::from_pem(KEY_PKCS8, None).unwrap();
    let default = key().with_public_certificate_pem(CERT).unwrap();
    let leaf = super::certificate::pem_blocks(CERT, "CERTIFICATE")
        .unwrap()
        .remove(0);
    assert_eq!(
        x5c_of(&default),
        Some(serde_json::json!([
            base64::engine::general_purpose::STANDARD.encode(leaf)
        ]))
    );
    assert!(format!("{default:?}").contains("send_x5c: true"));
    // Opting out holds whichever order the calls come in, and drops assertions already signed.
    assert_eq!(x5c_of(&default.clone().send_x5c(false)), None);
    let before = key()
        .send_x5c(false)
        .with_public_certificate_pem(CERT)
        .unwrap();
    assert_eq!(x5c_of(&before), None);
    // A thumbprint alone has no chain to send.
    let thumbprint = key()
        .with_thumbprint_sha1("DA:52:A8:BA:BD:26:AC:74:90:95:B4:9F:22:A9:A2:DA:ED:25:36:8C")
        .unwrap();
    assert_eq!(x5c_of(&thumbprint), None);
}

#[test]
fn sha1_thumbprint_gives_rs256_x5t_and_assertions_are_reused_until_near_expiry() {
    let clock = ManualClock::from_unix_secs(1_795_670_000);
    let cert = Certificate::from_pem(KEY_PKCS1, None)
        .unwrap()
        .with_thumbprint_sha1("DA:52:A8:BA:BD:26:AC:74:90:95:B4:9F:22:A9:A2:DA:ED:25:36:8C")
        .unwrap();
    let a = cert.assertion("c", ENDPOINT, None, &clock, false).unwrap();
    let h = header_of(&a);
    assert_eq!(h["alg"], "RS256");
    assert_eq!(h["x5t"], "2lKour0mrHSQlbSfIqmi2u0lNow");
    verify(&a, false);
    clock.advance(Duration::from_secs(500));
    assert_eq!(
        cert.assertion("c", ENDPOINT, None, &clock, false).unwrap(),
        a
    );
    clock.advance(Duration::from_secs(50));
    assert_ne!(
        cert.assertion("c", ENDPOINT, None, &clock, false).unwrap(),
        a
    );
    assert!(
        Certificate::from_pem(KEY_PKCS1, None)
            .unwrap()
            .with_thumbprint_sha1("abc")
            .is_err()
    );
    assert!(
        Certificate::from_pem(KEY_PKCS1, None)
            .unwrap()
            .assertion("c", ENDPOINT, None, &clock, false)
            .is_err()
    );
}

#[tokio::test]
async fn apply_sets_the_right_fields_and_debug_redacts() {
    let clock = ManualClock::from_unix_secs(1_795_670_000);
    let ctx = AssertionContext::new("c", ENDPOINT);
    let mut form = Form::new();
    let secret = ClientCredential::secret("very-secret");
    secret
        .apply(&mut form, ctx.clone(), None, &clock, false)
        .await
        .unwrap();
    assert_eq!(form.get("client_secret"), Some("very-secret"));
    assert!(!format!("{secret:?}").contains("very-secret"));

    let mut form = Form::new();
    let cb = ClientCredential::assertion_callback(|ctx: AssertionContext| async move {
        Ok::<_, BoxError>(format!("jwt:{}", ctx.token_endpoint))
    });
    cb.apply(&mut form, ctx.clone(), None, &clock, false)
        .await
        .unwrap();
    assert_eq!(
        form.get("client_assertion"),
        Some(format!("jwt:{ENDPOINT}").as_str())
    );
    assert_eq!(
        form.get("client_assertion_type"),
        Some(JWT_BEARER_ASSERTION_TYPE)
    );

    let failing = ClientCredential::assertion_callback(|_ctx: AssertionContext| async move {
        Err::<String, BoxError>("provider down".into())
    });
    assert!(matches!(
        failing
            .apply(&mut Form::new(), ctx.clone(), None, &clock, false)
            .await,
        Err(Error::Configuration(_))
    ));
    let fixed = ClientCredential::assertion("static.jwt.value");
    assert!(!format!("{fixed:?}").contains("static"));
}

#[tokio::test]
async fn auto_refresher_memoises() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let clock = ManualClock::from_unix_secs(0);
    let r = AutoRefresher::new(
        move |_ctx: AssertionContext| {
            let c = c.clone();
            async move { Ok::<_, BoxError>(format!("a{}", c.fetch_add(1, Ordering::SeqCst))) }
        },
        Duration::from_secs(540),
    )
    .with_clock(clock.clone());
    let ctx = AssertionContext::new("c", ENDPOINT);
    assert_eq!(r.assertion(ctx.clone()).await.unwrap(), "a0");
    clock.advance(Duration::from_secs(539));
    assert_eq!(r.assertion(ctx.clone()).await.unwrap(), "a0");
    clock.advance(Duration::from_secs(1));
    assert_eq!(r.assertion(ctx).await.unwrap(), "a1");
}

/// `.pfx` files made by the `openssl` command line (`tests/data/README.md` says how).
#[cfg(feature = "pkcs12")]
mod pkcs12 {
    use super::*;
    use crate::CertificateError;
    use rsa::pkcs8::DecodePublicKey as _;
    use sha2::Digest as _;

    const MODERN: &[u8] = include_bytes!("../../tests/data/test_modern.pfx");
    const LEGACY: &[u8] = include_bytes!("../../tests/data/test_legacy.pfx");
    const CHAIN: &[u8] = include_bytes!("../../tests/data/test_chain.pfx");
    const NO_PASSPHRASE: &[u8] = include_bytes!("../../tests/data/test_no_passphrase.pfx");
    const NO_KEY: &[u8] = include_bytes!("../../tests/data/test_no_key.pfx");
    const NO_CERT: &[u8] = include_bytes!("../../tests/data/test_no_cert.pfx");

    fn assertion_of(cert: &Certificate) -> String {
        let clock = ManualClock::from_unix_secs(1_795_670_000);
        cert.assertion("client", ENDPOINT, None, &clock, false)
            .unwrap()
    }

    fn x5c_der(jwt: &str) -> Vec<Vec<u8>> {
        header_of(jwt)["x5c"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                base64::engine::general_purpose::STANDARD
                    .decode(c.as_str().unwrap())
                    .unwrap()
            })
            .collect()
    }

    /// Verifies a PS256 JWT with the public key of the certificate it names first in `x5c`, as
    /// Entra does for subject-name/issuer authentication.
    fn verify_with_leaf(jwt: &str) {
        let leaf = x5c_der(jwt).remove(0);
        let spki = super::super::x509::subject_public_key_info(&leaf).unwrap();
        let public = PublicKey::from_public_key_der(spki).unwrap();
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sig)
            .unwrap();
        let s = rsa::pss::Signature::try_from(sig.as_slice()).unwrap();
        rsa::pss::VerifyingKey::<Sha256>::new(public)
            .verify(input.as_bytes(), &s)
            .unwrap();
    }

    fn pem_certificate() -> Certificate {
        Certificate::from_pem(KEY_PKCS8, None)
            .unwrap()
            .with_public_certificate_pem(CERT)
            .unwrap()
    }

    fn certificate_error(r: Result<Certificate, Error>) -> CertificateError {
        match r {
            Err(Error::Certificate(e)) => e,
            other => panic!("expected a certificate error, got {other:?}"),
        }
    }

    #[test]
    fn a_modern_pfx_signs_like_the_pem_key_with_its_certificate() {
        let pfx = Certificate::from_pkcs12(MODERN, Some("hunter2")).unwrap();
        let jwt = assertion_of(&pfx);
        let h = header_of(&jwt);
        assert_eq!(h["alg"], "PS256");
        assert_eq!(
            h["x5t#S256"],
            header_of(&assertion_of(&pem_certificate()))["x5t#S256"]
        );
        verify(&jwt, true); // the key is test_key_pkcs8.pem's
        let chain = x5c_der(&jwt);
        assert_eq!(
            chain,
            super::super::certificate::pem_blocks(CERT, "CERTIFICATE").unwrap()
        );
    }

    #[test]
    fn a_legacy_3des_rc2_pfx_loads_the_same_key_and_certificate() {
        let pfx = Certificate::from_pkcs12(LEGACY, Some("hunter2")).unwrap();
        let jwt = assertion_of(&pfx);
        assert_eq!(
            header_of(&jwt)["x5t#S256"],
            header_of(&assertion_of(&pem_certificate()))["x5t#S256"]
        );
        verify(&jwt, true);
        verify_with_leaf(&jwt);
    }

    #[test]
    fn an_assertion_signed_with_the_pfx_key_verifies_with_the_leaf_public_key() {
        let pfx = Certificate::from_pkcs12(CHAIN, Some("hunter2")).unwrap();
        let jwt = assertion_of(&pfx);
        verify_with_leaf(&jwt);
        let chain = x5c_der(&jwt);
        assert_eq!(chain.len(), 2, "the leaf, then the CA that issued it");
        let leaf_thumbprint = b64url_of(&Sha256::digest(&chain[0]));
        assert_eq!(header_of(&jwt)["x5t#S256"], leaf_thumbprint.as_str());
        // The CA's key is not the leaf's: the leaf really is first.
        assert_ne!(
            super::super::x509::subject_public_key_info(&chain[0]),
            super::super::x509::subject_public_key_info(&chain[1])
        );
    }

    fn b64url_of(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    #[test]
    fn a_wrong_or_missing_passphrase_is_a_wrong_passphrase_error() {
        for (file, pass) in [
            (MODERN, Some("hunter3")),
            (LEGACY, Some("hunter3")),
            (MODERN, None),
            (NO_PASSPHRASE, Some("hunter2")),
        ] {
            let e = Certificate::from_pkcs12(file, pass);
            let message = e.as_ref().map(|_| ()).unwrap_err().to_string();
            assert_eq!(certificate_error(e), CertificateError::WrongPassphrase);
            assert!(message.contains("wrong passphrase"), "{message}");
            assert!(!message.contains("hunter"), "{message}");
        }
    }

    #[test]
    fn a_file_exported_with_an_empty_passphrase_opens_without_one() {
        let pfx = Certificate::from_pkcs12(NO_PASSPHRASE, None).unwrap();
        verify(&assertion_of(&pfx), true);
    }

    #[test]
    fn a_file_without_a_private_key_or_without_a_certificate_says_so() {
        let e = Certificate::from_pkcs12(NO_KEY, Some("hunter2"));
        assert_eq!(certificate_error(e), CertificateError::NoPrivateKey);
        let e = Certificate::from_pkcs12(NO_KEY, Some("hunter2"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no private key"), "{e}");
        let e = Certificate::from_pkcs12(NO_CERT, Some("hunter2"));
        assert_eq!(certificate_error(e), CertificateError::NoCertificate);
    }

    #[test]
    fn a_certificate_of_another_key_is_a_key_mismatch() {
        // OpenSSL refuses to export such a file, so it is written here.
        let other = super::super::certificate::pem_blocks(
            include_str!("../../tests/data/other_key_pkcs8.pem"),
            "PRIVATE KEY",
        )
        .unwrap()
        .remove(0);
        let cert = super::super::certificate::pem_blocks(CERT, "CERTIFICATE")
            .unwrap()
            .remove(0);
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry(
            "mismatched",
            p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
                vec![1u8],
                p12_keystore::PrivateKey::from_der(&other).unwrap(),
                [p12_keystore::Certificate::from_der(&cert).unwrap()],
            )),
        );
        let file = store.writer("hunter2").write().unwrap();
        let e = Certificate::from_pkcs12(&file, Some("hunter2"));
        assert_eq!(certificate_error(e), CertificateError::KeyMismatch);
    }

    #[test]
    fn a_pfx_certificate_can_opt_out_of_x5c() {
        let pfx = Certificate::from_pkcs12(MODERN, Some("hunter2"))
            .unwrap()
            .send_x5c(false);
        assert!(!header_of(&assertion_of(&pfx)).contains_key("x5c"));
    }

    #[test]
    fn debug_of_a_pfx_certificate_shows_no_key() {
        let pfx = Certificate::from_pkcs12(MODERN, Some("hunter2")).unwrap();
        let debug = format!("{pfx:?}");
        assert!(
            debug.contains("x5t#S256") && !debug.contains("hunter2"),
            "{debug}"
        );
        assert!(!debug.to_lowercase().contains("private"), "{debug}");
    }

    #[test]
    fn garbage_is_a_malformed_file() {
        for bytes in [&b""[..], b"not a pfx", &MODERN[..100]] {
            assert!(matches!(
                certificate_error(Certificate::from_pkcs12(bytes, Some("hunter2"))),
                CertificateError::Malformed(_)
            ));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Outside input: a damaged file is an error, never a panic.
        #[test]
        fn damaged_files_never_panic(at in 0usize..2547, byte in proptest::prelude::any::<u8>()) {
            let mut file = MODERN.to_vec();
            let at = at % file.len();
            file[at] ^= byte | 1;
            let _ = Certificate::from_pkcs12(&file, Some("hunter2"));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = Certificate::from_pkcs12(&bytes, Some("hunter2"));
        }
    }
}
