//! What msal-axum keeps in the session, under keys of its own.

use msal::{Account, AuthCodeFlow, IdTokenClaims};
use serde::{Deserialize, Serialize};

/// The signed-in user.
pub(crate) const USER: &str = "msal.user";
/// Sign-ins in progress.
pub(crate) const PENDING: &str = "msal.pending";

/// At most this many sign-ins wait at once in one session (several tabs); the oldest is dropped,
/// so an abandoned sign-in never grows the session.
pub(crate) const MAX_PENDING: usize = 4;

/// The signed-in user as the session keeps it: the account (to find the user's tokens in the
/// cache, on any instance) and the ID token's claims. No token is kept in the session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SessionUser {
    pub(crate) account: Account,
    pub(crate) claims: IdTokenClaims,
}

/// One sign-in between the redirect to the identity provider and its answer. The flow holds the
/// PKCE verifier and the nonce: it stays server-side, in the session store.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct PendingSignIn {
    pub(crate) flow: AuthCodeFlow,
    /// Where to send the browser once signed in (a path on this app).
    pub(crate) return_to: String,
}

/// Whether `path` is a path on this app and cannot be read as another site: `/` followed by
/// anything but a second `/` or a `\` (`//evil.example` and `/\evil.example` are other hosts to a
/// browser), with no control characters.
pub(crate) fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(char::is_control)
}

/// `return_to` if it is a path on this app, else `/`: the sign-in route is reachable by any link,
/// and must not become an open redirector.
pub(crate) fn safe_return_to(return_to: Option<&str>) -> String {
    match return_to {
        Some(path) if is_local_path(path) => path.to_owned(),
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(safe_return_to(Some("/orders?id=3")), "/orders?id=3");
        for hostile in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "evil",
            "/\n/evil",
            "",
        ] {
            assert_eq!(safe_return_to(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(safe_return_to(None), "/");
    }
}
