//! Scope decoration (MSAL Python's `_decorate_scope` in `msal/application.py`).
//!
//! User flows always ask for `openid profile offline_access` so that an ID token and a refresh
//! token come back; the app may exclude some (typically `offline_access`) but never `openid`.
//! Scopes go on the wire sorted by code point and space-joined, as MSAL Python sends them, so the
//! same call produces the same request (which the throttle keys depend on).

use std::collections::BTreeSet;

use crate::Error;

/// The scopes MSAL adds to every user flow and refuses from callers.
pub const RESERVED_SCOPES: [&str; 3] = ["openid", "profile", "offline_access"];

/// Collects scope arguments into owned strings.
pub fn collect<I, S>(scopes: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    scopes.into_iter().map(|s| s.as_ref().to_owned()).collect()
}

/// Checks caller scopes: none reserved, none empty or containing whitespace.
pub fn validate(scopes: &[String]) -> Result<(), Error> {
    for s in scopes {
        if RESERVED_SCOPES.contains(&s.as_str()) {
            return Err(Error::InvalidArgument(format!(
                "the scope {s:?} is reserved: MSAL adds openid, profile and offline_access itself"
            )));
        }
        let has_space = if s.is_ascii() {
            s.bytes().any(|b| b.is_ascii_whitespace())
        } else {
            s.chars().any(char::is_whitespace)
        };
        if s.is_empty() || has_space {
            return Err(Error::InvalidArgument(format!(
                "invalid scope {s:?}: a scope is a non-empty string without spaces"
            )));
        }
    }
    Ok(())
}

/// Scopes of a user flow: the caller's plus the reserved ones, minus `exclude`, sorted.
pub fn decorate(scopes: &[String], exclude: &[String]) -> Result<Vec<String>, Error> {
    validate(scopes)?;
    let mut set: BTreeSet<String> = scopes.iter().cloned().collect();
    for r in RESERVED_SCOPES {
        set.insert(r.to_owned());
    }
    for e in exclude {
        set.remove(e);
    }
    Ok(set.into_iter().collect())
}

/// Scopes of an app-only flow (client credentials): as given, de-duplicated and sorted.
pub fn app_scopes(mut scopes: Vec<String>) -> Result<Vec<String>, Error> {
    if scopes.is_empty() {
        return Err(Error::InvalidArgument(
            "at least one scope is required (for client credentials usually `<resource>/.default`)"
                .into(),
        ));
    }
    validate(&scopes)?;
    // Sort and de-duplicate the caller's own copy in place: a set would allocate a tree for the
    // usual one scope.
    scopes.sort_unstable();
    scopes.dedup();
    // `<resource>/.default` means "everything the app was granted on that resource": Entra
    // refuses it next to any other scope (AADSTS70011), so say so before sending.
    if scopes.len() > 1 && scopes.iter().any(|s| s.ends_with("/.default")) {
        return Err(Error::InvalidArgument(
            "a `/.default` scope must be the only scope of an app-only request".into(),
        ));
    }
    Ok(scopes)
}

/// The wire form: space-joined.
pub fn join(scopes: &[String]) -> String {
    scopes.join(" ")
}

/// The user's scopes without the reserved ones (what a cache lookup must match).
pub fn without_reserved(scopes: &[String]) -> Vec<String> {
    scopes
        .iter()
        .filter(|s| !RESERVED_SCOPES.contains(&s.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn decorates_and_sorts_by_code_point() {
        let d = decorate(&v(&["https://api.fake-entra.invalid/Data.Read"]), &[]).unwrap();
        assert_eq!(
            join(&d),
            "https://api.fake-entra.invalid/Data.Read offline_access openid profile"
        );
        let d = decorate(&v(&["User.Read"]), &v(&["offline_access"])).unwrap();
        assert_eq!(join(&d), "User.Read openid profile");
    }

    #[test]
    fn refuses_reserved_and_blank_scopes() {
        assert!(decorate(&v(&["openid"]), &[]).is_err());
        assert!(decorate(&v(&["a b"]), &[]).is_err());
        assert!(app_scopes(Vec::new()).is_err());
        assert_eq!(app_scopes(v(&["b", "a", "b"])).unwrap(), v(&["a", "b"]));
    }
}
