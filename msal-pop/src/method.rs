//! The HTTP methods a PoP token can be bound to.

use std::{fmt, str::FromStr};

use msal_core::Error;

/// The HTTP method of the request a Signed HTTP Request is bound to (the SHR's `m` claim).
///
/// These are the five methods MSAL Python's `PopAuthScheme` accepts. The resource compares `m`
/// with the method of the request that carries the token, so it must be the method actually sent.
///
/// ```
/// use msal_pop::HttpMethod;
///
/// assert_eq!(HttpMethod::Post.as_str(), "POST");
/// assert_eq!("PATCH".parse::<HttpMethod>().unwrap(), HttpMethod::Patch);
/// // HTTP methods are case-sensitive (RFC 9110 §9.1), so a lower-case name is refused.
/// assert!("get".parse::<HttpMethod>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[expect(
    clippy::exhaustive_enums,
    reason = "the methods MSAL Python's PopAuthScheme names"
)]
pub enum HttpMethod {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `PATCH`
    Patch,
}

impl HttpMethod {
    /// The method's name as it appears on the wire and in the `m` claim: upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Patch => "PATCH",
        }
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HttpMethod {
    type Err = Error;

    /// Parses one of `GET`, `POST`, `PUT`, `DELETE`, `PATCH` (exactly, upper case); anything
    /// else is [`Error::InvalidArgument`].
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "GET" => Ok(HttpMethod::Get),
            "POST" => Ok(HttpMethod::Post),
            "PUT" => Ok(HttpMethod::Put),
            "DELETE" => Ok(HttpMethod::Delete),
            "PATCH" => Ok(HttpMethod::Patch),
            _ => Err(Error::InvalidArgument(format!(
                "unsupported PoP HTTP method {:?}: expected GET, POST, PUT, DELETE or PATCH",
                truncate(s, 32)
            ))),
        }
    }
}

impl TryFrom<&http::Method> for HttpMethod {
    type Error = Error;

    /// Converts an `http::Method`, so a PoP scheme can be built from the request it will sign.
    ///
    /// ```
    /// use msal_pop::HttpMethod;
    ///
    /// assert_eq!(HttpMethod::try_from(&http::Method::PUT).unwrap(), HttpMethod::Put);
    /// assert!(HttpMethod::try_from(&http::Method::HEAD).is_err());
    /// ```
    fn try_from(m: &http::Method) -> Result<Self, Error> {
        m.as_str().parse()
    }
}

impl From<HttpMethod> for http::Method {
    fn from(m: HttpMethod) -> Self {
        match m {
            HttpMethod::Get => http::Method::GET,
            HttpMethod::Post => http::Method::POST,
            HttpMethod::Put => http::Method::PUT,
            HttpMethod::Delete => http::Method::DELETE,
            HttpMethod::Patch => http::Method::PATCH,
        }
    }
}

/// At most `max` characters of `s`, so an error message never echoes unbounded input.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
