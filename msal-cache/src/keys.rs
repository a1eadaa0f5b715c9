//! Cache keys exactly as MSAL Python 1.39 builds them, the extended cache key, partition keys,
//! and the allocation-free probe hash the index uses.
//!
//! The stored key is only an address: MSAL Python and this crate both find entries by their
//! field values, which is why msal-node's keys (one extra trailing `-`) are read just as well.

use std::collections::BTreeMap;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use std::hash::{BuildHasher, Hasher};

use crate::fast_hash::FastBuildHasher;

/// Request fields that never take part in the extended cache key (MSAL Python's exclusion set):
/// they are the grant itself, client authentication, or PoP/SSH key material.
pub const EXT_KEY_EXCLUDED: &[&str] = &[
    "client_id",
    "grant_type",
    "scope",
    "claims",
    "username",
    "password",
    "refresh_token",
    "code",
    "redirect_uri",
    "code_verifier",
    "device_code",
    "assertion",
    "requested_token_use",
    "client_assertion",
    "client_assertion_type",
    "client_secret",
    "token_type",
    "req_cnf",
    "key_id",
    "user_federated_identity_credential",
    "user_id",
    "client_info",
];

/// The extended cache key of the extra request fields (`fmi_path`, forwarded client claims, ...),
/// or `None` when no field counts.
///
/// Fields in MSAL Python's exclusion set and fields with an empty value are skipped. The rest are
/// taken in code-point order of their names, written as `{len}:{name}{len}:{value}` (UTF-8 byte
/// lengths), concatenated and hashed with SHA-256; the key is the base64url (unpadded) digest,
/// lower-cased. Tokens stored with such a key live under an `atext` cache key, and MSAL Python
/// never returns them to a query without the same key.
///
/// ```
/// use std::collections::BTreeMap;
/// let data = BTreeMap::from([("fmi_path".to_string(), "agent-app-id".to_string())]);
/// assert_eq!(
///     msal_cache::keys::ext_cache_key(&data).as_deref(),
///     Some("a0ry_zl4gccsdp7gnw927x8s0mrmnodv6tyilt0u07m")
/// );
/// ```
pub fn ext_cache_key(data: &BTreeMap<String, String>) -> Option<String> {
    // BTreeMap<String, _> iterates in byte order, which for UTF-8 is code-point order, the order
    // Python's sorted() uses.
    let counts = |(name, value): (&String, &String)| {
        !value.is_empty() && !EXT_KEY_EXCLUDED.contains(&name.as_str())
    };
    // Most requests have no extra fields; skip the hasher then.
    if !data.iter().any(counts) {
        return None;
    }
    let mut hasher = Sha256::new();
    let mut any = false;
    for (name, value) in data {
        if value.is_empty() || EXT_KEY_EXCLUDED.contains(&name.as_str()) {
            continue;
        }
        any = true;
        hasher.update(format!("{}:{name}{}:{value}", name.len(), value.len()).as_bytes());
    }
    if !any {
        return None;
    }
    let digest = hasher.finalize();
    Some(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(digest.as_slice())
            .to_ascii_lowercase(),
    )
}

/// The hash an on-behalf-of token is cached under: base64url (unpadded) SHA-256 of the incoming
/// user assertion, as MSAL.NET computes it. The assertion itself is never stored.
pub fn user_assertion_hash(assertion: &str) -> String {
    let digest = Sha256::digest(assertion.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_slice())
}

/// MSAL.NET's suggested partition key for app-only tokens: `{client_id}_{tenant}_AppTokenCache`.
pub fn app_partition_key(client_id: &str, tenant: &str) -> String {
    format!("{client_id}_{tenant}_AppTokenCache")
}

/// MSAL.NET's suggested partition key for a user's tokens: the home account id.
pub fn user_partition_key(home_account_id: &str) -> String {
    home_account_id.to_owned()
}

fn join_lower(parts: &[&str]) -> String {
    parts.join("-").to_lowercase()
}

/// `{home_account_id}-{environment}-accesstoken-{client_id}-{realm}-{target}`, or with an extended
/// key `{home_account_id}-{environment}-atext-{client_id}-{realm}-{target}-{ext_cache_key}`;
/// lower-cased. `None` parts are empty.
pub fn access_token_key(
    home_account_id: Option<&str>,
    environment: &str,
    client_id: &str,
    realm: &str,
    target: &str,
    ext_cache_key: Option<&str>,
) -> String {
    let home = home_account_id.unwrap_or("");
    match ext_cache_key {
        Some(ext) => join_lower(&[home, environment, "atext", client_id, realm, target, ext]),
        None => join_lower(&[home, environment, "accesstoken", client_id, realm, target]),
    }
}

/// `{home_account_id}-{environment}-refreshtoken-{client_id}--{target}`, lower-cased (the realm
/// slot is always empty: refresh tokens are tenant-independent).
pub fn refresh_token_key(
    home_account_id: Option<&str>,
    environment: &str,
    client_id: &str,
    target: &str,
) -> String {
    let home = home_account_id.unwrap_or("");
    join_lower(&[home, environment, "refreshtoken", client_id, "", target])
}

/// `{home_account_id}-{environment}-idtoken-{client_id}-{realm}-`, lower-cased.
pub fn id_token_key(
    home_account_id: Option<&str>,
    environment: &str,
    client_id: &str,
    realm: &str,
) -> String {
    let home = home_account_id.unwrap_or("");
    join_lower(&[home, environment, "idtoken", client_id, realm, ""])
}

/// `{home_account_id}-{environment}-{realm}`, lower-cased.
pub fn account_key(home_account_id: &str, environment: &str, realm: &str) -> String {
    join_lower(&[home_account_id, environment, realm])
}

/// `appmetadata-{environment}-{client_id}`, case preserved.
pub fn app_metadata_key(environment: &str, client_id: &str) -> String {
    format!("appmetadata-{environment}-{client_id}")
}

/// Hashes string pieces ignoring ASCII case, eight bytes at a time, without copying them.
/// Pieces are length-delimited, so ("ab", "c") and ("a", "bc") differ.
///
/// Each word is mixed on its own (a folded 64×64→128-bit multiply with a per-position key, as in
/// foldhash) and the results are summed, so the multiplies run in parallel instead of as one
/// serial chain: a ~150-byte key hashes in a few nanoseconds.
pub(crate) struct LowerHasher {
    acc: u64,
    key: u64,
}

const WORD_MULTIPLIER: u64 = 0x243f_6a88_85a3_08d3;
const KEY_STEP: u64 = 0x9e37_79b9_7f4a_7c15;
const FINAL_MULTIPLIER: u64 = 0x1319_8a2e_0370_7344;

#[inline]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

impl LowerHasher {
    pub(crate) fn new() -> Self {
        Self {
            acc: 0,
            key: FastBuildHasher::default().build_hasher().finish(),
        }
    }

    #[inline]
    fn word(&mut self, word: u64) {
        self.key = self.key.wrapping_add(KEY_STEP);
        self.acc = self
            .acc
            .wrapping_add(folded_multiply(word ^ self.key, WORD_MULTIPLIER));
    }

    /// Adds a piece, ignoring ASCII case.
    #[inline]
    pub(crate) fn piece(&mut self, s: &str) {
        self.bytes(s.as_bytes(), fold_ascii_case);
    }

    /// Adds bytes, each word passed through `fold` first.
    #[inline]
    pub(crate) fn bytes(&mut self, bytes: &[u8], fold: impl Fn(u64) -> u64) {
        let len = bytes.len();
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.word(fold(read_u64(chunk)));
        }
        // The tail is read without a variable-length copy (which would call memcpy): as the
        // piece's last eight bytes, overlapping the previous word, or for short pieces as two
        // overlapping four-byte reads or three single bytes. The length goes into the top byte.
        let tail = match chunks.remainder().len() {
            0 => 0,
            _ if len >= 8 => read_u64(&bytes[len - 8..]),
            4.. => u64::from(read_u32(bytes)) | (u64::from(read_u32(&bytes[len - 4..])) << 32),
            _ => {
                u64::from(bytes[0])
                    | (u64::from(bytes[len / 2]) << 8)
                    | (u64::from(bytes[len - 1]) << 16)
            }
        };
        self.word(fold(tail) ^ ((len as u64) << 56));
    }

    pub(crate) fn finish(&self) -> u64 {
        folded_multiply(self.acc ^ self.key, FINAL_MULTIPLIER)
    }
}

/// Hashes bytes exactly (case-sensitive), e.g. a stored cache key.
pub(crate) fn hash_exact(bytes: &[u8]) -> u64 {
    let mut h = LowerHasher::new();
    h.bytes(bytes, std::convert::identity);
    h.finish()
}

/// The first eight bytes, little-endian (callers pass at least eight).
#[inline]
fn read_u64(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

/// The first four bytes, little-endian (callers pass at least four).
#[inline]
fn read_u32(bytes: &[u8]) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[..4]);
    u32::from_le_bytes(word)
}

/// Folds ASCII case out of eight bytes at once by setting bit 5 of every byte. Strings that are
/// equal ignoring ASCII case fold to the same words; a few other pairs do too (`@` and `` ` ``,
/// `[` and `{`, ...), which only means an extra candidate for the exact match predicate to
/// reject. One OR per word instead of a real lower-casing keeps the probe fast.
#[inline]
fn fold_ascii_case(word: u64) -> u64 {
    word | 0x2020_2020_2020_2020
}

/// The index's hash of an access token's canonical key (the fields MSAL Python's key is made of,
/// as separate pieces). Entries hash their stored fields, queries their query fields; equal
/// canonical keys give equal hashes without building a `String`.
/// (Case folding is ASCII-only here; a non-ASCII mismatch only means the partition scan finds the
/// entry instead of the probe.)
pub(crate) fn access_token_probe_hash<'a>(
    home_account_id: Option<&str>,
    environment: &str,
    client_id: &str,
    realm: &str,
    scopes: impl IntoIterator<Item = &'a str>,
    ext_cache_key: Option<&str>,
) -> u64 {
    let mut h = LowerHasher::new();
    h.piece(home_account_id.unwrap_or(""));
    h.piece(environment);
    h.piece(client_id);
    h.piece(realm);
    h.piece(ext_cache_key.unwrap_or(""));
    for scope in scopes {
        h.piece(scope);
    }
    h.finish()
}

/// The index's hash of an app-token partition: (client_id, environment, realm).
/// Index key of on-behalf-of access tokens: their `user_assertion_hash`.
pub(crate) fn assertion_partition_hash(user_assertion_hash: &str) -> u64 {
    let mut h = LowerHasher::new();
    h.piece("obo");
    h.piece(user_assertion_hash);
    h.finish()
}

pub(crate) fn app_partition_hash(client_id: &str, environment: &str, realm: &str) -> u64 {
    let mut h = LowerHasher::new();
    h.piece(client_id);
    h.piece(environment);
    h.piece(realm);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(pairs: &[(&str, &str)]) -> Option<String> {
        ext_cache_key(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// MSAL Python's `TestCrossMsalCacheKeyCompatibility::test_golden_vectors`.
    #[test]
    fn golden_ext_cache_key_vectors() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("key1", "value1"), ("key2", "value2")],
                "latlwkpewb_a0rcsmjvkecqt0_huumkw4sflzociike",
            ),
            (
                &[("key3", "value3"), ("key4", "value4")],
                "jjoe9jgfmdtnj0rzuetsqy7kzs2m1xfnjjxwsfxsrxq",
            ),
            (
                &[
                    ("key3", "value3"),
                    ("key4", "value4"),
                    ("key5", "value5"),
                    ("key6", "value6"),
                    ("key7", "value7"),
                ],
                "prrdp31y37ufw3lo7hly0oimjjvg_34m9ji30ocu4tw",
            ),
            (
                &[("fmi_path", "agent-app-id")],
                "a0ry_zl4gccsdp7gnw927x8s0mrmnodv6tyilt0u07m",
            ),
            (
                &[("a", "b"), ("cd", "e")],
                "cybgactkrvlzlen1aiwzwl3ay5krkyixommrobc-ri4",
            ),
            (
                &[("fmi_path", "value")],
                "n_lucewkadzv_nybtg-2wtorgf2nrns6ihlfa7vbuzg",
            ),
            (
                &[("fmi_pat", "hvalue")],
                "tjtm16m-suk2_bkniblr25lyuki40qyceco7knuyu0k",
            ),
            (&[("é", "é")], "xskzaoz4ibr3mznftyxctvg1ptuh-0fuzpty7ndbfls"),
        ];
        for (pairs, expected) in cases {
            assert_eq!(ext(pairs).as_deref(), Some(*expected), "{pairs:?}");
        }
    }

    #[test]
    fn excluded_and_empty_fields_give_no_ext_key() {
        assert_eq!(ext(&[]), None);
        assert_eq!(
            ext(&[("client_id", "c"), ("scope", "s"), ("key_id", "k")]),
            None
        );
        assert_eq!(ext(&[("fmi_path", "")]), None);
        // Excluded fields do not change the hash of the ones that count.
        assert_eq!(
            ext(&[("fmi_path", "value"), ("grant_type", "client_credentials")]),
            ext(&[("fmi_path", "value")])
        );
    }

    #[test]
    fn keys_match_msal_python() {
        assert_eq!(
            access_token_key(
                None,
                "login.windows.net",
                "cid",
                "contoso",
                "r1/scope1 r1/scope2",
                Some("latlwkpewb_a0rcsmjvkecqt0_huumkw4sflzociike")
            ),
            "-login.windows.net-atext-cid-contoso-r1/scope1 r1/scope2-latlwkpewb_a0rcsmjvkecqt0_huumkw4sflzociike"
        );
        assert_eq!(
            access_token_key(
                Some("U.T"),
                "127.0.0.1",
                "C",
                "R",
                "https://x/Data.Read openid",
                None
            ),
            "u.t-127.0.0.1-accesstoken-c-r-https://x/data.read openid"
        );
        assert_eq!(
            refresh_token_key(
                Some("uid.utid"),
                "login.example.com",
                "my_client_id",
                "s1 s2 s3"
            ),
            "uid.utid-login.example.com-refreshtoken-my_client_id--s1 s2 s3"
        );
        assert_eq!(
            id_token_key(
                Some("uid.utid"),
                "login.example.com",
                "my_client_id",
                "contoso"
            ),
            "uid.utid-login.example.com-idtoken-my_client_id-contoso-"
        );
        assert_eq!(
            account_key("uid.utid", "login.example.com", "contoso"),
            "uid.utid-login.example.com-contoso"
        );
        assert_eq!(app_metadata_key("localhost", ""), "appmetadata-localhost-");
        assert_eq!(app_partition_key("c", "t"), "c_t_AppTokenCache");
    }

    #[test]
    fn probe_hash_ignores_ascii_case_and_long_keys_work() {
        let a = access_token_probe_hash(Some("H"), "E", "C", "R", ["A", "b"], None);
        let b = access_token_probe_hash(Some("h"), "e", "c", "r", ["a", "B"], None);
        assert_eq!(a, b);
        assert_ne!(
            a,
            access_token_probe_hash(Some("h"), "e", "c", "r", ["a", "b"], Some("x"))
        );
        let long = "s".repeat(2000);
        assert_eq!(
            access_token_probe_hash(None, "e", "c", "r", [long.as_str()], None),
            access_token_probe_hash(None, "E", "C", "R", [long.to_uppercase().as_str()], None)
        );
    }

    #[test]
    fn case_fold_agrees_with_ascii_case_insensitivity() {
        let sample = b"AZaz@[`{09-_. \xc3\x89Q\x7f\x80\xff";
        for window in sample.windows(8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(window);
            let mut lower = word;
            lower.make_ascii_lowercase();
            assert_eq!(
                fold_ascii_case(u64::from_le_bytes(word)),
                fold_ascii_case(u64::from_le_bytes(lower))
            );
        }
    }

    #[test]
    fn exact_hash_keeps_case_and_length() {
        assert_eq!(hash_exact(b"Key-1"), hash_exact(b"Key-1"));
        assert_ne!(hash_exact(b"Key-1"), hash_exact(b"key-1"));
        assert_ne!(hash_exact(b"abc"), hash_exact(b"abc\0"));
        assert_ne!(hash_exact(b""), hash_exact(b"\0"));
        let long = [b'x'; 37];
        assert_ne!(hash_exact(&long), hash_exact(&long[..36]));
    }

    #[test]
    fn assertion_hash_is_base64url_sha256() {
        assert_eq!(
            user_assertion_hash("abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }
}
