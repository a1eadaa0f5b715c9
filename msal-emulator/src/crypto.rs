//! Key material: the token-signing key, the confidential client's certificate, the private CA
//! behind the https listener, and the Service Fabric listener's self-signed certificate.
//!
//! The two RSA-2048 keys are fixed throwaway test keys committed under `keys/` and compiled in:
//! generating RSA keys takes seconds in a debug build of an app that does not optimise the `rsa`
//! and `crypto-bigint` crates, and an emulator should start at once anywhere. They are parsed
//! once per process ([`OnceLock`]). The ECDSA CA and server certificates stay fresh per
//! emulator: ring makes them in well under a millisecond, and a fresh CA keeps one emulator's
//! trust from vouching for another's.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey, PublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::error::EmulatorError;

/// Encodes bytes as base64url without padding (JWT style).
pub(crate) fn b64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url with or without padding (MSAL Python pads `x5t`).
pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()
        .or_else(|| URL_SAFE.decode(text).ok())
}

/// Hex of SHA-1 (lower case).
pub(crate) fn sha1_hex(bytes: &[u8]) -> String {
    hex(&Sha1::digest(bytes))
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Random URL-safe text with `bytes` bytes of entropy.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf[..]);
    b64url(buf)
}

/// The token-signing key (PKCS#8 PEM): a throwaway test key, see `keys/README.md`.
pub(crate) const TOKEN_SIGNING_KEY_PEM: &str = include_str!("../keys/token-signing-key.pem");

/// The confidential client's certificate key (PKCS#8 PEM): a throwaway test key, see
/// `keys/README.md`.
pub(crate) const CLIENT_CERTIFICATE_KEY_PEM: &str =
    include_str!("../keys/client-certificate-key.pem");

/// The two process-wide RSA keys.
struct RsaKeys {
    signing: PrivateKey,
    client: PrivateKey,
}

static RSA_KEYS: OnceLock<Result<RsaKeys, String>> = OnceLock::new();

fn rsa_keys() -> Result<&'static RsaKeys, EmulatorError> {
    RSA_KEYS
        .get_or_init(|| {
            Ok(RsaKeys {
                signing: parse_key("token-signing-key.pem", TOKEN_SIGNING_KEY_PEM)?,
                client: parse_key("client-certificate-key.pem", CLIENT_CERTIFICATE_KEY_PEM)?,
            })
        })
        .as_ref()
        .map_err(|e| EmulatorError::Crypto(e.clone()))
}

/// Parses one of the embedded keys; an error names the file, since only a broken edit of
/// `keys/` can cause one.
fn parse_key(file: &str, pem: &str) -> Result<PrivateKey, String> {
    <PrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_pem(pem)
        .map_err(|e| format!("the embedded test key keys/{file} is not a PKCS#8 RSA key: {e}"))
}

/// Parses the process-wide RSA keys now, so a broken key fails [`Emulator::start`] rather than
/// the first request.
///
/// [`Emulator::start`]: crate::Emulator::start
pub(crate) fn warm_up() -> Result<(), EmulatorError> {
    rsa_keys().map(|_| ())
}

/// Signs and verifies the emulator's own tokens.
#[derive(Debug, Clone)]
pub(crate) struct TokenSigner {
    key: &'static PrivateKey,
    kid: String,
}

impl TokenSigner {
    pub(crate) fn new() -> Result<Self, EmulatorError> {
        let key = &rsa_keys()?.signing;
        let kid = jwk_thumbprint(key.as_ref());
        Ok(Self { key, kid })
    }

    /// The `kid` of the signing key (its RFC 7638 thumbprint).
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWKS document of the signing key.
    pub(crate) fn jwks(&self) -> serde_json::Value {
        let public = self.key.to_public_key();
        serde_json::json!({
            "keys": [{
                "kty": "RSA",
                "use": "sig",
                "alg": "RS256",
                "kid": self.kid,
                "n": b64url(public.n_bytes()),
                "e": b64url(public.e_bytes()),
            }]
        })
    }

    /// Builds an RS256 JWT over `claims`.
    pub(crate) fn sign(&self, claims: &serde_json::Value) -> Result<String, String> {
        let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": self.kid});
        let input = format!(
            "{}.{}",
            b64url(header.to_string()),
            b64url(claims.to_string())
        );
        let sig = self
            .key
            .pkcs1v15_sign::<Sha256>(input.as_bytes())
            .map_err(|e| e.to_string())?;
        Ok(format!("{input}.{}", b64url(sig)))
    }

    /// Verifies a token this emulator signed and returns its payload.
    pub(crate) fn verify(&self, token: &str) -> Option<serde_json::Value> {
        let jwt = DecodedJwt::parse(token)?;
        if jwt.header.get("kid").and_then(|k| k.as_str()) != Some(self.kid.as_str()) {
            return None;
        }
        self.key
            .as_ref()
            .pkcs1v15_verify::<Sha256>(jwt.signing_input.as_bytes(), &jwt.signature)
            .ok()?;
        Some(jwt.payload)
    }
}

/// RFC 7638 thumbprint of an RSA public key, base64url.
fn jwk_thumbprint(key: &PublicKey) -> String {
    let canonical = format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        b64url(key.e_bytes()),
        b64url(key.n_bytes())
    );
    b64url(Sha256::digest(canonical.as_bytes()))
}

/// A JWT split into its parts, signature not yet checked.
#[derive(Debug)]
pub(crate) struct DecodedJwt {
    pub(crate) header: serde_json::Value,
    pub(crate) payload: serde_json::Value,
    pub(crate) signing_input: String,
    pub(crate) signature: Vec<u8>,
}

impl DecodedJwt {
    pub(crate) fn parse(token: &str) -> Option<Self> {
        let mut parts = token.split('.');
        let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            header: serde_json::from_slice(&b64url_decode(h)?).ok()?,
            payload: serde_json::from_slice(&b64url_decode(p)?).ok()?,
            signing_input: format!("{h}.{p}"),
            signature: b64url_decode(s)?,
        })
    }
}

/// A certificate registered for a confidential client.
#[derive(Debug, Clone)]
pub(crate) struct RegisteredCert {
    pub(crate) sha1: Vec<u8>,
    pub(crate) sha256: Vec<u8>,
    pub(crate) public_key: PublicKey,
}

impl RegisteredCert {
    /// From a DER certificate holding an RSA key.
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, EmulatorError> {
        let spki = der::spki_of_certificate(der)
            .ok_or_else(|| EmulatorError::Config("certificate is not valid DER".into()))?;
        let public_key = <PublicKey as rsa::pkcs8::DecodePublicKey>::from_public_key_der(spki)
            .map_err(|e| EmulatorError::Config(format!("certificate key is not RSA: {e}")))?;
        Ok(Self {
            sha1: Sha1::digest(der).to_vec(),
            sha256: Sha256::digest(der).to_vec(),
            public_key,
        })
    }

    /// From a PEM certificate.
    pub(crate) fn from_pem(pem: &str) -> Result<Self, EmulatorError> {
        let der = pem_to_der(pem)
            .ok_or_else(|| EmulatorError::Config("certificate PEM has no CERTIFICATE".into()))?;
        Self::from_der(&der)
    }

    /// Verifies an RS256 or PS256 signature by this certificate's key.
    pub(crate) fn verify(&self, alg: &str, input: &[u8], sig: &[u8]) -> bool {
        match alg {
            "RS256" => self
                .public_key
                .pkcs1v15_verify::<Sha256>(input, sig)
                .is_ok(),
            "PS256" => self.public_key.pss_verify::<Sha256>(input, sig).is_ok(),
            _ => false,
        }
    }
}

/// The DER of the first `CERTIFICATE` block of a PEM text.
pub(crate) fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let start = pem.find("-----BEGIN CERTIFICATE-----")? + "-----BEGIN CERTIFICATE-----".len();
    let end = start + pem[start..].find("-----END CERTIFICATE-----")?;
    let body: String = pem[start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(body).ok()
}

/// Just enough DER to find a certificate's SubjectPublicKeyInfo.
mod der {
    /// One DER element.
    struct Tlv<'a> {
        whole: &'a [u8],
        content: &'a [u8],
        rest: &'a [u8],
    }

    /// Splits one element off `input`.
    fn tlv(input: &[u8]) -> Option<Tlv<'_>> {
        let first = *input.get(1)?;
        let (len, header) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return None;
            }
            let mut len = 0usize;
            for b in input.get(2..2 + n)? {
                len = (len << 8) | usize::from(*b);
            }
            (len, 2 + n)
        };
        let end = header.checked_add(len)?;
        Some(Tlv {
            whole: input.get(..end)?,
            content: input.get(header..end)?,
            rest: input.get(end..)?,
        })
    }

    /// The SubjectPublicKeyInfo TLV of an X.509 certificate.
    pub(super) fn spki_of_certificate(cert: &[u8]) -> Option<&[u8]> {
        let tbs = tlv(tlv(cert)?.content)?.content;
        let mut rest = tbs;
        // Skip the optional explicit [0] version.
        if rest.first() == Some(&0xa0) {
            rest = tlv(rest)?.rest;
        }
        // serial, signature algorithm, issuer, validity, subject.
        for _ in 0..5 {
            rest = tlv(rest)?.rest;
        }
        Some(tlv(rest)?.whole)
    }
}

/// PEM and DER of the emulator's certificates, generated at start.
#[derive(Debug, Clone)]
pub(crate) struct Certificates {
    pub(crate) ca_pem: String,
    pub(crate) server_chain: Vec<Vec<u8>>,
    pub(crate) server_key_der: Vec<u8>,
    pub(crate) client_cert_pem: String,
    pub(crate) client_key_pem: String,
    pub(crate) client_cert: RegisteredCert,
    pub(crate) sf_cert_der: Vec<u8>,
    pub(crate) sf_key_der: Vec<u8>,
}

impl Certificates {
    /// A fresh CA, a server certificate for `names`, the client certificate (process-wide RSA
    /// key, fresh certificate) and the Service Fabric self-signed certificate.
    pub(crate) fn generate(names: &[String]) -> Result<Self, EmulatorError> {
        let err = |e: rcgen::Error| EmulatorError::Crypto(e.to_string());
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name = dn("msal-emulator test CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = rcgen::KeyPair::generate().map_err(err)?;
        let ca_cert = ca_params.self_signed(&ca_key).map_err(err)?;
        let issuer = rcgen::Issuer::new(ca_params, ca_key);

        let mut server_params = rcgen::CertificateParams::new(names.to_vec()).map_err(err)?;
        server_params.distinguished_name = dn("msal-emulator");
        server_params.use_authority_key_identifier_extension = true;
        server_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = rcgen::KeyPair::generate().map_err(err)?;
        let server_cert = server_params.signed_by(&server_key, &issuer).map_err(err)?;

        let client_rsa = &rsa_keys()?.client;
        let pkcs1 = rsa::pkcs1::EncodeRsaPublicKey::to_pkcs1_der(client_rsa.as_ref())
            .map_err(|e| EmulatorError::Crypto(e.to_string()))?;
        let client_public = RsaPublicKeyData(pkcs1.as_bytes().to_vec());
        let mut client_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        client_params.distinguished_name = dn("msal-emulator confidential client");
        client_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let client_cert = client_params
            .signed_by(&client_public, &issuer)
            .map_err(err)?;
        // The committed file as is: the same text a test can compare with or save to disk.
        let client_key_pem = CLIENT_CERTIFICATE_KEY_PEM.to_owned();

        let mut sf_params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .map_err(err)?;
        sf_params.distinguished_name = dn("msal-emulator service fabric");
        let sf_key = rcgen::KeyPair::generate().map_err(err)?;
        let sf_cert = sf_params.self_signed(&sf_key).map_err(err)?;

        Ok(Self {
            ca_pem: ca_cert.pem(),
            server_chain: vec![server_cert.der().to_vec(), ca_cert.der().to_vec()],
            server_key_der: server_key.serialize_der(),
            client_cert_pem: client_cert.pem(),
            client_key_pem,
            client_cert: RegisteredCert::from_der(client_cert.der())?,
            sf_cert_der: sf_cert.der().to_vec(),
            sf_key_der: sf_key.serialize_der(),
        })
    }
}

/// An RSA public key in the form rcgen embeds in a certificate (rcgen itself can only parse
/// one with its `x509-parser` feature).
struct RsaPublicKeyData(Vec<u8>);

impl rcgen::PublicKeyData for RsaPublicKeyData {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

fn dn(common_name: &str) -> rcgen::DistinguishedName {
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, common_name);
    dn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_accepts_padding() {
        assert_eq!(b64url_decode("YQ=="), Some(b"a".to_vec()));
        assert_eq!(b64url_decode("YQ"), Some(b"a".to_vec()));
        assert_eq!(b64url(b"a"), "YQ");
    }

    #[test]
    fn signer_round_trip_and_tamper() {
        let signer = TokenSigner::new().unwrap();
        let token = signer.sign(&serde_json::json!({"a": 1})).unwrap();
        assert_eq!(signer.verify(&token).unwrap()["a"], 1);
        let mut tampered = token.clone();
        tampered.insert(token.find('.').unwrap() + 2, 'x');
        assert!(signer.verify(&tampered).is_none());
    }

    #[test]
    fn client_certificate_key_is_found_in_der() {
        let certs = Certificates::generate(&["127.0.0.1".to_owned()]).unwrap();
        let reg = RegisteredCert::from_pem(&certs.client_cert_pem).unwrap();
        assert_eq!(reg.sha1, certs.client_cert.sha1);
        assert_eq!(reg.public_key, rsa_keys().unwrap().client.to_public_key());
    }
}
