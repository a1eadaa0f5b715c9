//! The sealed cache file: the serialized cache encrypted and authenticated with
//! XChaCha20-Poly1305 (RFC 8439's AEAD with the extended 24-byte nonce of
//! draft-irtf-cfrg-xchacha), under a 256-bit key that never touches the disk.
//!
//! ```text
//! magic "MSALSC01" (8) | key id (8) | nonce (24) | ciphertext | tag (16)
//! ```
//!
//! The key id is the first 8 bytes of SHA-256("msal-rs sealed cache key id" ‖ key): it tells a
//! file sealed under another key (the kernel dropped ours and a new one was made) from a file
//! that was changed, without saying anything about the key. The header is the AEAD's associated
//! data, so it cannot be altered either. A fresh random nonce per write: 192 bits make a
//! collision negligible however many times the file is rewritten.

use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload},
};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The first bytes of every sealed file.
const MAGIC: &[u8; 8] = b"MSALSC01";
const KEY_ID_LEN: usize = 8;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = MAGIC.len() + KEY_ID_LEN + NONCE_LEN;
/// The key length (XChaCha20-Poly1305 takes 256 bits).
pub(crate) const KEY_LEN: usize = 32;

/// A sealing key, wiped from memory when dropped.
pub(crate) struct SealingKey(Zeroizing<[u8; KEY_LEN]>);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(<redacted>)")
    }
}

impl SealingKey {
    /// A new random key from the operating system's generator.
    pub(crate) fn generate() -> Result<Self, getrandom::Error> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::fill(key.as_mut())?;
        Ok(Self(key))
    }

    /// A key read back from where it is kept; `None` unless it is exactly 32 bytes.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let key: [u8; KEY_LEN] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(key)))
    }

    /// The key's bytes, to hand to the keyring that keeps it.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_ref()
    }

    fn id(&self) -> [u8; KEY_ID_LEN] {
        let digest = Sha256::new()
            .chain_update(b"msal-rs sealed cache key id")
            .chain_update(self.0.as_ref())
            .finalize();
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        id
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        let key: &[u8; KEY_LEN] = &self.0;
        XChaCha20Poly1305::new(key.into())
    }
}

/// Why a file could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// It does not start with [`MAGIC`]: not a sealed cache at all.
    NotSealed,
    /// Sealed, but under another key.
    OtherKey,
    /// Sealed under this key, but altered or truncated since.
    Altered,
}

/// Why sealing failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SealError {
    /// The operating system's random generator failed (no nonce).
    #[error("no randomness for the nonce: {0}")]
    Random(getrandom::Error),
    /// The cipher refused (only for inputs of 256 GiB and more).
    #[error("the cache is too large to seal")]
    TooLarge,
}

/// Whether `file` starts like a sealed cache.
pub(crate) fn is_sealed(file: &[u8]) -> bool {
    file.starts_with(MAGIC)
}

/// Seals `plaintext` under `key` with a fresh nonce.
pub(crate) fn seal(key: &SealingKey, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
    let mut header = [0u8; HEADER_LEN];
    header[..MAGIC.len()].copy_from_slice(MAGIC);
    header[MAGIC.len()..MAGIC.len() + KEY_ID_LEN].copy_from_slice(&key.id());
    getrandom::fill(&mut header[MAGIC.len() + KEY_ID_LEN..]).map_err(SealError::Random)?;
    let nonce = XNonce::from(nonce_of(&header));
    let payload = Payload {
        msg: plaintext,
        aad: &header,
    };
    let sealed = key
        .cipher()
        .encrypt(&nonce, payload)
        .map_err(|_| SealError::TooLarge)?;
    let mut file = Vec::with_capacity(HEADER_LEN + sealed.len());
    file.extend_from_slice(&header);
    file.extend_from_slice(&sealed);
    Ok(file)
}

/// Opens a sealed file with `key`. The plaintext is wiped when dropped.
pub(crate) fn open(key: &SealingKey, file: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    if !is_sealed(file) {
        return Err(OpenError::NotSealed);
    }
    let Some((header, sealed)) = file.split_at_checked(HEADER_LEN) else {
        return Err(OpenError::Altered);
    };
    if header[MAGIC.len()..MAGIC.len() + KEY_ID_LEN] != key.id() {
        return Err(OpenError::OtherKey);
    }
    let nonce = XNonce::from(nonce_of(header));
    let payload = Payload {
        msg: sealed,
        aad: header,
    };
    key.cipher()
        .decrypt(&nonce, payload)
        .map(Zeroizing::new)
        .map_err(|_| OpenError::Altered)
}

fn nonce_of(header: &[u8]) -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&header[MAGIC.len() + KEY_ID_LEN..HEADER_LEN]);
    nonce
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SealingKey {
        SealingKey::generate().unwrap()
    }

    #[test]
    fn sealed_text_opens_with_its_key_and_hides_the_plaintext() {
        let key = key();
        let file = seal(&key, b"{\"secret\": \"rt-123\"}").unwrap();
        assert!(is_sealed(&file));
        assert!(!file.windows(6).any(|w| w == b"rt-123"));
        assert_eq!(
            open(&key, &file).unwrap().as_slice(),
            b"{\"secret\": \"rt-123\"}"
        );
        // A fresh nonce each time: the same text never seals to the same bytes.
        assert_ne!(seal(&key, b"same").unwrap(), seal(&key, b"same").unwrap());
    }

    #[test]
    fn another_key_is_told_apart_from_an_altered_file() {
        let key = key();
        let file = seal(&key, b"{}").unwrap();
        assert_eq!(open(&self::key(), &file).unwrap_err(), OpenError::OtherKey);
        for at in [HEADER_LEN - 1, HEADER_LEN, file.len() - 1] {
            let mut altered = file.clone();
            altered[at] ^= 1;
            assert_eq!(
                open(&key, &altered).unwrap_err(),
                OpenError::Altered,
                "byte {at}"
            );
        }
        assert_eq!(
            open(&key, &file[..HEADER_LEN - 1]).unwrap_err(),
            OpenError::Altered
        );
        assert_eq!(
            open(&key, &file[..file.len() - 1]).unwrap_err(),
            OpenError::Altered
        );
        assert_eq!(
            open(&key, b"{\"AccessToken\": {}}").unwrap_err(),
            OpenError::NotSealed
        );
    }

    #[test]
    fn keys_are_exactly_32_bytes_and_never_printed() {
        let key = key();
        let again = SealingKey::from_bytes(key.as_bytes()).unwrap();
        assert_eq!(again.id(), key.id());
        assert!(SealingKey::from_bytes(&[0; 31]).is_none());
        assert_eq!(format!("{key:?}"), "SealingKey(<redacted>)");
    }
}
