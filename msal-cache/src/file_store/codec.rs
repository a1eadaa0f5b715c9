//! [`FileCodec`]: how the cache's text is turned into the bytes of the file and back, for stores
//! that keep the file encrypted (msal-extensions' `FilePersistenceWithDataProtection` is one on
//! Windows; `msal-cache-keyring` seals the file with a key from the Linux kernel keyring).

use std::fmt;

use msal_core::CacheError;

/// What [`FileCodec::decode`] found in the file.
#[non_exhaustive]
pub enum Decoded {
    /// The serialized cache.
    Cache(String),
    /// The file can never be read again (its key is gone). The store keeps what memory has
    /// (nothing, in a new process: its user signs in again) and the next write replaces the
    /// file. The string says why, for the log.
    Unrecoverable(String),
}

/// Never shows the cache: it holds tokens.
impl fmt::Debug for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cache(text) => write!(f, "Cache([redacted, {} bytes])", text.len()),
            Self::Unrecoverable(why) => f.debug_tuple("Unrecoverable").field(why).finish(),
        }
    }
}

/// Encodes the cache before [`FileCacheStore`](super::FileCacheStore) writes it and decodes
/// it after a read (set with [`FileCacheStore::codec`](super::FileCacheStore::codec)).
///
/// The store keeps its lock, atomic writes, change detection and its rule for unreadable files:
/// an `Err` from [`decode`](Self::decode) is an unreadable file (a read serves memory, a write
/// refuses to replace it), while [`Decoded::Unrecoverable`] is a file whose contents are gone.
/// `encode` runs under the store's cross-process lock, so it may create a key that other
/// processes will find.
pub trait FileCodec: Send + Sync + fmt::Debug {
    /// The bytes to write for the serialized cache `state`.
    ///
    /// # Errors
    ///
    /// Whatever stops the encoding; nothing is written then.
    fn encode(&self, state: &str) -> Result<Vec<u8>, CacheError>;

    /// The serialized cache in `bytes`, as read from a non-empty file.
    ///
    /// # Errors
    ///
    /// The file is not what this codec writes (it is treated as unreadable).
    fn decode(&self, bytes: Vec<u8>) -> Result<Decoded, CacheError>;
}
