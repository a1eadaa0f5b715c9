//! The emulator's RSA keys are the committed test keys under `keys/`, not generated at start
//! (generation took seconds in debug builds of apps outside this workspace).
// A failed setup should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{post_token, start};
use msal_emulator::ids;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey, PublicKey};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use sha2::Sha256;

const TOKEN_SIGNING_KEY_PEM: &str = include_str!("../keys/token-signing-key.pem");
const CLIENT_CERTIFICATE_KEY_PEM: &str = include_str!("../keys/client-certificate-key.pem");

fn public_key(pem: &str) -> PublicKey {
    PrivateKey::from_pkcs8_pem(pem).unwrap().to_public_key()
}

/// The signature of an issued token checks out against the committed key file itself (not
/// against whatever the emulator publishes), and the JWKS publishes that same key.
#[tokio::test]
async fn tokens_are_signed_with_the_committed_signing_key() {
    let emu = start().await;
    let resp = post_token(
        &emu,
        &[
            ("client_id", ids::CONFIDENTIAL_CLIENT_ID),
            ("client_secret", ids::CONFIDENTIAL_CLIENT_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", ids::APP_SCOPE),
        ],
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let token = resp.json()["access_token"].as_str().unwrap().to_owned();
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();

    let committed = public_key(TOKEN_SIGNING_KEY_PEM);
    committed
        .pkcs1v15_verify::<Sha256>(input.as_bytes(), &signature)
        .expect("the token verifies with keys/token-signing-key.pem");

    let jwk = &emu.jwks()["keys"][0];
    assert_eq!(jwk["n"], URL_SAFE_NO_PAD.encode(committed.n_bytes()));
    assert_eq!(jwk["e"], URL_SAFE_NO_PAD.encode(committed.e_bytes()));
}

/// The confidential client's certificate carries the committed client key, and the key the
/// emulator hands out is that file, byte for byte.
#[tokio::test]
async fn client_certificate_uses_the_committed_client_key() {
    let emu = start().await;
    let (key_pem, cert_pem) = emu.client_certificate();
    assert_eq!(key_pem, CLIENT_CERTIFICATE_KEY_PEM);

    let cert = CertificateDer::from_pem_slice(cert_pem.as_bytes()).unwrap();
    let committed = public_key(CLIENT_CERTIFICATE_KEY_PEM);
    // The certificate's SubjectPublicKeyInfo holds the modulus as a DER integer.
    let modulus = committed.n_bytes();
    assert!(
        cert.windows(modulus.len()).any(|w| w == &modulus[..]),
        "the client certificate does not carry keys/client-certificate-key.pem"
    );
}

/// Two emulators in one process sign with the same committed key but trust separate CAs, so
/// one emulator's certificate never vouches for another.
#[tokio::test]
async fn emulators_share_the_signing_key_but_not_the_ca() {
    let (a, b) = (start().await, start().await);
    assert_eq!(a.signing_kid(), b.signing_kid());
    assert_ne!(a.ca_pem(), b.ca_pem());
}
