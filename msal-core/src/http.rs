//! The transport seam: one async trait over `http` types.
//!
//! Protocol code builds an [`HttpRequest`] and gets an [`HttpResponse`] back; it never sees a
//! socket, a TLS stack or an async runtime. Backends live in their own crates
//! (`msal-http-reqwest`, `msal-http-hyper`) so a breaking release of reqwest or hyper never forces
//! one on the protocol crates, the lesson oauth2-rs learnt the hard way.
//!
//! Per-request options travel as typed [request extensions](http::Request::extensions):
//! [`RequestTimeout`], [`ResponseBodyLimit`] and [`PinnedServerCertificate`]. Every backend must
//! honour them or fail with [`TransportErrorKind::Unsupported`]; silently ignoring a pin would
//! turn a security control into decoration.

use std::{fmt, sync::Arc, time::Duration};

/// How long one request may take, body included, unless the app says otherwise: the one
/// default every transport and every flow uses (MSAL Python has none; 30 s is what MSAL.NET
/// and the Azure SDKs use).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a transport waits for a TCP (or proxy) connection by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A request as the protocol crates build it. Token bodies are small, so a `Vec<u8>` keeps `http`
/// the only foreign type in the API.
pub type HttpRequest = http::Request<Vec<u8>>;

/// A response as backends return it: status, headers and the whole body (capped, see
/// [`ResponseBodyLimit`]).
pub type HttpResponse = http::Response<Vec<u8>>;

/// A boxed error from a backend.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Sends HTTP requests for MSAL.
///
/// Implementations must not follow redirects (a redirect from a token endpoint is an attack or a
/// misconfiguration, never something to follow with a secret in the body) and must honour the
/// request extensions of this module.
///
/// ```
/// use msal_core::http::{HttpClient, HttpRequest, HttpResponse, TransportError};
///
/// /// A client that answers every request with 503: handy in tests.
/// #[derive(Debug)]
/// struct AlwaysUnavailable;
///
/// #[async_trait::async_trait]
/// impl HttpClient for AlwaysUnavailable {
///     async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportError> {
///         Ok(http::Response::builder().status(503).body(Vec::new()).unwrap())
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait HttpClient: Send + Sync + fmt::Debug {
    /// Sends one request. Never follows redirects. Honours [`RequestTimeout`],
    /// [`ResponseBodyLimit`] and [`PinnedServerCertificate`].
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

#[async_trait::async_trait]
impl<T: HttpClient + ?Sized> HttpClient for Arc<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
    }
}

#[async_trait::async_trait]
impl<T: HttpClient + ?Sized> HttpClient for Box<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
    }
}

/// Request extension: the deadline for the whole request, connect to last body byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_structs,
    reason = "a request extension: one value, set by name"
)]
pub struct RequestTimeout(pub Duration);

/// Request extension: the most body bytes the backend may read. A longer body is
/// [`TransportErrorKind::BodyTooLarge`], and the backend stops reading at the limit instead of
/// allocating whatever a hostile server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_structs,
    reason = "a request extension: one value, set by name"
)]
pub struct ResponseBodyLimit(pub usize);

impl ResponseBodyLimit {
    /// The limit MSAL puts on identity-provider responses: 1 MiB, far above any real token
    /// response (a few KiB) and far below anything that would hurt.
    pub const DEFAULT: ResponseBodyLimit = ResponseBodyLimit(1024 * 1024);
}

/// Request extension: trust exactly one server certificate, identified by the SHA-1 of its DER,
/// instead of the usual roots, and bypass any proxy.
///
/// This is how Service Fabric's managed-identity endpoint is authenticated: it presents a
/// self-signed certificate whose thumbprint the runtime puts in `IDENTITY_SERVER_THUMBPRINT`.
#[derive(Clone, Copy, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_structs,
    reason = "a request extension: the pin is all it is"
)]
pub struct PinnedServerCertificate {
    /// SHA-1 of the leaf certificate's DER encoding.
    pub sha1: [u8; 20],
}

impl PinnedServerCertificate {
    /// Parses a hex thumbprint (40 hex digits, case-insensitive, `:` separators allowed).
    pub fn from_hex(hex: &str) -> Option<Self> {
        let digits: Vec<u8> = hex.bytes().filter(|b| *b != b':').collect();
        if digits.len() != 40 {
            return None;
        }
        let mut sha1 = [0u8; 20];
        for (i, pair) in digits.chunks(2).enumerate() {
            let s = std::str::from_utf8(pair).ok()?;
            sha1[i] = u8::from_str_radix(s, 16).ok()?;
        }
        Some(Self { sha1 })
    }
}

impl fmt::Debug for PinnedServerCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex: String = self.sha1.iter().map(|b| format!("{b:02X}")).collect();
        f.debug_struct("PinnedServerCertificate")
            .field("sha1", &hex)
            .finish()
    }
}

/// A response body read against a [`ResponseBodyLimit`], shared by every backend so they refuse
/// oversize bodies the same way: before reading when the announced length is over the limit, and
/// as soon as the bytes read pass it otherwise. The buffer reserved up front is capped, since an
/// announced length is the server's claim, not a promise.
///
/// ```
/// use msal_core::http::{LimitedBody, TransportErrorKind};
/// let mut body = LimitedBody::new(8, Some(5)).unwrap();
/// body.push(b"hello").unwrap();
/// assert_eq!(body.push(b"world").unwrap_err().kind(), TransportErrorKind::BodyTooLarge);
/// assert!(LimitedBody::new(8, Some(9)).is_err());
/// ```
#[doc(hidden)] // a helper for the transport crates of msal-rs, not stable API
#[derive(Debug)]
pub struct LimitedBody {
    body: Vec<u8>,
    limit: usize,
}

impl LimitedBody {
    /// The most bytes reserved before any arrive.
    const MAX_PREALLOCATION: usize = 64 * 1024;

    /// Starts a body of at most `limit` bytes; fails at once when `announced` (Content-Length)
    /// is already over it.
    pub fn new(limit: usize, announced: Option<u64>) -> Result<Self, TransportError> {
        if let Some(length) = announced
            && length > limit as u64
        {
            return Err(TransportError::new(
                TransportErrorKind::BodyTooLarge,
                format!("the server announced {length} bytes, over the {limit}-byte limit"),
            ));
        }
        let capacity = announced
            .and_then(|length| usize::try_from(length).ok())
            .unwrap_or(0)
            .min(Self::MAX_PREALLOCATION);
        Ok(Self {
            body: Vec::with_capacity(capacity),
            limit,
        })
    }

    /// Appends a chunk, failing when the body would pass the limit.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), TransportError> {
        if chunk.len() > self.limit - self.body.len() {
            return Err(TransportError::new(
                TransportErrorKind::BodyTooLarge,
                format!("the body passed the {}-byte limit", self.limit),
            ));
        }
        self.body.extend_from_slice(chunk);
        Ok(())
    }

    /// The bytes read.
    pub fn into_bytes(self) -> Vec<u8> {
        self.body
    }
}

/// Clients built for one [`PinnedServerCertificate`] each, reused per pin. A backend's TLS
/// verifier is fixed per client, so a pinned request needs its own client; a Service Fabric
/// workload asks with the same pin every time, so it is built once.
#[doc(hidden)] // a helper for the transport crates of msal-rs, not stable API
pub struct PinnedClients<C> {
    clients: std::sync::Mutex<std::collections::HashMap<[u8; 20], C>>,
}

impl<C> Default for PinnedClients<C> {
    fn default() -> Self {
        Self {
            clients: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }
}

impl<C> fmt::Debug for PinnedClients<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.clients.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("PinnedClients").field("pins", &n).finish()
    }
}

impl<C: Clone> PinnedClients<C> {
    /// The client for `pin`, built with `build` the first time.
    pub fn get_or_build(
        &self,
        pin: PinnedServerCertificate,
        build: impl FnOnce(PinnedServerCertificate) -> Result<C, TransportError>,
    ) -> Result<C, TransportError> {
        // A poisoned lock only means another request panicked mid-insert; the map is still valid.
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = clients.get(&pin.sha1) {
            return Ok(client.clone());
        }
        let client = build(pin)?;
        clients.insert(pin.sha1, client.clone());
        Ok(client)
    }

    /// The client a request goes through: without a pin, `main` (or, if it could not be built,
    /// an error carrying why); with one, that pin's client from
    /// [`get_or_build`](Self::get_or_build). Both backends pick their client this way.
    pub fn select(
        &self,
        main: &Result<C, String>,
        pin: Option<PinnedServerCertificate>,
        build: impl FnOnce(PinnedServerCertificate) -> Result<C, TransportError>,
    ) -> Result<C, TransportError> {
        match pin {
            Some(pin) => self.get_or_build(pin, build),
            None => main.clone().map_err(|reason| {
                TransportError::new(
                    TransportErrorKind::Other,
                    format!("the HTTP client could not be built: {reason}"),
                )
            }),
        }
    }
}

/// What went wrong below HTTP.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportErrorKind {
    /// The connection could not be established (refused, DNS, unreachable, reset before a response).
    Connect,
    /// The [`RequestTimeout`] (or the backend's own timeout) elapsed.
    Timeout,
    /// The TLS handshake failed: untrusted certificate, pin mismatch, protocol error.
    Tls,
    /// The body was longer than the [`ResponseBodyLimit`].
    BodyTooLarge,
    /// An I/O error during the exchange.
    Io,
    /// The backend cannot honour something the request asked for.
    Unsupported,
    /// Anything else.
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connection failed",
            Self::Timeout => "request timed out",
            Self::Tls => "TLS failure",
            Self::BodyTooLarge => "response body too large",
            Self::Io => "I/O error",
            Self::Unsupported => "unsupported by the HTTP backend",
            Self::Other => "transport error",
        })
    }
}

/// An error below HTTP: the request may or may not have reached the server.
///
/// The message names the host and port the request was for, when the backend set them with
/// [`with_host_of`](Self::with_host_of): `connection failed (host login.example:443): …`. It
/// never contains the path, the query, user info or the request body, so no secret leaks
/// through it.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportErrorKind,
    /// `host:port` (IPv6 literals in brackets).
    host: Option<String>,
    source: BoxError,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Some(host) => write!(f, "{} (host {host}): {}", self.kind, self.source),
            None => write!(f, "{}: {}", self.kind, self.source),
        }
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

impl Clone for TransportError {
    fn clone(&self) -> Self {
        Self {
            kind: self.kind,
            host: self.host.clone(),
            source: ClonedError::boxed(self.source.as_ref()),
        }
    }
}

/// The message of an error whose concrete type could not be cloned.
#[derive(Debug)]
pub(crate) struct ClonedError(String);

impl ClonedError {
    pub(crate) fn boxed(e: &(dyn std::error::Error + Send + Sync + 'static)) -> BoxError {
        let mut msg = e.to_string();
        let mut src = e.source();
        while let Some(s) = src {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            src = s.source();
        }
        Box::new(ClonedError(msg))
    }
}

impl fmt::Display for ClonedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ClonedError {}

impl TransportError {
    /// A new error of `kind` caused by `source`.
    pub fn new(kind: TransportErrorKind, source: impl Into<BoxError>) -> Self {
        Self {
            kind,
            host: None,
            source: source.into(),
        }
    }

    /// Names the host and port of `uri` in the message (the scheme's default port when the URI
    /// has none), unless a host is already named. Backends call this for every error of a
    /// request: "connection failed" alone does not say whether the authority, instance
    /// discovery or a managed-identity endpoint was unreachable. Only the host and port are
    /// kept; the path and query can carry secrets, and user info is dropped.
    pub fn with_host_of(mut self, uri: &http::Uri) -> Self {
        if self.host.is_none() {
            self.host = host_and_port(uri);
        }
        self
    }

    /// The `host:port` the failed request was for, if the backend named it.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// Whether the request is worth one more try: connection failures and timeouts are.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Io
        )
    }
}

/// Whether `host` names this machine: `localhost` (any case), an IPv4 literal in 127.0.0.0/8,
/// or the IPv6 loopback `::1` (bracketed or not). DNS names are never loopback, whatever they
/// start with: `127.0.0.1.nip.io` resolves wherever its owner likes.
///
/// The one test every "plain http is tolerated here" and "this is a local redirect" decision
/// uses, so the rule cannot drift between crates.
///
/// ```
/// use msal_core::http::is_loopback_host;
/// assert!(is_loopback_host("127.0.0.1") && is_loopback_host("127.8.9.10"));
/// assert!(is_loopback_host("[::1]") && is_loopback_host("LocalHost"));
/// assert!(!is_loopback_host("127.evil.example") && !is_loopback_host("127.0.0.1.nip.io"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Ok(v4) = host.parse::<std::net::Ipv4Addr>() {
        return v4.is_loopback();
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<std::net::Ipv6Addr>()
        .is_ok_and(|v6| v6 == std::net::Ipv6Addr::LOCALHOST)
}

/// `host:port` of `uri`: the port from the URI or the scheme's default, IPv6 literals in
/// brackets (as `Uri::host` gives them), never user info.
fn host_and_port(uri: &http::Uri) -> Option<String> {
    let host = uri.host().filter(|h| !h.is_empty())?;
    let port = uri.port_u16().or(match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("https") => Some(443),
        Some(s) if s.eq_ignore_ascii_case("http") => Some(80),
        _ => None,
    });
    // Lowercase, as DNS compares names: the message reads the same however the URL was typed.
    let host = host.to_ascii_lowercase();
    Some(match port {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_uses_main_without_a_pin_and_builds_each_pin_once() {
        let clients: PinnedClients<u32> = PinnedClients::default();
        assert_eq!(clients.select(&Ok(1), None, |_| Ok(2)).unwrap(), 1);
        let broken = clients
            .select(&Err("no roots".into()), None, |_| Ok(2))
            .unwrap_err();
        assert_eq!(broken.kind(), TransportErrorKind::Other);
        assert!(broken.to_string().contains("no roots"));
        let pin = PinnedServerCertificate { sha1: [7; 20] };
        assert_eq!(clients.select(&Ok(1), Some(pin), |_| Ok(2)).unwrap(), 2);
        // Built once: a second build would give 3.
        assert_eq!(clients.select(&Ok(1), Some(pin), |_| Ok(3)).unwrap(), 2);
    }

    #[test]
    fn loopback_hosts_are_ip_literals_or_localhost() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "::1",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "127.evil.example",
            "127.0.0.1.nip.io",
            "127.0.0.1.",
            "localhost.example",
            "128.0.0.1",
            "0.0.0.0",
            "[::]",
            "[::ffff:127.0.0.1]",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn pinned_certificate_parses_hex_thumbprints() {
        let pin =
            PinnedServerCertificate::from_hex("00112233445566778899AABBCCDDEEFF00112233").unwrap();
        assert_eq!(pin.sha1[0], 0x00);
        assert_eq!(pin.sha1[19], 0x33);
        assert_eq!(
            PinnedServerCertificate::from_hex(
                "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33"
            ),
            Some(pin)
        );
        assert!(PinnedServerCertificate::from_hex("0011").is_none());
        assert!(
            PinnedServerCertificate::from_hex("zz112233445566778899AABBCCDDEEFF00112233").is_none()
        );
        assert!(PinnedServerCertificate::from_hex("ééé").is_none());
    }

    #[test]
    fn transport_error_names_host_and_port_but_not_path_query_or_user_info() {
        let uri = http::Uri::from_static("https://user:pw@Login.Example:8443/t/token?code=SECRET");
        let e = TransportError::new(TransportErrorKind::Connect, "refused").with_host_of(&uri);
        assert_eq!(e.host(), Some("login.example:8443"));
        assert_eq!(
            e.to_string(),
            "connection failed (host login.example:8443): refused"
        );
        assert_eq!(e.clone().to_string(), e.to_string());
        // The first host named wins: a backend's inner, more precise one is kept.
        let other = http::Uri::from_static("http://other.example/");
        assert_eq!(e.with_host_of(&other).host(), Some("login.example:8443"));
    }

    #[test]
    fn transport_error_host_gets_the_scheme_default_port_and_ipv6_brackets() {
        let host = |uri: &'static str| {
            TransportError::new(TransportErrorKind::Connect, "x")
                .with_host_of(&http::Uri::from_static(uri))
                .host()
                .map(str::to_owned)
        };
        assert_eq!(
            host("https://login.example/x").as_deref(),
            Some("login.example:443")
        );
        assert_eq!(
            host("http://169.254.169.254/x").as_deref(),
            Some("169.254.169.254:80")
        );
        assert_eq!(host("http://[::1]:8080/x").as_deref(), Some("[::1]:8080"));
        assert_eq!(host("/relative"), None);
    }

    #[test]
    fn transport_error_shows_kind_and_source() {
        let e = TransportError::new(TransportErrorKind::Timeout, "after 30s");
        assert_eq!(e.to_string(), "request timed out: after 30s");
        assert!(e.is_retryable());
        assert!(!TransportError::new(TransportErrorKind::Tls, "bad cert").is_retryable());
    }
}
