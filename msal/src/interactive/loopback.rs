//! The loopback listener that receives the browser's answer: a minimal HTTP/1.1 server on
//! 127.0.0.1 (and [::1]), written by hand so the facade needs no HTTP server dependency.
//!
//! It reads one request per connection, each with its own deadline and size caps, so a stalled
//! or hostile local client cannot hold the sign-in up. Connections are served concurrently (a
//! browser may open an idle speculative connection next to the real one).

use std::{
    future::Future,
    io,
    net::{Ipv4Addr, Ipv6Addr, SocketAddr},
    pin::Pin,
    sync::atomic::{AtomicBool, Ordering},
    task::Poll,
    time::Duration,
};

use msal_core::{AccessToken, Error, Result, ServiceError};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::{TcpListener, TcpStream},
};

use super::pages::{Page, Templates, Vars};
use crate::AuthResponse;

/// How long one connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long writing a page may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// The most bytes of request line and headers read.
const MAX_HEAD: usize = 16 * 1024;
/// The most bytes of a form body read (an authorization response is far smaller).
const MAX_BODY: usize = 64 * 1024;
/// Connections served at once; more are closed unanswered.
const MAX_CONNECTIONS: usize = 32;
/// Tries to find an ephemeral port free on both 127.0.0.1 and [::1].
const BIND_ATTEMPTS: usize = 5;

/// Which loopback addresses to listen on, from the redirect URI's host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoopbackHost {
    /// `localhost`: the browser may resolve it to either address, so both are bound.
    Localhost,
    /// An IPv4 literal in 127.0.0.0/8: exactly that address is bound. Binding 127.0.0.1 for
    /// a redirect to 127.0.0.2 would send the browser to an address any local process could
    /// hold, and hand it the code.
    V4(Ipv4Addr),
    /// `[::1]`.
    V6,
}

/// The bound listeners. Dropping it closes them.
#[derive(Debug)]
pub(crate) struct Loopback {
    listeners: Vec<TcpListener>,
    port: u16,
}

/// What a valid answer must carry, and what the pages show.
#[derive(Debug)]
pub(crate) struct Expect<'e> {
    pub(crate) state: &'e str,
    pub(crate) templates: &'e Templates,
    pub(crate) auth_uri: &'e str,
    pub(crate) abort_uri: &'e str,
}

/// What one request means for the sign-in: `None` keeps waiting, `Some` ends it, except
/// `Some(Err(Error::StateMismatch))`, an answer refused for its `state`, after which
/// [`Loopback::wait`] keeps waiting too.
type Outcome = Option<Result<AuthResponse>>;
type Connection<'c> = Pin<Box<dyn Future<Output = Outcome> + Send + 'c>>;

impl Loopback {
    /// Binds the loopback address(es) on `port`, or on an ephemeral port when `None` or 0.
    /// Never binds a wildcard address: only this machine may answer.
    pub(crate) async fn bind(host: LoopbackHost, port: Option<u16>) -> Result<Self> {
        let wanted = port.unwrap_or(0);
        let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, wanted));
        let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, wanted));
        match host {
            LoopbackHost::V4(ip) => Self::single(SocketAddr::from((ip, wanted)), wanted).await,
            LoopbackHost::V6 => Self::single(v6, wanted).await,
            LoopbackHost::Localhost => {
                for _ in 0..BIND_ATTEMPTS {
                    let first = Self::single(v4, wanted).await?;
                    let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, first.port));
                    match TcpListener::bind(v6).await {
                        Ok(l) => {
                            let mut both = first;
                            both.listeners.push(l);
                            return Ok(both);
                        }
                        // Another program holds [::1] on the port we got for 127.0.0.1: a
                        // browser resolving localhost to ::1 would hand it the code. Try
                        // another ephemeral port; a fixed port is the caller's to fix.
                        Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                            if wanted != 0 {
                                return Err(bind_error(v6, &e));
                            }
                        }
                        // No IPv6 on this machine: 127.0.0.1 alone serves every browser.
                        Err(_) => return Ok(first),
                    }
                }
                Err(Error::InvalidArgument(
                    "found no port free on both 127.0.0.1 and [::1]".into(),
                ))
            }
        }
    }

    async fn single(addr: SocketAddr, wanted: u16) -> Result<Self> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| bind_error(addr, &e))?;
        let port = match wanted {
            0 => listener
                .local_addr()
                .map_err(|e| bind_error(addr, &e))?
                .port(),
            p => p,
        };
        Ok(Self {
            listeners: vec![listener],
            port,
        })
    }

    /// The port bound.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Serves until an answer ends the sign-in: `Ok` with a code (state checked), or the error
    /// the answer carried, or `timeout` passes ([`Error::Timeout`]).
    ///
    /// Stray requests are answered and the wait goes on: a favicon or a reload gets a 404, and
    /// an answer whose `state` is wrong or missing gets the failure page, as MSAL Python's
    /// `msal/oauth2cli/authcode.py` does, so that any local process that can reach the port
    /// cannot end the sign-in (and its code is never redeemed). When the deadline passes after
    /// such an answer, the error is [`Error::StateMismatch`], which says more than a timeout.
    pub(crate) async fn wait(
        &self,
        expect: &Expect<'_>,
        timeout: Option<Duration>,
    ) -> Result<AuthResponse> {
        let refused = AtomicBool::new(false);
        let answered = self.serve_until_answered(expect, &refused);
        let Some(limit) = timeout else {
            return answered.await;
        };
        match tokio::time::timeout(limit, answered).await {
            Ok(done) => done,
            Err(_) if refused.load(Ordering::Relaxed) => Err(Error::StateMismatch),
            Err(_) => Err(Error::Timeout),
        }
    }

    /// Serves connections until one ends the sign-in; notes in `refused` any answer refused for
    /// its `state`.
    async fn serve_until_answered(
        &self,
        expect: &Expect<'_>,
        refused: &AtomicBool,
    ) -> Result<AuthResponse> {
        let mut connections: Vec<Connection<'_>> = Vec::new();
        std::future::poll_fn(|cx| {
            for listener in &self.listeners {
                loop {
                    match listener.poll_accept(cx) {
                        Poll::Ready(Ok((stream, _))) => {
                            if connections.len() < MAX_CONNECTIONS {
                                connections.push(Box::pin(serve(stream, expect)));
                            }
                        }
                        Poll::Ready(Err(e)) => {
                            // A failed accept (a reset connection, too many open files) is
                            // not the end of the sign-in; try again on the next turn.
                            tracing::debug!(target: "msal::interactive", error = %e, "loopback accept failed");
                            cx.waker().wake_by_ref();
                            break;
                        }
                        Poll::Pending => break,
                    }
                }
            }
            let mut i = 0;
            while i < connections.len() {
                match connections[i].as_mut().poll(cx) {
                    // Not this sign-in's answer (or a forgery): refused, keep waiting.
                    Poll::Ready(Some(Err(Error::StateMismatch))) => {
                        tracing::warn!(target: "msal::interactive", "refused an answer on the loopback redirect whose state does not match; still waiting");
                        refused.store(true, Ordering::Relaxed);
                        drop(connections.swap_remove(i));
                    }
                    Poll::Ready(Some(done)) => return Poll::Ready(done),
                    Poll::Ready(None) => {
                        drop(connections.swap_remove(i));
                    }
                    Poll::Pending => i += 1,
                }
            }
            Poll::Pending
        })
        .await
    }
}

fn bind_error(addr: SocketAddr, e: &io::Error) -> Error {
    Error::InvalidArgument(format!(
        "can't listen on {addr} for the sign-in answer ({e}); you may try port 0"
    ))
}

/// One HTTP request, as far as the listener cares.
#[derive(Debug)]
struct Request {
    method: String,
    target: String,
    form_body: Option<Vec<u8>>,
}

#[derive(Debug)]
enum ReadError {
    /// The peer went away or was too slow: nothing to answer.
    Gone,
    /// Not a request we can read: answered with the failure page.
    Malformed(&'static str),
}

/// Reads, answers and judges one connection.
async fn serve(mut stream: TcpStream, expect: &Expect<'_>) -> Outcome {
    let read = tokio::time::timeout(READ_TIMEOUT, read_request(&mut stream)).await;
    let (status, page, outcome) = match read {
        Ok(Ok(request)) => judge(&request, expect),
        Ok(Err(ReadError::Malformed(why))) => {
            let page = failure_page(expect, "invalid_request", why, "");
            (400, page, None)
        }
        Ok(Err(ReadError::Gone)) | Err(_) => return None,
    };
    let _ = tokio::time::timeout(WRITE_TIMEOUT, respond(&mut stream, status, &page)).await;
    outcome
}

/// Decides what a request means for the sign-in.
fn judge(request: &Request, expect: &Expect<'_>) -> (u16, Page, Outcome) {
    let fields = match (request.method.as_str(), &request.form_body) {
        ("POST", Some(body)) => AuthResponse::from_form(body),
        ("GET", _) => AuthResponse::from_query(
            request
                .target
                .split_once('?')
                .map(|(_, q)| q)
                .unwrap_or_default(),
        ),
        _ => {
            let page = failure_page(expect, "invalid_request", "unsupported request", "");
            return (400, page, None);
        }
    };
    // Too large, or a repeated parameter (which a real identity provider never sends): refused,
    // and the sign-in keeps waiting for the real answer.
    let Ok(fields) = fields else {
        let page = failure_page(
            expect,
            "invalid_request",
            "the authorization response is malformed or too large",
            "",
        );
        return (400, page, None);
    };
    let code = fields.get("code").filter(|c| !c.is_empty());
    let error = fields.get("error").filter(|e| !e.is_empty());
    if code.is_none() && error.is_none() {
        if fields.get("welcome") == Some("true")
            && let Some(page) = expect.templates.welcome(&vars(expect))
        {
            return (200, page, None);
        }
        // A favicon, a reload, a prefetch: not the answer, so keep waiting.
        return (404, plain("Not found"), None);
    }
    if error == Some("abort") && fields.get("state").is_none() {
        return (
            400,
            plain("Authentication aborted"),
            Some(Err(Error::Cancelled)),
        );
    }
    let state_ok = fields
        .get("state")
        .is_some_and(|s| AccessToken::new(s) == AccessToken::new(expect.state));
    if !state_ok {
        let page = failure_page(
            expect,
            "state_mismatch",
            "the answer does not belong to this sign-in",
            "",
        );
        return (400, page, Some(Err(Error::StateMismatch)));
    }
    if let Some(error) = error {
        let mut se = ServiceError::new(error);
        se.error_description = fields.get("error_description").map(str::to_owned);
        se.error_uri = fields.get("error_uri").map(str::to_owned);
        let page = failure_page(
            expect,
            error,
            fields.get("error_description").unwrap_or_default(),
            fields.get("error_uri").unwrap_or_default(),
        );
        let err = msal_core::token_endpoint::response::oauth_error(se);
        return (400, page, Some(Err(err)));
    }
    let page = expect.templates.success(&vars(expect));
    (200, page, Some(Ok(fields)))
}

fn vars<'v>(expect: &'v Expect<'_>) -> Vars<'v> {
    Vars {
        auth_uri: expect.auth_uri,
        abort_uri: expect.abort_uri,
        ..Vars::default()
    }
}

fn failure_page(expect: &Expect<'_>, error: &str, description: &str, uri: &str) -> Page {
    expect.templates.error(&Vars {
        error,
        error_description: description,
        error_uri: uri,
        ..vars(expect)
    })
}

fn plain(body: &str) -> Page {
    Page {
        html: false,
        body: body.to_owned(),
    }
}

/// Reads the request line, headers and (for a form POST) the body.
async fn read_request(stream: &mut TcpStream) -> Result<Request, ReadError> {
    let mut buf = Vec::with_capacity(2048);
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return Err(ReadError::Malformed("the request headers are too large"));
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.map_err(|_| ReadError::Gone)?;
        if n == 0 {
            return Err(ReadError::Gone);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end])
        .map_err(|_| ReadError::Malformed("the request is not text"))?;
    let mut lines = head.split("\r\n");
    let mut parts = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Malformed("not an HTTP request"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(ReadError::Malformed("not an HTTP/1 request"));
    }
    let mut content_length = None;
    let mut form = false;
    let mut continue_100 = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Malformed("a header line has no colon"));
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                let n: usize = value
                    .parse()
                    .map_err(|_| ReadError::Malformed("bad Content-Length"))?;
                if content_length.is_some_and(|m| m != n) {
                    return Err(ReadError::Malformed("conflicting Content-Length"));
                }
                content_length = Some(n);
            }
            "transfer-encoding" => {
                return Err(ReadError::Malformed("chunked bodies are not accepted"));
            }
            "content-type" => {
                form = value.split(';').next().is_some_and(|t| {
                    t.trim()
                        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                });
            }
            "expect" => continue_100 = value.eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
    }
    let mut request = Request {
        method: method.to_owned(),
        target: target.to_owned(),
        form_body: None,
    };
    if method != "POST" {
        return Ok(request);
    }
    if !form {
        return Err(ReadError::Malformed("the answer must be a form post"));
    }
    let len = content_length.unwrap_or(0);
    if len > MAX_BODY {
        return Err(ReadError::Malformed("the request body is too large"));
    }
    if continue_100 {
        stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .map_err(|_| ReadError::Gone)?;
    }
    let mut body = buf.split_off(head_end + 4);
    if body.len() < len {
        let mut rest = vec![0u8; len - body.len()];
        stream
            .read_exact(&mut rest)
            .await
            .map_err(|_| ReadError::Gone)?;
        body.extend_from_slice(&rest);
    }
    body.truncate(len);
    request.form_body = Some(body);
    Ok(request)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Writes a complete response and closes the connection.
async fn respond(stream: &mut TcpStream, status: u16, page: &Page) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let content_type = if page.html { "text/html" } else { "text/plain" };
    // no-store and no-referrer: the page's URL may carry the code (a query-mode answer).
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
         X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        page.body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(page.body.as_bytes()).await?;
    stream.flush().await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(templates: &Templates) -> Expect<'_> {
        Expect {
            state: "s1",
            templates,
            auth_uri: "https://login.example/authorize",
            abort_uri: "http://localhost:1/?error=abort",
        }
    }

    fn get(target: &str) -> Request {
        Request {
            method: "GET".into(),
            target: target.into(),
            form_body: None,
        }
    }

    fn post(body: &str) -> Request {
        Request {
            method: "POST".into(),
            target: "/".into(),
            form_body: Some(body.as_bytes().to_vec()),
        }
    }

    #[test]
    fn judging_answers() {
        let t = Templates::default();
        let e = expect(&t);
        let (status, _, outcome) = judge(&get("/favicon.ico"), &e);
        assert_eq!(status, 404);
        assert!(outcome.is_none());
        let (status, page, outcome) = judge(&post("code=c&state=s1"), &e);
        assert_eq!(status, 200);
        assert!(page.body.starts_with("Authentication complete."));
        assert!(matches!(outcome, Some(Ok(r)) if r.get("code") == Some("c")));
        let (status, _, outcome) = judge(&get("/?code=c&state=s1"), &e);
        assert_eq!(status, 200);
        assert!(matches!(outcome, Some(Ok(_))));
        let (status, page, outcome) = judge(&post("code=c&state=forged"), &e);
        assert_eq!(status, 400);
        assert!(page.body.contains("state_mismatch"));
        assert!(matches!(outcome, Some(Err(Error::StateMismatch))));
        let (_, _, outcome) = judge(&post("code=c"), &e);
        assert!(matches!(outcome, Some(Err(Error::StateMismatch))));
        let (status, page, outcome) = judge(
            &post("error=access_denied&error_description=no&state=s1"),
            &e,
        );
        assert_eq!(status, 400);
        assert!(page.body.contains("access_denied: no."));
        assert!(matches!(
            outcome,
            Some(Err(Error::AuthorizationDeclined(_)))
        ));
        let (_, _, outcome) = judge(&get("/?error=abort"), &e);
        assert!(matches!(outcome, Some(Err(Error::Cancelled))));
        let (status, _, outcome) = judge(&get("/?welcome=true"), &e);
        assert_eq!(status, 404);
        assert!(outcome.is_none());
        let mut request = get("/");
        request.method = "PUT".into();
        let (status, _, outcome) = judge(&request, &e);
        assert_eq!(status, 400);
        assert!(outcome.is_none());
    }

    /// Posts `body` to the listener on `port`; returns the answer's status.
    async fn post_to(port: u16, body: &str) -> u16 {
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .unwrap();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: \
             application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).await.unwrap();
        answer[9..12].parse().unwrap()
    }

    #[tokio::test]
    async fn a_wrong_state_is_refused_and_the_wait_goes_on() {
        let t = Templates::default();
        let e = expect(&t);
        let listener = Loopback::bind(LoopbackHost::V4(Ipv4Addr::LOCALHOST), None)
            .await
            .unwrap();
        let port = listener.port();
        let browser = async {
            assert_eq!(post_to(port, "code=stray&state=forged").await, 400);
            assert_eq!(post_to(port, "code=stray").await, 400);
            assert_eq!(post_to(port, "error=access_denied&state=forged").await, 400);
            assert_eq!(post_to(port, "code=real&state=s1").await, 200);
        };
        let (answer, ()) = tokio::join!(listener.wait(&e, Some(Duration::from_secs(10))), browser);
        assert_eq!(answer.unwrap().get("code"), Some("real"));
    }

    #[tokio::test]
    async fn the_deadline_after_a_refused_answer_is_a_state_mismatch() {
        let t = Templates::default();
        let e = expect(&t);
        let listener = Loopback::bind(LoopbackHost::V4(Ipv4Addr::LOCALHOST), None)
            .await
            .unwrap();
        let port = listener.port();
        let limit = Some(Duration::from_millis(500));
        let (answer, status) = tokio::join!(
            listener.wait(&e, limit),
            post_to(port, "code=stray&state=forged")
        );
        assert_eq!(status, 400);
        assert!(matches!(answer, Err(Error::StateMismatch)), "{answer:?}");
        // A favicon request is no answer at all: the deadline is a plain timeout.
        let favicon = async {
            let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                .await
                .unwrap();
            s.write_all(b"GET /favicon.ico HTTP/1.1\r\n\r\n")
                .await
                .unwrap();
            let mut answer = String::new();
            s.read_to_string(&mut answer).await.unwrap();
            answer
        };
        let (answer, page) = tokio::join!(listener.wait(&e, limit), favicon);
        assert!(page.starts_with("HTTP/1.1 404"), "{page}");
        assert!(matches!(answer, Err(Error::Timeout)), "{answer:?}");
    }

    #[tokio::test]
    async fn a_loopback_literal_is_bound_exactly() {
        let ip = Ipv4Addr::new(127, 0, 0, 2);
        let listener = match Loopback::bind(LoopbackHost::V4(ip), None).await {
            Ok(l) => l,
            // Some systems configure 127.0.0.1 only; then binding fails, typed, rather than
            // falling back to another address.
            Err(e) => {
                assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
                return;
            }
        };
        let addrs: Vec<SocketAddr> = listener
            .listeners
            .iter()
            .map(|l| l.local_addr().unwrap())
            .collect();
        assert_eq!(addrs, [SocketAddr::from((ip, listener.port()))]);
    }

    #[test]
    fn the_welcome_page_when_asked_for() {
        let t = Templates {
            welcome: Some("<a href=\"$auth_uri\">sign in</a>".into()),
            ..Templates::default()
        };
        let (status, page, outcome) = judge(&get("/?welcome=true"), &expect(&t));
        assert_eq!(status, 200);
        assert!(page.html);
        assert_eq!(
            page.body,
            "<a href=\"https://login.example/authorize\">sign in</a>"
        );
        assert!(outcome.is_none());
    }
}

#[cfg(test)]
mod props;
