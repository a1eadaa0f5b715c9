//! Cache keys exactly as MSAL Python 1.39 builds them, the extended cache key, partition keys,
//! and the allocation-free probe hash the index uses.
//!
//! The stored key is only an address: MSAL Python and this crate both find entries by their
//! field values, which is why msal-node's keys (one extra trailing `-`) are read just as well.

use std::collections::BTreeMap;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::fast_hash::hash_bytes;

/// Request fields that never take part in the extended cache key (MSAL Python's exclusion set):
/// they are the grant itself, client authentication, or PoP/SSH key material.
const EXT_KEY_EXCLUDED: &[&str] = &[
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

/// A key being assembled for hashing: on the stack for ordinary keys, on the heap beyond that.
pub(crate) struct KeyBuf {
    stack: [u8; 512],
    len: usize,
    heap: Option<Vec<u8>>,
}

impl KeyBuf {
    pub(crate) fn new() -> Self {
        Self {
            stack: [0; 512],
            len: 0,
            heap: None,
        }
    }

    pub(crate) fn push(&mut self, s: &str) {
        let bytes = s.as_bytes();
        if let Some(heap) = &mut self.heap {
            heap.extend_from_slice(bytes);
        } else if self.len + bytes.len() <= self.stack.len() {
            self.stack[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
        } else {
            let mut heap = Vec::with_capacity((self.len + bytes.len()) * 2);
            heap.extend_from_slice(&self.stack[..self.len]);
            heap.extend_from_slice(bytes);
            self.heap = Some(heap);
        }
    }

    /// The ASCII-lower-cased bytes' hash.
    pub(crate) fn finish_lower(mut self) -> u64 {
        let bytes: &mut [u8] = match &mut self.heap {
            Some(heap) => heap,
            None => &mut self.stack[..self.len],
        };
        bytes.make_ascii_lowercase();
        hash_bytes(bytes)
    }
}

/// The index's hash of an access token's canonical key. Entries hash their stored fields, queries
/// their query fields; equal canonical keys give equal hashes without building a `String`.
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
    let mut buf = KeyBuf::new();
    buf.push(home_account_id.unwrap_or(""));
    buf.push("-");
    buf.push(environment);
    buf.push(if ext_cache_key.is_some() {
        "-atext-"
    } else {
        "-accesstoken-"
    });
    buf.push(client_id);
    buf.push("-");
    buf.push(realm);
    buf.push("-");
    for (i, scope) in scopes.into_iter().enumerate() {
        if i > 0 {
            buf.push(" ");
        }
        buf.push(scope);
    }
    if let Some(ext) = ext_cache_key {
        buf.push("-");
        buf.push(ext);
    }
    buf.finish_lower()
}

/// The index's hash of an app-token partition: (client_id, environment, realm).
pub(crate) fn app_partition_hash(client_id: &str, environment: &str, realm: &str) -> u64 {
    let mut buf = KeyBuf::new();
    buf.push(client_id);
    buf.push("\0");
    buf.push(environment);
    buf.push("\0");
    buf.push(realm);
    buf.finish_lower()
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

    /// MSAL Python's `TestCrossMsalCacheKeyCompatibility::test_golden_vectors` (spec §4.5).
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
    fn assertion_hash_is_base64url_sha256() {
        assert_eq!(
            user_assertion_hash("abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }
}
