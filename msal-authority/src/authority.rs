//! Parsing and canonicalising authority URLs (MSAL Python's `msal/authority.py`, `Authority.__init__` and `canonicalize`).

use std::fmt;

use msal_core::Error;

use crate::hosts::B2C_HOST_SUFFIXES;

/// What kind of identity provider an authority is; decides discovery, validation and cache rules.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthorityKind {
    /// Microsoft Entra ID (`https://login.microsoftonline.com/{tenant}`).
    Aad,
    /// AD FS (`https://adfs.contoso.com/adfs`).
    Adfs,
    /// Azure AD B2C (`https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin`).
    B2c,
    /// Microsoft Entra External ID (`https://contoso.ciamlogin.com/...`).
    Ciam,
    /// Any OpenID Connect provider (`oidc_authority`), and dSTS.
    Oidc,
}

/// A parsed, canonical authority: lower-case host, no trailing slash, tenant (and B2C policy).
///
/// ```
/// use msal_authority::{Authority, AuthorityKind};
/// let a = Authority::parse("https://Login.MicrosoftOnline.com/Contoso.onmicrosoft.com/").unwrap();
/// assert_eq!(a.url(), "https://login.microsoftonline.com/Contoso.onmicrosoft.com");
/// assert_eq!(a.host(), "login.microsoftonline.com");
/// assert_eq!(a.tenant(), "Contoso.onmicrosoft.com");
/// assert_eq!(a.kind(), AuthorityKind::Aad);
/// assert!(Authority::parse("http://login.microsoftonline.com/common").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Authority {
    scheme: &'static str,
    host: String,
    port: Option<u16>,
    segments: Vec<String>,
    kind: AuthorityKind,
}

impl fmt::Debug for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authority")
            .field("url", &self.url())
            .field("kind", &self.kind)
            .finish()
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

fn invalid(url: &str, why: &str) -> Error {
    // Show a bounded prefix so the user can spot the typo, minus any `user:password@`.
    let mut shown: String = url.chars().take(200).collect();
    if let Ok(mut parsed) = url::Url::parse(url)
        && (parsed.password().is_some() || !parsed.username().is_empty())
    {
        let _ = parsed.set_password(None);
        let _ = parsed.set_username("");
        shown = parsed.to_string().chars().take(200).collect();
    }
    Error::Configuration(format!(
        "invalid authority {shown:?}: {why}. Expected https://<host>/<tenant>, https://<host>/<tenant>/<policy> (B2C) or https://<host>/adfs"
    ))
}

impl Authority {
    /// Parses an authority URL. Only `https` is accepted.
    pub fn parse(url: &str) -> Result<Self, Error> {
        Self::parse_with(url, false)
    }

    /// Parses an authority URL; with `allow_http_loopback`, `http://` is accepted for loopback
    /// hosts (a local emulator in tests). Never for anything else: a token request over plain
    /// http would expose the client secret.
    pub fn parse_with(url: &str, allow_http_loopback: bool) -> Result<Self, Error> {
        let (scheme, host, port, segments) = Self::split(url, allow_http_loopback)?;
        if segments.is_empty() {
            if host.ends_with(".ciamlogin.com") {
                // CIAM without a path: the tenant is `{subdomain}.onmicrosoft.com`.
                let sub = host.split('.').next().unwrap_or_default().to_owned();
                return Ok(Self {
                    scheme,
                    host,
                    port,
                    segments: vec![format!("{sub}.onmicrosoft.com")],
                    kind: AuthorityKind::Ciam,
                });
            }
            return Err(invalid(url, "the path has no tenant"));
        }
        let first = segments[0].to_ascii_lowercase();
        let kind = if host.ends_with(".ciamlogin.com") {
            AuthorityKind::Ciam
        } else if B2C_HOST_SUFFIXES.iter().any(|s| host.ends_with(s))
            || (segments.len() == 2 && segments[1].to_ascii_lowercase().starts_with("b2c_"))
        {
            AuthorityKind::B2c
        } else if first == "adfs" {
            AuthorityKind::Adfs
        } else if first == "dstsv2" {
            AuthorityKind::Oidc
        } else {
            AuthorityKind::Aad
        };
        if kind == AuthorityKind::B2c && segments.len() < 2 {
            return Err(invalid(url, "a B2C authority needs a tenant and a policy"));
        }
        // Entra and AD FS use the first segment only; B2C keeps the policy; `/tfp/` keeps all.
        let segments = match kind {
            AuthorityKind::Aad if first == "tfp" => segments,
            AuthorityKind::Aad | AuthorityKind::Adfs => segments.into_iter().take(1).collect(),
            _ => segments,
        };
        Ok(Self {
            scheme,
            host,
            port,
            segments,
            kind,
        })
    }

    /// A generic OpenID Connect authority (Python's `oidc_authority`): any path, discovered at
    /// `{url}/.well-known/openid-configuration`, issuer validated.
    pub fn oidc(url: &str, allow_http_loopback: bool) -> Result<Self, Error> {
        let (scheme, host, port, segments) = Self::split(url, allow_http_loopback)?;
        Ok(Self {
            scheme,
            host,
            port,
            segments,
            kind: AuthorityKind::Oidc,
        })
    }

    /// `https://{instance}/{tenant}` (Python's `AuthorityBuilder`).
    ///
    /// ```
    /// let a = msal_authority::Authority::from_parts(msal_authority::AZURE_PUBLIC, "contoso").unwrap();
    /// assert_eq!(a.url(), "https://login.microsoftonline.com/contoso");
    /// ```
    pub fn from_parts(instance: &str, tenant: &str) -> Result<Self, Error> {
        let instance = instance.trim_matches('/');
        let instance = instance.strip_prefix("https://").unwrap_or(instance);
        Self::parse(&format!("https://{instance}/{}", tenant.trim_matches('/')))
    }

    #[expect(
        clippy::type_complexity,
        reason = "the parts of a URL, named where they are destructured"
    )]
    fn split(
        url: &str,
        allow_http_loopback: bool,
    ) -> Result<(&'static str, String, Option<u16>, Vec<String>), Error> {
        let parsed = url::Url::parse(url.trim()).map_err(|e| invalid(url, &e.to_string()))?;
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| invalid(url, "no host"))?
            .to_ascii_lowercase();
        let scheme = match parsed.scheme() {
            "https" => "https",
            // Only IP literals in 127.0.0.0/8, [::1] and localhost: a DNS name that starts with
            // `127.` resolves wherever its owner likes.
            "http" if allow_http_loopback && msal_core::http::is_loopback_host(&host) => "http",
            "http" => {
                return Err(invalid(
                    url,
                    "authorities must use https (plain http is allowed only for loopback hosts with danger_allow_http_authority)",
                ));
            }
            other => return Err(invalid(url, &format!("unsupported scheme {other:?}"))),
        };
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid(url, "credentials in the URL are not allowed"));
        }
        let segments = parsed
            .path_segments()
            .map(|s| s.filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default();
        Ok((scheme, host, parsed.port(), segments))
    }

    /// The canonical URL, without a trailing slash.
    pub fn url(&self) -> String {
        format!("{}/{}", self.base_url(), self.segments.join("/"))
            .trim_end_matches('/')
            .to_owned()
    }

    /// `scheme://host[:port]`.
    pub fn base_url(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{p}", self.scheme, self.host),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }

    /// The host, lower-case and without a port: the cache's `environment`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, if the URL named one.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The tenant: a GUID, a domain, `common`, `organizations`, `consumers`, `adfs`, ...
    pub fn tenant(&self) -> &str {
        self.segments
            .first()
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The B2C policy (user flow), if any.
    pub fn policy(&self) -> Option<&str> {
        match self.kind {
            AuthorityKind::B2c | AuthorityKind::Ciam => self.segments.get(1).map(String::as_str),
            _ => None,
        }
    }

    /// The path segments after the host.
    pub fn path_segments(&self) -> &[String] {
        &self.segments
    }

    /// The authority's kind.
    pub fn kind(&self) -> AuthorityKind {
        self.kind
    }

    /// AD FS?
    pub fn is_adfs(&self) -> bool {
        self.kind == AuthorityKind::Adfs
    }

    /// Whether the developer vouches for this authority by its kind (AD FS, B2C, CIAM, OIDC), so
    /// instance discovery and alias lookups never run for it.
    pub fn is_known_by_kind(&self) -> bool {
        self.kind != AuthorityKind::Aad
    }

    /// Whether the tenant is one of the multi-tenant aliases.
    pub fn is_multi_tenant(&self) -> bool {
        matches!(
            self.tenant().to_ascii_lowercase().as_str(),
            "common" | "organizations" | "consumers"
        )
    }

    /// Where the OpenID configuration lives.
    pub fn discovery_url(&self) -> String {
        match self.kind {
            AuthorityKind::Adfs => {
                format!("{}/adfs/.well-known/openid-configuration", self.base_url())
            }
            AuthorityKind::Oidc => format!("{}/.well-known/openid-configuration", self.url()),
            _ => format!("{}/v2.0/.well-known/openid-configuration", self.url()),
        }
    }

    /// The authorize endpoint instance discovery asks about.
    pub fn discovery_authorize_endpoint(&self) -> String {
        format!("{}/oauth2/v2.0/authorize", self.url())
    }

    /// The same authority on another host (an alias or a regional host), same port and path.
    pub fn with_host(&self, host: &str) -> Self {
        Self {
            host: host.to_ascii_lowercase(),
            ..self.clone()
        }
    }
}

/// Anything `.authority(..)` accepts.
pub trait IntoAuthority {
    /// Parses into an [`Authority`]; `allow_http_loopback` is the app's test-only switch.
    fn into_authority(self, allow_http_loopback: bool) -> Result<Authority, Error>;
}

impl IntoAuthority for Authority {
    fn into_authority(self, _: bool) -> Result<Authority, Error> {
        Ok(self)
    }
}

impl IntoAuthority for Result<Authority, Error> {
    fn into_authority(self, _: bool) -> Result<Authority, Error> {
        self
    }
}

impl IntoAuthority for &str {
    fn into_authority(self, allow_http_loopback: bool) -> Result<Authority, Error> {
        Authority::parse_with(self, allow_http_loopback)
    }
}

impl IntoAuthority for String {
    fn into_authority(self, allow_http_loopback: bool) -> Result<Authority, Error> {
        Authority::parse_with(&self, allow_http_loopback)
    }
}

impl IntoAuthority for &String {
    fn into_authority(self, allow_http_loopback: bool) -> Result<Authority, Error> {
        Authority::parse_with(self, allow_http_loopback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_detected() {
        let cases = [
            (
                "https://login.microsoftonline.com/common",
                AuthorityKind::Aad,
                "common",
            ),
            (
                "https://login.microsoftonline.com/contoso.onmicrosoft.com/extra/path?x=1",
                AuthorityKind::Aad,
                "contoso.onmicrosoft.com",
            ),
            ("https://fs.contoso.com/ADFS/", AuthorityKind::Adfs, "ADFS"),
            (
                "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin",
                AuthorityKind::B2c,
                "contoso.onmicrosoft.com",
            ),
            (
                "https://login.contoso.com/contoso.onmicrosoft.com/b2c_1_su",
                AuthorityKind::B2c,
                "contoso.onmicrosoft.com",
            ),
            (
                "https://contoso.ciamlogin.com/",
                AuthorityKind::Ciam,
                "contoso.onmicrosoft.com",
            ),
            (
                "https://contoso.ciamlogin.com/tenant-guid",
                AuthorityKind::Ciam,
                "tenant-guid",
            ),
            (
                "https://dsts.example/dstsv2/tenant",
                AuthorityKind::Oidc,
                "dstsv2",
            ),
        ];
        for (url, kind, tenant) in cases {
            let a = Authority::parse(url).unwrap();
            assert_eq!((a.kind(), a.tenant()), (kind, tenant), "{url}");
        }
        let b2c =
            Authority::parse("https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin")
                .unwrap();
        assert_eq!(b2c.policy(), Some("B2C_1_signin"));
        assert_eq!(
            b2c.discovery_url(),
            "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin/v2.0/.well-known/openid-configuration"
        );
        let tfp =
            Authority::parse("https://login.microsoftonline.com/tfp/contoso/B2C_1_x").unwrap();
        assert_eq!(
            tfp.url(),
            "https://login.microsoftonline.com/tfp/contoso/B2C_1_x"
        );
        assert_eq!(
            Authority::parse("https://fs.contoso.com/adfs")
                .unwrap()
                .discovery_url(),
            "https://fs.contoso.com/adfs/.well-known/openid-configuration"
        );
    }

    #[test]
    fn bad_urls_are_configuration_errors_naming_the_value() {
        for bad in [
            "",
            "login.microsoftonline.com/common",
            "https://login.microsoftonline.com",
            "https://login.microsoftonline.com/",
            "http://login.microsoftonline.com/common",
            "ftp://x/common",
            "https://user:pw@host/common",
            "https://contoso.b2clogin.com/only-tenant",
        ] {
            let e = Authority::parse(bad).unwrap_err();
            assert!(matches!(e, Error::Configuration(_)), "{bad}");
            assert!(!e.to_string().contains("pw@"), "{e}");
        }
    }

    #[test]
    fn http_only_for_loopback_behind_the_switch() {
        assert!(Authority::parse_with("http://127.0.0.1:8080/tenant", true).is_ok());
        assert!(Authority::parse_with("http://localhost/tenant", true).is_ok());
        assert!(Authority::parse_with("http://127.0.0.1:8080/tenant", false).is_err());
        assert!(Authority::parse_with("http://evil.example/tenant", true).is_err());
        assert!(Authority::parse_with("http://127.9.8.7/tenant", true).is_ok());
        assert!(Authority::parse_with("http://[::1]:8080/tenant", true).is_ok());
        // DNS names that look like loopback addresses resolve wherever their owner likes.
        for host in ["127.evil.example", "127.0.0.1.nip.io"] {
            let url = format!("http://{host}/tenant");
            assert!(Authority::parse_with(&url, true).is_err(), "{host}");
        }
        let a = Authority::parse("https://127.0.0.1:8443/8eaef023").unwrap();
        assert_eq!((a.host(), a.port()), ("127.0.0.1", Some(8443)));
        assert_eq!(a.url(), "https://127.0.0.1:8443/8eaef023");
    }

    #[test]
    fn from_parts_builds_a_url() {
        assert_eq!(
            Authority::from_parts("login.microsoftonline.us/", "/x/")
                .unwrap()
                .url(),
            "https://login.microsoftonline.us/x"
        );
    }

    proptest::proptest! {
        #[test]
        fn parsing_arbitrary_strings_never_panics(s in ".{0,200}") {
            let _ = Authority::parse(&s);
            let _ = Authority::parse_with(&s, true);
            let _ = Authority::oidc(&s, true);
        }

        #[test]
        fn parsing_url_like_strings_never_panics(host in "[a-zA-Z0-9.-]{0,30}", path in "(/[a-zA-Z0-9_%.-]{0,12}){0,4}") {
            let _ = Authority::parse(&format!("https://{host}{path}"));
        }
    }
}
