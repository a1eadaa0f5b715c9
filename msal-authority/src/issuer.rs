//! Issuer validation for generic OIDC authorities (MSAL Python's `msal/authority.py`, `Authority.has_valid_issuer`; OpenID Connect Discovery 1.0 §4.3).
//!
//! A discovery document is only as trustworthy as the host that served it; for an
//! `oidc_authority` we therefore require the `issuer` to belong to the authority (or to a
//! Microsoft cloud, a regional variant, or a B2C host), as MSAL Python does. Entra's own
//! authorities are trusted by instance discovery instead.

use crate::{
    Authority,
    hosts::{B2C_HOST_SUFFIXES, WELL_KNOWN_AUTHORITY_HOSTS},
};

/// Whether `issuer` is acceptable for `authority` (MSAL Python's `has_valid_issuer`).
pub fn is_valid_issuer(authority: &Authority, issuer: &str) -> bool {
    let Ok(parsed) = url::Url::parse(issuer) else {
        return false;
    };
    let Some(host) = parsed.host_str().map(str::to_ascii_lowercase) else {
        return false;
    };
    // (1) the authority itself, trailing slash ignored
    if issuer
        .trim_end_matches('/')
        .eq_ignore_ascii_case(&authority.url())
    {
        return true;
    }
    // (2) a well-known Microsoft host
    if WELL_KNOWN_AUTHORITY_HOSTS.contains(&host.as_str()) {
        return true;
    }
    // (3) a regional variant: `{label}.{well-known host or the authority's host}`
    if let Some((label, base)) = host.split_once('.')
        && !label.is_empty()
        && (WELL_KNOWN_AUTHORITY_HOSTS.contains(&base) || base == authority.host())
    {
        return true;
    }
    // (4) same scheme and host:port
    let same_origin = parsed.scheme()
        == authority.base_url().split("://").next().unwrap_or_default()
        && host == authority.host()
        && parsed.port() == authority.port();
    if same_origin {
        return true;
    }
    // (5) a B2C host
    B2C_HOST_SUFFIXES.iter().any(|s| host.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_issuer_rules() {
        let a = Authority::oidc("https://contoso.example/tenant/v2.0", false).unwrap();
        assert!(is_valid_issuer(&a, "https://contoso.example/tenant/v2.0/"));
        assert!(is_valid_issuer(
            &a,
            "https://login.microsoftonline.com/x/v2.0"
        ));
        assert!(is_valid_issuer(&a, "https://westus2.login.microsoft.com/x"));
        assert!(is_valid_issuer(&a, "https://eu.contoso.example/x"));
        assert!(is_valid_issuer(&a, "https://contoso.example/other"));
        assert!(is_valid_issuer(&a, "https://x.b2clogin.com/y"));
        assert!(!is_valid_issuer(&a, "https://evil.example/tenant/v2.0"));
        assert!(!is_valid_issuer(&a, "http://contoso.example/tenant/v2.0"));
        assert!(!is_valid_issuer(&a, "not a url"));
    }
}
