//! Certificates for the test server, generated fresh for every check.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha1::{Digest, Sha1};

/// The made-up host name the server certificates are also issued for, so
/// `resolve(MADE_UP_HOST, addr)` can be tested without DNS.
pub const MADE_UP_HOST: &str = "msal-conformance.test";

/// A server identity: certificate chain and private key.
#[derive(Debug)]
pub struct ServerIdentity {
    /// Leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// PKCS#8 private key of the leaf.
    pub key: PrivateKeyDer<'static>,
}

impl ServerIdentity {
    /// The SHA-1 thumbprint of the leaf's DER.
    pub fn leaf_sha1(&self) -> [u8; 20] {
        self.chain
            .first()
            .map(|leaf| Sha1::digest(leaf.as_ref()).into())
            .unwrap_or_default()
    }
}

/// A certificate authority with a PEM the client can trust.
#[derive(Debug)]
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    /// A new self-signed CA named `name`.
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("CA key");
        let issuer = CertifiedIssuer::self_signed(params, key).expect("CA certificate");
        Self { issuer }
    }

    /// The CA certificate as PEM, for `add_root_certificate_pem`.
    pub fn pem(&self) -> Vec<u8> {
        self.issuer.pem().into_bytes()
    }

    /// A server certificate for `localhost`, `127.0.0.1` and [`MADE_UP_HOST`], issued by this CA.
    pub fn server_identity(&self) -> ServerIdentity {
        let params = CertificateParams::new(server_names()).expect("leaf params");
        let key = KeyPair::generate().expect("leaf key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        ServerIdentity {
            chain: vec![cert.der().clone()],
            key: private_key(&key),
        }
    }
}

/// A self-signed server certificate, as Service Fabric presents (pinning tests).
pub fn self_signed_identity() -> ServerIdentity {
    let params = CertificateParams::new(server_names()).expect("self-signed params");
    let key = KeyPair::generate().expect("self-signed key");
    let cert = params.self_signed(&key).expect("self-signed certificate");
    ServerIdentity {
        chain: vec![cert.der().clone()],
        key: private_key(&key),
    }
}

fn server_names() -> Vec<String> {
    vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        MADE_UP_HOST.to_owned(),
    ]
}

fn private_key(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}
