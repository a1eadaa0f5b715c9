//! Secret newtypes: client secrets, tokens, codes, passwords, private keys.
//!
//! Every value that would let someone act as the user or the app is wrapped in one of these types.
//! Their `Debug` prints only the type name (`AccessToken([redacted])`) and `Display` prints
//! `[redacted]`, so a secret can be logged by accident only by calling [`secret`](AccessToken::secret)
//! explicitly. The memory is zeroed when the last handle drops, best effort (a `memset` the
//! optimiser is kept from removing; see `SecretBuffer`'s `Drop` for why not the `zeroize`
//! crate), and equality runs in constant time, so comparing a presented value with a stored one
//! does not leak how many leading bytes matched.
//!
//! The value is shared (`Arc`), so a cache hit hands out a token without copying its kilobytes:
//! cloning a secret is a reference-count increment.

use std::{fmt, sync::Arc};

/// The shared buffer behind every secret type: zeroized when the last handle drops.
#[derive(Default)]
struct SecretBuffer(String);

impl Drop for SecretBuffer {
    // The whole allocation (length and spare capacity) is zeroed by one `memset`, and
    // `black_box` makes it observable so that today's optimiser cannot drop it as a dead store
    // before the free. That is weaker than `zeroize`'s volatile writes, which the language
    // guarantees (std documents `black_box` as no security guarantee), and it was chosen for
    // cost: those writes took about one instruction per byte of every token freed, 5.5% of
    // the instructions of loading a cache and 12% of its time at 20 tokens (the replaced
    // state's secrets are all freed). Neither reaches copies the allocator made earlier.
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        let capacity = bytes.capacity();
        bytes.clear();
        bytes.resize(capacity, 0);
        std::hint::black_box(&mut bytes);
    }
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    // `black_box` keeps the optimiser from turning the fold into an early exit.
    std::hint::black_box(diff) == 0
}

macro_rules! secret_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// `Debug` and `Display` never show the value; its memory is zeroed when the last
        /// handle drops (best effort: see the module docs) and it is compared in constant time.
        #[derive(Clone, Default)]
        pub struct $name(Arc<SecretBuffer>);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(Arc::new(SecretBuffer(value.into())))
            }

            /// The secret itself.
            ///
            /// **Security hazard**: whatever you do with the returned string (log it, put it in an
            /// error, send it to the wrong host) is no longer protected by this type.
            pub fn secret(&self) -> &str {
                &self.0.0
            }

            /// Unwraps the secret, giving up its protection (see [`secret`](Self::secret)).
            pub fn into_secret(self) -> String {
                match Arc::try_unwrap(self.0) {
                    Ok(mut buffer) => std::mem::take(&mut buffer.0),
                    Err(shared) => shared.0.clone(),
                }
            }

            /// Whether the value is the empty string.
            pub fn is_empty(&self) -> bool {
                self.0.0.is_empty()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }

        impl From<&String> for $name {
            fn from(value: &String) -> Self {
                Self::new(value.clone())
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                constant_time_eq(self.secret().as_bytes(), other.secret().as_bytes())
            }
        }

        impl Eq for $name {}

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.secret())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(Self::new)
            }
        }
    };
}

secret_type!(
    /// A client secret (application password) of a confidential client.
    ClientSecret
);
secret_type!(
    /// An access token, or a Signed HTTP Request when the token is a PoP token.
    AccessToken
);
secret_type!(
    /// A refresh token. The library keeps these in the cache and does not hand them out.
    RefreshToken
);
secret_type!(
    /// An OpenID Connect ID token (a JWT about the signed-in user).
    IdToken
);
secret_type!(
    /// An OAuth 2.0 authorization code from the authorize endpoint.
    AuthorizationCode
);
secret_type!(
    /// A user's password (resource-owner password credentials).
    Password
);
secret_type!(
    /// A PEM-encoded private key.
    PrivateKeyPem
);

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "s3cr3t-value-that-must-not-leak";

    macro_rules! check_redaction {
        ($($ty:ident),*) => {$(
            let s = $ty::new(VALUE);
            let debug = format!("{s:?}");
            let display = format!("{s}");
            assert_eq!(debug, concat!(stringify!($ty), "([redacted])"));
            assert_eq!(display, "[redacted]");
            assert!(!debug.contains(VALUE) && !display.contains(VALUE));
            assert!(!format!("{:#?}", Some(&s)).contains(VALUE));
            assert_eq!(s.secret(), VALUE);
            assert_eq!(s, $ty::from(VALUE));
            assert_ne!(s, $ty::from("other"));
            assert_eq!(s.clone().into_secret(), VALUE);
        )*};
    }

    #[test]
    fn every_secret_type_redacts_debug_and_display() {
        check_redaction!(
            ClientSecret,
            AccessToken,
            RefreshToken,
            IdToken,
            AuthorizationCode,
            Password,
            PrivateKeyPem
        );
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn serde_is_transparent() {
        let t = AccessToken::new("x");
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"x\"");
    }
}
