//! `PopKey`: the key a PoP token is bound to, and `PopSigner` for keys held elsewhere.

use std::{fmt, sync::Arc};

use jsonwebtoken::{Algorithm, EncodingKey, crypto::rust_crypto};
use msal_core::{Error, Result, http::BoxError};
use p256::{
    elliptic_curve::Generate as _,
    pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _},
};
use rsa::{pkcs1::EncodeRsaPrivateKey as _, traits::PublicKeyParts as _};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use crate::b64url;

/// RSA PoP keys are RSA-2048, as MSAL.NET and MSAL.js create them.
const RSA_BITS: usize = 2048;

/// JWK members that hold private key material (RFC 7518 §6.2.2, §6.3.2, §6.4). They are
/// stripped from an external signer's public JWK, because that JWK is sent in every SHR.
const PRIVATE_JWK_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// A signing key held outside this crate: an HSM, a platform key store, a remote signer.
///
/// [`PopKey::with_signer`] wraps it; the key's `kid` is the RFC 7638 thumbprint of
/// [`public_jwk`](PopSigner::public_jwk).
///
/// ```
/// use msal_pop::{BoxError, PopKey, PopSigner};
///
/// /// Delegates to another `PopKey`, standing in for an HSM client.
/// #[derive(Debug)]
/// struct Hsm(PopKey);
///
/// impl PopSigner for Hsm {
///     fn alg(&self) -> &str {
///         "ES256"
///     }
///     fn public_jwk(&self) -> serde_json::Value {
///         self.0.jwk()
///     }
///     fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, BoxError> {
///         Ok(self.0.sign(msg)?)
///     }
/// }
///
/// let inner = PopKey::generate_es256()?;
/// let key = PopKey::with_signer(Hsm(inner.clone()));
/// assert_eq!(key.kid(), inner.kid());
/// assert_eq!(key.alg(), "ES256");
/// # Ok::<(), msal_core::Error>(())
/// ```
pub trait PopSigner: Send + Sync + fmt::Debug {
    /// The JWS algorithm of [`sign`](PopSigner::sign): `ES256`, `RS256`, `PS256`, ...
    fn alg(&self) -> &str;

    /// The public key as a JWK (`{"kty":"EC","crv":"P-256","x":…,"y":…}` or
    /// `{"kty":"RSA","n":…,"e":…}`). Private members, if any, are removed before use.
    fn public_jwk(&self) -> Value;

    /// Signs `msg` (the JWS signing input) and returns the JWS signature bytes: for ES256 the
    /// 64-byte `r || s` (an ASN.1 DER signature is also accepted and converted).
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, BoxError>;
}

/// The key a Proof-of-Possession token is bound to.
///
/// Cloning is cheap (an `Arc`) and clones are the same key. `Debug` shows only the algorithm and
/// the `kid`; private key material never appears in `Debug`, `Display` or error messages.
///
/// ES256 (P-256) is the recommended key: generating it takes microseconds, its signature adds
/// 64 bytes to each SHR, and its JWK is short. RS256 (RSA-2048) exists for resources that only
/// accept RSA; generating one takes noticeably longer, so create it once and reuse it.
///
/// ```
/// use msal_pop::PopKey;
///
/// let key = PopKey::generate_es256()?;
/// assert_eq!(key.alg(), "ES256");
/// assert_eq!(key.kid().len(), 43); // base64url of a SHA-256 digest
/// assert_eq!(key.jwk()["crv"], "P-256");
/// assert_eq!(key.sign(b"message")?.len(), 64); // JOSE r || s, not DER
/// assert_eq!(format!("{key:?}"), format!("PopKey {{ alg: \"ES256\", kid: {:?} }}", key.kid()));
/// # Ok::<(), msal_core::Error>(())
/// ```
#[derive(Clone)]
pub struct PopKey {
    inner: Arc<Inner>,
}

struct Inner {
    alg: String,
    kid: String,
    jwk: Value,
    signer: KeySigner,
}

enum KeySigner {
    /// A key of ours, signed with through jsonwebtoken's RustCrypto provider: the key as DER
    /// (PKCS#8 for P-256, PKCS#1 for RSA), which is how jsonwebtoken takes keys.
    Own(Algorithm, EncodingKey),
    External(Box<dyn PopSigner>),
}

impl fmt::Debug for PopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PopKey")
            .field("alg", &self.inner.alg)
            .field("kid", &self.inner.kid)
            .finish()
    }
}

impl PopKey {
    /// A new random P-256 key (ES256), the default for PoP.
    ///
    /// Fails only if the operating system's random number generator fails.
    pub fn generate_es256() -> Result<Self> {
        let key = p256::ecdsa::SigningKey::try_generate()
            .map_err(|_| Error::Crypto("the system random number generator failed".into()))?;
        Ok(Self::from_p256(key))
    }

    /// A new random RSA-2048 key (RS256).
    ///
    /// Much slower than [`generate_es256`](Self::generate_es256) (tens to hundreds of
    /// milliseconds in release builds), so generate it once per application.
    pub fn generate_rs256() -> Result<Self> {
        let key = rsa::PrivateKey::new(&mut rand::rngs::SysRng, RSA_BITS)
            .map_err(|_| Error::Crypto("RSA key generation failed".into()))?;
        Ok(Self::from_rsa(key))
    }

    /// Loads an unencrypted PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`): an EC
    /// P-256 key (ES256) or an RSA key of at least 2048 bits (RS256).
    ///
    /// ```
    /// use msal_pop::PopKey;
    ///
    /// let pem = "-----BEGIN PRIVATE KEY-----
    /// MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg39eauKdNSCYqev3R
    /// uodSl8RblXZf2jhEiI+ABvByIxihRANCAATm9vEcP6fIkKazqCe6TXjt015gUlXD
    /// FKoCPJ8bIDd3A/GG5cRnJh21IAAlGBIYpKqgOEgvipRFPaQJsArEaGUR
    /// -----END PRIVATE KEY-----";
    /// let key = PopKey::from_pkcs8_pem(pem)?;
    /// assert_eq!(key.alg(), "ES256");
    /// assert!(PopKey::from_pkcs8_pem("not a key").is_err());
    /// # Ok::<(), msal_core::Error>(())
    /// ```
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self> {
        // The parsers' own errors are dropped: they are generic, and must never carry key bytes.
        if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_pem(pem) {
            return Ok(Self::from_p256(key));
        }
        if let Ok(key) = rsa::PrivateKey::from_pkcs8_pem(pem) {
            if key.size() * 8 < RSA_BITS {
                return Err(Error::Crypto(format!(
                    "the RSA PoP key has {} bits; at least {RSA_BITS} are required",
                    key.size() * 8
                )));
            }
            return Ok(Self::from_rsa(key));
        }
        let hint = if pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY")
        {
            " (this is a PKCS#1/SEC1 key; convert it with `openssl pkcs8 -topk8 -nocrypt`)"
        } else if pem.contains("BEGIN ENCRYPTED PRIVATE KEY") {
            " (encrypted keys are not supported; decrypt it first)"
        } else {
            ""
        };
        Err(Error::Crypto(format!(
            "not an unencrypted PKCS#8 PEM EC P-256 or RSA (>= {RSA_BITS} bits) private key{hint}"
        )))
    }

    /// A key whose private half lives elsewhere (an HSM, a key vault): see [`PopSigner`].
    ///
    /// Private JWK members (`d`, `p`, `q`, ...) returned by a careless signer are removed, so
    /// they never reach the SHR's `cnf.jwk`.
    pub fn with_signer(signer: impl PopSigner + 'static) -> Self {
        let mut jwk = signer.public_jwk();
        if let Value::Object(map) = &mut jwk {
            for member in PRIVATE_JWK_MEMBERS {
                map.remove(member);
            }
        }
        Self::build(
            signer.alg().to_owned(),
            jwk,
            KeySigner::External(Box::new(signer)),
        )
    }

    fn from_p256(key: p256::ecdsa::SigningKey) -> Self {
        let point = key.verifying_key().to_sec1_point(false);
        // An uncompressed point of a valid key always has both coordinates; the fallback is
        // unreachable but keeps this path free of panics.
        let coord = |c: Option<&[u8]>| b64url(c.unwrap_or_default());
        let jwk = json!({
            "crv": "P-256",
            "kty": "EC",
            "x": coord(point.x().map(|x| x.as_slice())),
            "y": coord(point.y().map(|y| y.as_slice())),
        });
        // A P-256 key always encodes; the empty fallback is unreachable but fails closed (a
        // signature with it is an error), keeping this path free of panics.
        let der = key
            .to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default();
        let signer = KeySigner::Own(Algorithm::ES256, EncodingKey::from_ec_der(&der));
        Self::build("ES256".into(), jwk, signer)
    }

    fn from_rsa(key: rsa::PrivateKey) -> Self {
        let jwk = json!({
            "e": b64url(&key.e_bytes()),
            "kty": "RSA",
            "n": b64url(&key.n_bytes()),
        });
        // As above: an RSA key always encodes, and an empty key fails closed.
        let der = key
            .to_pkcs1_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default();
        let signer = KeySigner::Own(Algorithm::RS256, EncodingKey::from_rsa_der(&der));
        Self::build("RS256".into(), jwk, signer)
    }

    fn build(alg: String, jwk: Value, signer: KeySigner) -> Self {
        let kid = jwk_thumbprint(&jwk);
        Self {
            inner: Arc::new(Inner {
                alg,
                kid,
                jwk,
                signer,
            }),
        }
    }

    /// The key id: the RFC 7638 JWK thumbprint (SHA-256, base64url without padding) of the
    /// public key. It is what ESTS puts in the access token's `cnf.kid` and the SHR's `kid`.
    pub fn kid(&self) -> &str {
        &self.inner.kid
    }

    /// The public key as a JWK, with only the members RFC 7638 requires (`crv`, `kty`, `x`, `y`
    /// for EC; `e`, `kty`, `n` for RSA): the SHR's `cnf.jwk`.
    pub fn jwk(&self) -> Value {
        self.inner.jwk.clone()
    }

    /// The JWS algorithm: `ES256`, `RS256`, or an external signer's [`PopSigner::alg`].
    pub fn alg(&self) -> &str {
        &self.inner.alg
    }

    /// The `req_cnf` token-request parameter: base64url(`{"kid":"<kid>","xms_ksl":"sw"}`).
    ///
    /// `xms_ksl` ("key storage location") is `sw` as MSAL.js sends for software keys.
    ///
    /// ```
    /// use base64::Engine as _;
    /// use msal_pop::PopKey;
    ///
    /// let key = PopKey::generate_es256()?;
    /// let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(key.req_cnf()).unwrap();
    /// assert_eq!(json, format!(r#"{{"kid":"{}","xms_ksl":"sw"}}"#, key.kid()).into_bytes());
    /// # Ok::<(), msal_core::Error>(())
    /// ```
    pub fn req_cnf(&self) -> String {
        // serde_json's default map is ordered, so the JSON is byte-for-byte deterministic.
        b64url(
            json!({"kid": self.inner.kid, "xms_ksl": "sw"})
                .to_string()
                .as_bytes(),
        )
    }

    /// Signs `msg` with the key's algorithm and returns the JWS signature bytes. ES256
    /// signatures are the 64-byte JOSE form `r || s` (RFC 7518 §3.4), not ASN.1 DER.
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>> {
        match &self.inner.signer {
            KeySigner::Own(alg, key) => {
                // The provider is named rather than taken from jsonwebtoken's process default,
                // which panics when a build turns on both of its backends.
                let failed = || Error::Crypto(format!("{alg:?} signing failed"));
                let signer = (rust_crypto::DEFAULT_PROVIDER.signer_factory)(alg, key)
                    .map_err(|_| failed())?;
                signer.try_sign(msg).map_err(|_| failed())
            }
            KeySigner::External(s) => {
                let sig = s
                    .sign(msg)
                    .map_err(|e| Error::Crypto(format!("the external PoP signer failed: {e}")))?;
                Ok(jose_signature(&self.inner.alg, sig))
            }
        }
    }
}

/// HSM and platform APIs usually return ECDSA signatures as ASN.1 DER, which a JWS verifier
/// rejects; convert those to the fixed-size `r || s` that JOSE requires.
fn jose_signature(alg: &str, sig: Vec<u8>) -> Vec<u8> {
    if alg == "ES256"
        && sig.len() != 64
        && let Ok(s) = p256::ecdsa::Signature::from_der(&sig)
    {
        return s.to_bytes().to_vec();
    }
    sig
}

/// RFC 7638 JWK thumbprint: SHA-256 over the JSON object of the key type's required members,
/// in lexicographic order and without whitespace, then base64url.
///
/// For a key type this function does not know (or a JWK missing a required member, which only
/// an external signer can produce) it hashes the whole JWK, still canonical because
/// `serde_json::Map` keeps its keys sorted; the `kid` is then stable but not RFC 7638's.
pub(crate) fn jwk_thumbprint(jwk: &Value) -> String {
    let required: &[&str] = match jwk.get("kty").and_then(Value::as_str) {
        Some("EC") => &["crv", "kty", "x", "y"],
        Some("RSA") => &["e", "kty", "n"],
        Some("OKP") => &["crv", "kty", "x"],
        Some("oct") => &["k", "kty"],
        _ => &[],
    };
    let canonical = if !required.is_empty() && required.iter().all(|m| jwk.get(m).is_some()) {
        let map: Map<String, Value> = required
            .iter()
            .filter_map(|m| jwk.get(m).map(|v| ((*m).to_owned(), v.clone())))
            .collect();
        Value::Object(map).to_string()
    } else {
        jwk.to_string()
    };
    b64url(&Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1.
    #[test]
    fn rfc7638_example_thumbprint() {
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            jwk_thumbprint(&jwk),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn unknown_key_types_still_get_a_stable_kid() {
        let a = jwk_thumbprint(&json!({"kty": "XYZ", "v": 1}));
        assert_eq!(a, jwk_thumbprint(&json!({"v": 1, "kty": "XYZ"})));
        assert_eq!(a.len(), 43);
    }

    #[test]
    fn der_es256_signatures_from_external_signers_become_jose() {
        let raw = [7u8; 64];
        let Ok(sig) = p256::ecdsa::Signature::from_slice(&raw) else {
            return;
        };
        let der = sig.to_der().as_bytes().to_vec();
        assert_eq!(jose_signature("ES256", der), raw.to_vec());
        assert_eq!(jose_signature("RS256", vec![1, 2, 3]), vec![1, 2, 3]);
    }
}
