//! Client certificates and the JWT assertions they sign (RFC 7523 client authentication).

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header, crypto::rust_crypto};
use rsa::{
    PrivateKey,
    pkcs1::{DecodeRsaPrivateKey as _, EncodeRsaPrivateKey as _},
    pkcs8::{DecodePrivateKey as _, EncodePublicKey as _},
};
use serde_json::{Map, Value, json};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};

#[cfg(feature = "pkcs12")]
use crate::CertificateError;
use crate::{Clock, Error, clock::unix_secs};

/// Lifetime of an assertion MSAL signs (MSAL Python: 10 minutes).
const ASSERTION_LIFETIME: Duration = Duration::from_secs(600);
/// An assertion is re-signed when less than this is left, so it never expires in flight.
const ASSERTION_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// An RSA private key with the certificate information Entra uses to find its public half.
///
/// - [`with_public_certificate_pem`](Self::with_public_certificate_pem): the certificate's
///   SHA-256 thumbprint is sent as `x5t#S256` and the assertion is signed PS256 (what Entra
///   recommends, and what MSAL Python does when given a public certificate);
/// - [`with_thumbprint_sha1`](Self::with_thumbprint_sha1): `x5t` (SHA-1) and RS256, the legacy
///   form AD FS requires;
/// - the chain given with the public certificate is sent as `x5c`, as MSAL Python sends it,
///   so subject-name/issuer (SNI) authentication works; [`send_x5c(false)`](Self::send_x5c)
///   leaves it out;
/// - [`with_key_id`](Self::with_key_id): a `kid` header, for providers that select keys by id.
///
/// `Debug` shows the thumbprints, never the key.
#[derive(Clone)]
pub struct Certificate {
    key: Arc<PrivateKey>,
    sha1: Option<[u8; 20]>,
    sha256: Option<[u8; 32]>,
    chain_der: Vec<Vec<u8>>,
    /// Whether to send `x5c`: `None` until the caller says, which means "yes when there is a
    /// chain" (MSAL Python's behaviour with a public certificate).
    send_x5c: Option<bool>,
    key_id: Option<String>,
    /// The leaf's expiry, to warn (once) when assertions are signed with an expired certificate:
    /// Entra then fails with AADSTS700027, which does not say why.
    not_after: Option<SystemTime>,
    expiry_warned: Arc<std::sync::atomic::AtomicBool>,
    // Signed assertions by audience, reused until shortly before they expire.
    assertions: Arc<Mutex<HashMap<String, (SystemTime, String)>>>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("x5t", &self.sha1.map(|t| b64url(&t)))
            .field("x5t#S256", &self.sha256.map(|t| b64url(&t)))
            .field("send_x5c", &self.sends_x5c())
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes every `-----BEGIN {label}-----` block of a PEM text.
pub(crate) fn pem_blocks(pem: &str, label: &str) -> Result<Vec<Vec<u8>>, Error> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(&begin) {
        let after = &rest[start + begin.len()..];
        let stop = after
            .find(&end)
            .ok_or_else(|| Error::Crypto(format!("unterminated PEM block {label}")))?;
        let b64: String = after[..stop]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| Error::Crypto(format!("invalid base64 in a PEM {label} block")))?;
        out.push(der);
        rest = &after[stop + end.len()..];
    }
    Ok(out)
}

/// Whether the DER certificate `cert` carries the public key `spki` (a DER
/// SubjectPublicKeyInfo).
fn carries_key(cert: &[u8], spki: &[u8]) -> bool {
    match super::x509::subject_public_key_info(cert) {
        Some(own) => own == spki,
        // A certificate our small DER reader does not follow: the key's encoding appears
        // verbatim in any certificate that carries it.
        None => !spki.is_empty() && cert.windows(spki.len()).any(|w| w == spki),
    }
}

/// The leaf, then its issuers as far as the file holds them (a cycle or a missing link ends
/// the chain; certificates that are not the leaf's issuers are left out).
#[cfg(feature = "pkcs12")]
fn chain_from(
    leaf: &p12_keystore::CertificateBag,
    all: &[p12_keystore::CertificateBag],
) -> Vec<Vec<u8>> {
    let mut chain = vec![leaf.cert.as_der().to_vec()];
    let mut current = &leaf.cert;
    while current.issuer() != current.subject() {
        let Some(issuer) = all.iter().map(|b| &b.cert).find(|c| {
            c.subject() == current.issuer() && !chain.iter().any(|d| d.as_slice() == c.as_der())
        }) else {
            break;
        };
        chain.push(issuer.as_der().to_vec());
        current = issuer;
    }
    chain
}

/// Maps p12-keystore's errors to ours: the passphrase-related ones apart, the rest as a
/// malformed file. Its messages hold no key material, but are not shown to keep it that way.
#[cfg(feature = "pkcs12")]
fn pkcs12_error(e: p12_keystore::error::Error) -> Error {
    use p12_keystore::error::Error as P;
    match e {
        // The MAC is keyed by the passphrase: a mismatch means the wrong one (or a damaged
        // file, which the message says too). In a MAC-less file a wrong passphrase shows as a
        // decryption (padding) failure instead.
        P::MacError(_) | P::UnpadError | P::Pkcs5Error(_) => CertificateError::WrongPassphrase,
        P::UnsupportedEncryptionScheme | P::UnsupportedMacAlgorithm => {
            CertificateError::Malformed("unsupported encryption or MAC algorithm".into())
        }
        P::InvalidParameters => CertificateError::Malformed(
            "invalid or excessive encryption parameters (iteration counts)".into(),
        ),
        _ => CertificateError::Malformed("not a PKCS#12 (.pfx) file, or a damaged one".into()),
    }
    .into()
}

impl Certificate {
    /// Reads an RSA private key: PKCS#1 (`RSA PRIVATE KEY`), PKCS#8 (`PRIVATE KEY`) or encrypted
    /// PKCS#8 (`ENCRYPTED PRIVATE KEY`, with `passphrase`).
    pub fn from_pem(private_key_pem: &str, passphrase: Option<&str>) -> Result<Self, Error> {
        let key = if private_key_pem.contains("BEGIN ENCRYPTED PRIVATE KEY") {
            let pass = passphrase.ok_or_else(|| {
                Error::Crypto("the private key is encrypted and no passphrase was given".into())
            })?;
            PrivateKey::from_pkcs8_encrypted_pem(private_key_pem, pass.as_bytes()).map_err(
                |_| {
                    Error::Crypto(
                        "cannot decrypt the private key (wrong passphrase or unsupported cipher)"
                            .into(),
                    )
                },
            )?
        } else if private_key_pem.contains("BEGIN RSA PRIVATE KEY") {
            PrivateKey::from_pkcs1_pem(private_key_pem)
                .map_err(|_| Error::Crypto("invalid PKCS#1 RSA private key".into()))?
        } else if private_key_pem.contains("BEGIN PRIVATE KEY") {
            PrivateKey::from_pkcs8_pem(private_key_pem).map_err(|_| {
                Error::Crypto("invalid PKCS#8 private key (only RSA keys are supported)".into())
            })?
        } else {
            return Err(Error::Crypto("no PEM private key found".into()));
        };
        Ok(Self::from_key(key))
    }

    /// Adds the public certificate (and chain, leaf first): its SHA-256 thumbprint is sent as
    /// `x5t#S256`, assertions are signed PS256 and carry the chain as `x5c` (unless
    /// [`send_x5c(false)`](Self::send_x5c)), as MSAL Python does with `public_certificate`.
    pub fn with_public_certificate_pem(self, chain_pem: &str) -> Result<Self, Error> {
        let chain = pem_blocks(chain_pem, "CERTIFICATE")?;
        let leaf = chain
            .first()
            .ok_or_else(|| Error::Crypto("no PEM CERTIFICATE block found".into()))?;
        // The leaf must carry our public key, or Entra would reject every assertion with an
        // opaque "invalid signature".
        if !carries_key(leaf, &self.public_key_der()?) {
            return Err(Error::Crypto(
                "the certificate does not belong to the private key (their public keys differ)"
                    .into(),
            ));
        }
        Ok(self.with_checked_chain(chain))
    }

    /// Reads a private key and its certificate chain from a PKCS#12 (`.pfx`, `.p12`) file, as
    /// MSAL Python's `private_key_pfx_path` does.
    ///
    /// `der` is the file's content; `passphrase` is the one it was exported with (`None` for a
    /// file exported with an empty one). Both the current encryption (PBES2 with AES, OpenSSL 3's
    /// and Windows' default) and the legacy one (3DES and RC2-40, `openssl pkcs12 -legacy`) are
    /// read, and the file's MAC is checked.
    ///
    /// The leaf is the certificate whose public key is the private key's; the other certificates
    /// follow it issuer by issuer. The result is what
    /// [`with_public_certificate_pem`](Self::with_public_certificate_pem) gives for that chain:
    /// PS256 assertions with `x5t#S256`, and the chain as `x5c` (as MSAL Python sends it with
    /// `public_certificate=True`; MSAL Python sends only the leaf, Entra accepts either), unless
    /// [`send_x5c(false)`](Self::send_x5c).
    ///
    /// # Errors
    ///
    /// [`Error::Certificate`] with [`CertificateError::WrongPassphrase`],
    /// [`NoPrivateKey`](CertificateError::NoPrivateKey),
    /// [`NoCertificate`](CertificateError::NoCertificate),
    /// [`KeyMismatch`](CertificateError::KeyMismatch),
    /// [`UnsupportedKey`](CertificateError::UnsupportedKey) (not RSA) or
    /// [`Malformed`](CertificateError::Malformed).
    #[cfg(feature = "pkcs12")]
    #[cfg_attr(docsrs, doc(cfg(feature = "pkcs12")))]
    pub fn from_pkcs12(der: &[u8], passphrase: Option<&str>) -> Result<Self, Error> {
        // The decrypted PKCS#8 bytes live in p12-keystore's buffers until `archive` drops, and
        // it does not zeroize them (its types keep them private); the key we keep is an
        // `rsa::PrivateKey`, which zeroizes itself. Keep `archive` local and short-lived.
        let archive = p12_keystore::Pkcs12Archive::from_pkcs12(der, passphrase.unwrap_or_default())
            .map_err(pkcs12_error)?;
        if archive.keys.is_empty() {
            return Err(CertificateError::NoPrivateKey.into());
        }
        if archive.certs.is_empty() {
            return Err(CertificateError::NoCertificate.into());
        }
        let mut last_error = CertificateError::KeyMismatch;
        // A file may hold several keys (rare); the first one with a certificate wins.
        for bag in &archive.keys {
            let key = match PrivateKey::from_pkcs8_der(bag.key.as_der()) {
                Ok(key) => key,
                Err(_) => {
                    last_error = CertificateError::UnsupportedKey(
                        "only RSA keys are supported, as Entra client assertions are RSA-signed"
                            .into(),
                    );
                    continue;
                }
            };
            let cert = Self::from_key(key);
            let spki = cert.public_key_der()?;
            let Some(leaf) = archive
                .certs
                .iter()
                .find(|c| carries_key(c.cert.as_der(), &spki))
            else {
                continue;
            };
            let chain = chain_from(leaf, &archive.certs);
            return Ok(cert.with_checked_chain(chain));
        }
        Err(last_error.into())
    }

    fn from_key(key: PrivateKey) -> Self {
        Self {
            key: Arc::new(key),
            sha1: None,
            sha256: None,
            chain_der: Vec::new(),
            send_x5c: None,
            key_id: None,
            not_after: None,
            expiry_warned: Arc::default(),
            assertions: Arc::default(),
        }
    }

    /// The public key as a DER SubjectPublicKeyInfo, as certificates carry it.
    fn public_key_der(&self) -> Result<Vec<u8>, Error> {
        Ok(self
            .key
            .to_public_key()
            .to_public_key_der()
            .map_err(|_| Error::Crypto("cannot encode the public key".into()))?
            .as_bytes()
            .to_vec())
    }

    /// Takes `chain` (leaf first, the leaf already known to carry our key).
    fn with_checked_chain(mut self, chain: Vec<Vec<u8>>) -> Self {
        if let Some(leaf) = chain.first() {
            self.sha256 = Some(Sha256::digest(leaf).into());
            if self.sha1.is_none() {
                self.sha1 = Some(Sha1::digest(leaf).into());
            }
            self.not_after = super::x509::not_after(leaf);
        }
        self.chain_der = chain;
        self.assertions = Arc::default();
        self
    }

    /// Uses a SHA-1 thumbprint (40 hex digits): `x5t` and RS256, the legacy form.
    pub fn with_thumbprint_sha1(mut self, hex: &str) -> Result<Self, Error> {
        let pin = crate::http::PinnedServerCertificate::from_hex(hex)
            .ok_or_else(|| Error::Crypto("a SHA-1 thumbprint is 40 hexadecimal digits".into()))?;
        self.sha1 = Some(pin.sha1);
        self.sha256 = None;
        self.assertions = Arc::default();
        Ok(self)
    }

    /// Whether assertions carry the certificate chain (`x5c`).
    ///
    /// On by default once a chain is known ([`with_public_certificate_pem`](Self::with_public_certificate_pem)
    /// or [`from_pkcs12`](Self::from_pkcs12)), as MSAL Python sends it: subject-name/issuer
    /// (SNI) authentication needs it, and without it Entra fails with an AADSTS700027 that does
    /// not say why. `send_x5c(false)` leaves the chain out (smaller requests for an app
    /// registered with the certificate itself), whichever order the calls come in. Without a
    /// chain (a SHA-1 thumbprint or a key id only) there is nothing to send.
    pub fn send_x5c(mut self, yes: bool) -> Self {
        self.send_x5c = Some(yes);
        self.assertions = Arc::default(); // cached assertions were signed with the old header
        self
    }

    /// Sets the assertion's `kid` header.
    pub fn with_key_id(mut self, kid: impl Into<String>) -> Self {
        self.key_id = Some(kid.into());
        self.assertions = Arc::default();
        self
    }

    fn sends_x5c(&self) -> bool {
        self.send_x5c.unwrap_or(true) && !self.chain_der.is_empty()
    }

    /// The JOSE header for this certificate (`force_sha1` for AD FS, which only knows `x5t`).
    fn header(&self, force_sha1: bool) -> Result<Header, Error> {
        let use_pss = self.sha256.is_some() && !force_sha1;
        let mut h = Header::new(if use_pss {
            Algorithm::PS256
        } else {
            Algorithm::RS256
        });
        h.typ = Some("JWT".into());
        match (use_pss, self.sha256, self.sha1) {
            (true, Some(t), _) => h.x5t_s256 = Some(b64url(&t)),
            (_, _, Some(t)) => h.x5t = Some(b64url(&t)),
            _ if self.key_id.is_some() => {}
            _ => {
                return Err(Error::Configuration(
                    "a certificate credential needs a public certificate, a SHA-1 thumbprint or a key id".into(),
                ));
            }
        }
        h.kid.clone_from(&self.key_id);
        if self.sends_x5c() {
            let chain = self
                .chain_der
                .iter()
                .map(|d| base64::engine::general_purpose::STANDARD.encode(d))
                .collect();
            h.x5c = Some(chain);
        }
        Ok(h)
    }

    /// A client assertion for `audience` (the token endpoint), reused while it has more than a
    /// minute left.
    pub fn assertion(
        &self,
        client_id: &str,
        audience: &str,
        extra_claims: Option<&Map<String, Value>>,
        clock: &dyn Clock,
        force_sha1: bool,
    ) -> Result<String, Error> {
        let now = clock.now();
        if self.not_after.is_some_and(|t| t < now)
            && !self
                .expiry_warned
                .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            tracing::warn!(target: "msal::credential", "the client certificate has expired; Entra will refuse its assertions");
        }
        let cache_key = format!("{audience}|{force_sha1}");
        let mut cache = self.assertions.lock().unwrap_or_else(|p| p.into_inner());
        if extra_claims.is_none()
            && let Some((expires, jwt)) = cache.get(&cache_key)
            && *expires > now + ASSERTION_REFRESH_MARGIN
        {
            return Ok(jwt.clone());
        }
        let iat = unix_secs(now);
        let exp = iat + ASSERTION_LIFETIME.as_secs();
        let mut claims = Map::new();
        claims.insert("aud".into(), json!(audience));
        claims.insert("exp".into(), json!(exp));
        claims.insert("iat".into(), json!(iat));
        claims.insert("iss".into(), json!(client_id));
        claims.insert(
            "jti".into(),
            json!(crate::token_endpoint::new_correlation_id()),
        );
        claims.insert("sub".into(), json!(client_id));
        if let Some(extra) = extra_claims {
            for (k, v) in extra {
                claims.insert(k.clone(), v.clone());
            }
        }
        let header = self.header(force_sha1)?;
        let jwt = self.sign_jwt(&header, &claims)?;
        if extra_claims.is_none() {
            cache.insert(cache_key, (now + ASSERTION_LIFETIME, jwt.clone()));
        }
        Ok(jwt)
    }

    /// Signs with jsonwebtoken's RustCrypto provider, named here rather than taken from the
    /// process default: that default panics when a build turns on both of jsonwebtoken's
    /// backends, which another crate of the application may do.
    fn sign_jwt(&self, header: &Header, claims: &Map<String, Value>) -> Result<String, Error> {
        let signing_input = format!("{}.{}", b64url_json(header)?, b64url_json(claims)?);
        let der = self
            .key
            .to_pkcs1_der()
            .map_err(|_| Error::Crypto("cannot encode the certificate's private key".into()))?;
        let key = EncodingKey::from_rsa_der(der.as_bytes());
        let signer = (rust_crypto::DEFAULT_PROVIDER.signer_factory)(&header.alg, &key)
            // jsonwebtoken's error is dropped, as the key parsers' are: it may describe the key.
            .map_err(|_| Error::Crypto(format!("cannot sign with the {:?} key", header.alg)))?;
        let signature = signer
            .try_sign(signing_input.as_bytes())
            .map_err(|_| Error::Crypto(format!("{:?} signing failed", header.alg)))?;
        Ok(format!("{signing_input}.{}", b64url(&signature)))
    }
}

/// A JWT part: the value's JSON, base64url-encoded.
fn b64url_json(value: &impl serde::Serialize) -> Result<String, Error> {
    serde_json::to_string(value)
        .map(|json| b64url(json.as_bytes()))
        .map_err(|_| Error::Crypto("cannot encode the client assertion".into()))
}
