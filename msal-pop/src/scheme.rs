//! `PopAuthScheme`: the request a PoP token will be bound to.

use msal_core::{Error, Result};
use url::Url;

use crate::{HttpMethod, challenge, method::truncate};

/// Nonces longer than this are refused: a nonce is an opaque server value of a few dozen
/// characters, and it is copied into every SHR.
const MAX_NONCE_LEN: usize = 4096;

/// The HTTP request a Proof-of-Possession token is for: method, URL and the resource's nonce.
///
/// MSAL Python's `PopAuthScheme(http_method, url, nonce)`: pass it to a token request with
/// `.auth_scheme(scheme)` and the result's access token is a Signed HTTP Request bound to this
/// method, host and path. Build it from the URL you will call and the nonce the resource sent in
/// its `WWW-Authenticate: PoP nonce="…"` challenge ([`from_www_authenticate`]).
///
/// [`from_www_authenticate`]: PopAuthScheme::from_www_authenticate
///
/// ```
/// use msal_pop::PopAuthScheme;
///
/// let scheme = PopAuthScheme::new(
///     PopAuthScheme::HTTP_GET,
///     "https://Contoso.example:8443/api/items?top=5",
///     "nonce-from-resource",
/// )?;
/// assert_eq!(scheme.host(), "contoso.example:8443");
/// assert_eq!(scheme.path(), "/api/items");
/// assert_eq!(scheme.query(), Some("top=5"));
///
/// // Relative URLs, other schemes and empty nonces are refused.
/// assert!(PopAuthScheme::new(PopAuthScheme::HTTP_GET, "/api/items", "n").is_err());
/// assert!(PopAuthScheme::new(PopAuthScheme::HTTP_GET, "ftp://contoso.example/", "n").is_err());
/// assert!(PopAuthScheme::new(PopAuthScheme::HTTP_GET, "https://contoso.example/", "").is_err());
/// # Ok::<(), msal_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PopAuthScheme {
    method: HttpMethod,
    url: Url,
    host: String,
    nonce: String,
}

impl PopAuthScheme {
    /// `GET`, as MSAL Python's `PopAuthScheme.HTTP_GET`.
    pub const HTTP_GET: HttpMethod = HttpMethod::Get;
    /// `POST`, as MSAL Python's `PopAuthScheme.HTTP_POST`.
    pub const HTTP_POST: HttpMethod = HttpMethod::Post;
    /// `PUT`, as MSAL Python's `PopAuthScheme.HTTP_PUT`.
    pub const HTTP_PUT: HttpMethod = HttpMethod::Put;
    /// `DELETE`, as MSAL Python's `PopAuthScheme.HTTP_DELETE`.
    pub const HTTP_DELETE: HttpMethod = HttpMethod::Delete;
    /// `PATCH`, as MSAL Python's `PopAuthScheme.HTTP_PATCH`.
    pub const HTTP_PATCH: HttpMethod = HttpMethod::Patch;

    /// A scheme for `method` on `url` with the resource's `nonce`.
    ///
    /// `url` must be an absolute `http` or `https` URL with a host and without user
    /// credentials; `nonce` must be non-empty (and at most 4096 bytes). Anything else is
    /// [`Error::InvalidArgument`].
    pub fn new(method: HttpMethod, url: &str, nonce: impl Into<String>) -> Result<Self> {
        let nonce = nonce.into();
        if nonce.is_empty() {
            return Err(Error::InvalidArgument("the PoP nonce is empty".into()));
        }
        if nonce.len() > MAX_NONCE_LEN {
            return Err(Error::InvalidArgument(format!(
                "the PoP nonce is longer than {MAX_NONCE_LEN} bytes"
            )));
        }
        let url = parse_url(url)?;
        let host = host_claim(&url)?;
        Ok(Self {
            method,
            url,
            host,
            nonce,
        })
    }

    /// A scheme whose nonce comes from a resource's `WWW-Authenticate` header.
    ///
    /// The header may hold several challenges (`Bearer realm="", PoP realm="", nonce="…"`);
    /// the first `PoP` challenge (scheme compared case-insensitively) that has a non-empty
    /// `nonce` parameter is used. A header without one, a malformed header, or one longer than
    /// 16 KiB is [`Error::InvalidArgument`].
    ///
    /// ```
    /// use http::HeaderValue;
    /// use msal_pop::PopAuthScheme;
    ///
    /// let challenge = HeaderValue::from_static(r#"Bearer realm="", PoP realm="", nonce="eyJ0eXAi""#);
    /// let scheme = PopAuthScheme::from_www_authenticate(
    ///     PopAuthScheme::HTTP_POST,
    ///     "https://graph.example/v1.0/me/sendMail",
    ///     &challenge,
    /// )?;
    /// assert_eq!(scheme.nonce(), "eyJ0eXAi");
    ///
    /// let bearer_only = HeaderValue::from_static(r#"Bearer realm="""#);
    /// assert!(PopAuthScheme::from_www_authenticate(
    ///     PopAuthScheme::HTTP_GET,
    ///     "https://graph.example/v1.0/me",
    ///     &bearer_only,
    /// )
    /// .is_err());
    /// # Ok::<(), msal_core::Error>(())
    /// ```
    pub fn from_www_authenticate(
        method: HttpMethod,
        url: &str,
        challenge: &http::HeaderValue,
    ) -> Result<Self> {
        let text = challenge.to_str().map_err(|_| {
            Error::InvalidArgument("the WWW-Authenticate header is not visible ASCII".into())
        })?;
        let challenges = challenge::parse(text).map_err(|e| Error::InvalidArgument(e.into()))?;
        let mut saw_pop = false;
        for c in challenges
            .iter()
            .filter(|c| c.scheme.eq_ignore_ascii_case("pop"))
        {
            saw_pop = true;
            if let Some(nonce) = c.param("nonce").filter(|n| !n.is_empty()) {
                return Self::new(method, url, nonce);
            }
        }
        Err(Error::InvalidArgument(if saw_pop {
            "the PoP challenge has no nonce".into()
        } else {
            "the WWW-Authenticate header has no PoP challenge".into()
        }))
    }

    /// The HTTP method (the SHR's `m` claim).
    pub fn http_method(&self) -> HttpMethod {
        self.method
    }

    /// The URL, as parsed and normalised (host lower-cased, default port dropped).
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The nonce (the SHR's `nonce` claim).
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// `host[:port]`, lower case, with the port only when it is not the scheme's default (the
    /// SHR's `u` claim; MSAL Python's `url.netloc` without user information).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The URL's path, percent-encoded as in the URL, `/` when empty (the SHR's `p` claim).
    pub fn path(&self) -> &str {
        match self.url.path() {
            "" => "/",
            p => p,
        }
    }

    /// The URL's query string without the `?`, if it has one (source of the SHR's `q` claim).
    pub fn query(&self) -> Option<&str> {
        self.url.query()
    }

    /// The parsed URL, for the SHR's `q` claim.
    pub(crate) fn parsed_url(&self) -> &Url {
        &self.url
    }
}

fn parse_url(url: &str) -> Result<Url> {
    // Never echo the URL itself: its query may hold a SAS token or similar secret.
    let parsed = Url::parse(url)
        .map_err(|e| Error::InvalidArgument(format!("the PoP URL is not an absolute URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::InvalidArgument(format!(
            "the PoP URL must be http or https, not {:?}",
            truncate(parsed.scheme(), 16)
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::InvalidArgument("the PoP URL has no host".into()));
    }
    // The SHR carries only host[:port]; credentials in the URL would be silently dropped from
    // the binding and are a leak waiting to happen, so refuse them outright.
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::InvalidArgument(
            "the PoP URL must not contain user credentials".into(),
        ));
    }
    Ok(parsed)
}

/// The `u` claim: `host[:port]`. The `url` crate already lower-cases http(s) hosts, keeps IPv6
/// brackets and reports no port when it is the scheme default, which is exactly the rule.
fn host_claim(url: &Url) -> Result<String> {
    let host = url
        .host_str()
        .ok_or_else(|| Error::InvalidArgument("the PoP URL has no host".into()))?
        .to_ascii_lowercase();
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}
