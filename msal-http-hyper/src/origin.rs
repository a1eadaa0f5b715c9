//! Where a request goes, and the request as an origin server expects it.

use http::{HeaderValue, Request, Uri, header::HOST, uri::Scheme};
use msal_core::http::{TransportError, TransportErrorKind};

/// The scheme, host and port a connection is for: the key of the connection pool.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    pub(crate) https: bool,
    /// Lowercase, IPv6 literals without their brackets.
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl Origin {
    /// The origin of an absolute `http` or `https` URI; anything else is refused.
    pub(crate) fn of(uri: &Uri) -> Result<Self, TransportError> {
        let https = match uri.scheme() {
            Some(s) if *s == Scheme::HTTPS => true,
            Some(s) if *s == Scheme::HTTP => false,
            _ => {
                return Err(TransportError::new(
                    TransportErrorKind::Unsupported,
                    "only absolute http and https URLs can be sent",
                ));
            }
        };
        let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(|| {
            TransportError::new(TransportErrorKind::Unsupported, "the URL has no host")
        })?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        Ok(Self {
            https,
            host: host.to_ascii_lowercase(),
            port: uri.port_u16().unwrap_or(if https { 443 } else { 80 }),
        })
    }
}

/// Rewrites an absolute-form request into what HTTP/1.1 sends to an origin server: `Host` from
/// the URI's authority (unless the caller set one) and the path and query as the target.
pub(crate) fn to_origin_form<B>(mut request: Request<B>) -> Result<Request<B>, TransportError> {
    let uri = request.uri().clone();
    if !request.headers().contains_key(HOST)
        && let Some(authority) = uri.authority()
    {
        // `authority` has no user info here (`http` rejects none, but we never send it).
        let host = match authority.as_str().rsplit_once('@') {
            Some((_, host)) => host,
            None => authority.as_str(),
        };
        let value = HeaderValue::from_str(host).map_err(|_| {
            TransportError::new(
                TransportErrorKind::Unsupported,
                "the URL's host is not a valid header",
            )
        })?;
        request.headers_mut().insert(HOST, value);
    }
    let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
    *request.uri_mut() = Uri::try_from(target).map_err(|_| {
        TransportError::new(
            TransportErrorKind::Unsupported,
            "the URL's path is not valid",
        )
    })?;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_default_ports_and_drop_brackets() {
        let o = Origin::of(&Uri::from_static("https://Login.Example.com/t")).unwrap();
        assert_eq!(
            (o.https, o.host.as_str(), o.port),
            (true, "login.example.com", 443)
        );
        let o = Origin::of(&Uri::from_static("http://[::1]:8080/x")).unwrap();
        assert_eq!((o.https, o.host.as_str(), o.port), (false, "::1", 8080));
        assert!(Origin::of(&Uri::from_static("/relative")).is_err());
        assert!(Origin::of(&Uri::from_static("ftp://host/x")).is_err());
    }

    #[test]
    fn origin_form_keeps_query_and_sets_host() {
        let r = Request::get("https://h.example:8443/a/b?c=d")
            .body(())
            .unwrap();
        let r = to_origin_form(r).unwrap();
        assert_eq!(r.uri(), "/a/b?c=d");
        assert_eq!(r.headers()[HOST], "h.example:8443");
        let r = Request::get("http://h.example")
            .header(HOST, "other")
            .body(())
            .unwrap();
        let r = to_origin_form(r).unwrap();
        assert_eq!(r.uri(), "/");
        assert_eq!(r.headers()[HOST], "other");
    }
}
