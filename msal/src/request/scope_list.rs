//! The scopes a cache-first request builder was handed, kept without allocating in the usual
//! case of one scope.
//!
//! `acquire_token_for_client` and `acquire_token_silent` are what a busy service calls per
//! incoming request, nearly always with one scope (`https://graph.microsoft.com/.default`,
//! `api://{app id}/.default`), and a repeat is answered from the hit memo in tens of
//! nanoseconds. Copying that one scope into a `Vec<String>` (two allocations, two frees) was a
//! fifth of such a call, so one scope of up to [`INLINE`] bytes is kept in the builder itself.
//! Anything else is a `Vec`, and a request that goes on to the cache or the network takes a
//! `Vec<String>` copy ([`RequestedScopes::to_vec`]): those paths allocate anyway.

use std::fmt;

/// The longest scope kept inline: an `api://{GUID}/.default` is 51 bytes.
const INLINE: usize = 62;

/// A builder's scopes, as given (not yet validated, sorted or decorated).
///
/// The representation is canonical (inline exactly when there is one scope of at most
/// [`INLINE`] bytes, and the unused bytes are zero), so the derived equality is equality of
/// the scope lists.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum RequestedScopes {
    One { len: u8, bytes: [u8; INLINE] },
    Many(Vec<String>),
}

impl RequestedScopes {
    /// Collects a caller's scope arguments.
    ///
    /// Inlined into the builder (with [`one`](Self::one)) so the scope is copied where the
    /// builder keeps it: returned through a temporary, the copy's bytes were read back right
    /// after the narrower stores that wrote them, and each such read stalls on store
    /// forwarding. Building a builder took 20 ns that way, 9 ns inlined.
    #[inline(always)]
    pub(crate) fn collect<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut scopes = scopes.into_iter();
        let Some(first) = scopes.next() else {
            return Self::Many(Vec::new());
        };
        match scopes.next() {
            None => Self::one(first.as_ref())
                .unwrap_or_else(|| Self::Many(vec![first.as_ref().to_owned()])),
            Some(second) => Self::Many(
                [first, second]
                    .into_iter()
                    .chain(scopes)
                    .map(|s| s.as_ref().to_owned())
                    .collect(),
            ),
        }
    }

    /// `scope` kept inline, if it fits.
    #[inline(always)]
    fn one(scope: &str) -> Option<Self> {
        let len = u8::try_from(scope.len())
            .ok()
            .filter(|&n| usize::from(n) <= INLINE)?;
        let mut bytes = [0; INLINE];
        bytes[..scope.len()].copy_from_slice(scope.as_bytes());
        Some(Self::One { len, bytes })
    }

    /// Whether these are exactly `scopes`, in order (Azure SDK's `&[&str]`).
    #[cfg(any(feature = "azure-core", test))]
    pub(crate) fn is<S: AsRef<str>>(&self, scopes: &[S]) -> bool {
        match self {
            Self::One { len, bytes } => {
                matches!(scopes, [only] if only.as_ref().as_bytes() == &bytes[..usize::from(*len)])
            }
            Self::Many(list) => list
                .iter()
                .map(String::as_str)
                .eq(scopes.iter().map(AsRef::as_ref)),
        }
    }

    /// Owned copies, for a request that goes on to the cache or the network.
    pub(crate) fn to_vec(&self) -> Vec<String> {
        match self {
            // The bytes were copied from a `&str`, so the lossy conversion never replaces
            // anything; it only spares a panic path.
            Self::One { len, bytes } => {
                vec![String::from_utf8_lossy(&bytes[..usize::from(*len)]).into_owned()]
            }
            Self::Many(list) => list.clone(),
        }
    }
}

impl fmt::Debug for RequestedScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.to_vec()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_short_scope_is_kept_inline_and_anything_else_in_a_vec() {
        let graph = "https://graph.microsoft.com/.default";
        assert!(matches!(
            RequestedScopes::collect([graph]),
            RequestedScopes::One { .. }
        ));
        let api = format!("api://{}/.default", "0".repeat(36));
        assert!(matches!(
            RequestedScopes::collect([&api]),
            RequestedScopes::One { .. }
        ));
        let long = "s".repeat(INLINE + 1);
        assert!(matches!(
            RequestedScopes::collect([&long]),
            RequestedScopes::Many(_)
        ));
        assert!(matches!(
            RequestedScopes::collect(["a", "b"]),
            RequestedScopes::Many(_)
        ));
        assert!(matches!(
            RequestedScopes::collect(Vec::<String>::new()),
            RequestedScopes::Many(ref v) if v.is_empty()
        ));
    }

    #[test]
    fn every_form_gives_back_exactly_what_was_given() {
        let exactly_inline = "x".repeat(INLINE);
        let over = "y".repeat(INLINE + 1);
        let cases: Vec<Vec<&str>> = vec![
            vec![],
            vec![""],
            vec!["User.Read"],
            vec![&exactly_inline],
            vec![&over],
            vec!["é/.default"],
            vec!["User.Read", "Mail.Read"],
            vec!["a", "a", ""],
        ];
        for case in cases {
            let scopes = RequestedScopes::collect(&case);
            assert_eq!(scopes.to_vec(), case, "{case:?}");
            assert!(scopes.is(&case), "{case:?}");
            assert_eq!(format!("{scopes:?}"), format!("{case:?}"));
        }
    }

    #[test]
    fn is_and_equality_tell_different_lists_apart() {
        let graph = RequestedScopes::collect(["https://graph.microsoft.com/.default"]);
        assert!(!graph.is(&["https://graph.microsoft.com/.defaul"]));
        assert!(!graph.is(&["https://graph.microsoft.com/.default", "x"]));
        assert!(!graph.is::<&str>(&[]));
        // A prefix with the unused bytes zero is still a different scope.
        assert!(!RequestedScopes::collect(["ab"]).is(&["ab\0"]));
        assert_ne!(
            RequestedScopes::collect(["ab"]),
            RequestedScopes::collect(["ab\0"])
        );
        assert_ne!(
            RequestedScopes::collect(["a", "b"]),
            RequestedScopes::collect(["b", "a"])
        );
        assert_eq!(
            graph,
            RequestedScopes::collect([String::from("https://graph.microsoft.com/.default")])
        );
    }
}
