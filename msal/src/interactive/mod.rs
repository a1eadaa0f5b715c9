//! Interactive sign-in with the system browser and a loopback redirect (RFC 8252; MSAL Python's `msal/oauth2cli/authcode.py`).
//!
//! The listener is bound first, so the redirect URI sent names the port actually held; the
//! browser then signs the user in and posts the answer (`response_mode=form_post`, which keeps
//! the code out of the browser history) to `http://localhost:{port}`; the code is redeemed with
//! the PKCE verifier, and the ID token's nonce and `auth_time` are checked as in the auth code
//! flow.

mod browser;
mod loopback;
mod pages;

use std::{fmt, future::Future, pin::Pin, task::Poll, time::Duration};

use msal_core::{
    AuthenticationResult, AuthorizationCode, Error, Prompt, ResponseMode, Result,
    id_token::ClientInfo,
};
use sha2::{Digest as _, Sha256};

pub use browser::{BrowserOpener, SystemBrowser, Ui};
use loopback::{Expect, Loopback, LoopbackHost};
use pages::Templates;

use crate::{
    ParentWindow,
    app::core::AppCore,
    flows::auth_code::{AuthorizeParams, IdTokenCheck, RedeemCode, build_flow, redeem_code},
    request::{RequestOptions, into_future},
};

type CancelFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
type Callback<'a, T> = Box<dyn Fn(T) + Send + Sync + 'a>;
type AuthUriCallback<'a> = Box<dyn Fn(&str) + Send + Sync + 'a>;

/// `acquire_token_interactive`: see
/// [`PublicClientApplication::acquire_token_interactive`](crate::PublicClientApplication::acquire_token_interactive).
///
/// ```no_run
/// # async fn run(app: msal::PublicClientApplication) -> msal::Result<()> {
/// use std::time::Duration;
/// let result = app
///     .acquire_token_interactive(["User.Read"])
///     .prompt(msal::Prompt::SelectAccount)
///     .timeout(Duration::from_secs(300))
///     .cancel_on(async { /* e.g. tokio::signal::ctrl_c() */ })
///     .await?;
/// # let _ = result; Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct AcquireTokenInteractive<'a> {
    core: &'a AppCore,
    scopes: Vec<String>,
    params: AuthorizeParams,
    options: RequestOptions,
    timeout: Option<Duration>,
    port: Option<u16>,
    parent_window: Option<ParentWindow>,
    on_before_launching_ui: Option<Callback<'a, Ui>>,
    templates: Templates,
    browser: Option<Box<dyn BrowserOpener>>,
    on_auth_uri: Option<AuthUriCallback<'a>>,
    cancel: Option<CancelFuture<'a>>,
}

impl fmt::Debug for AcquireTokenInteractive<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireTokenInteractive")
            .field("scopes", &self.scopes)
            .field("prompt", &self.params.prompt)
            .field("redirect_uri", &self.params.redirect_uri)
            .field("port", &self.port)
            .field("timeout", &self.timeout)
            .field("parent_window", &self.parent_window)
            .field("browser", &self.browser)
            .finish_non_exhaustive()
    }
}

impl<'a> AcquireTokenInteractive<'a> {
    pub(crate) fn new(core: &'a AppCore, scopes: Vec<String>) -> Self {
        Self {
            core,
            scopes,
            params: AuthorizeParams::default(),
            options: RequestOptions::default(),
            timeout: None,
            port: None,
            parent_window: None,
            on_before_launching_ui: None,
            templates: Templates::default(),
            browser: None,
            on_auth_uri: None,
            cancel: None,
        }
    }

    /// The `prompt` behaviour (`SelectAccount`, `Login`, `Consent`, `Create`, `None`).
    pub fn prompt(mut self, prompt: Prompt) -> Self {
        self.params.prompt = Some(prompt);
        self
    }

    /// Pre-fills the user name on the sign-in page.
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.params.login_hint = Some(hint.into());
        self
    }

    /// `consumers` or `organizations`, or a domain, to skip home-realm discovery.
    pub fn domain_hint(mut self, hint: impl Into<String>) -> Self {
        self.params.domain_hint = Some(hint.into());
        self
    }

    /// A claims challenge (JSON) to satisfy, sent with the sign-in and the token request.
    pub fn claims_challenge(mut self, claims: impl Into<String>) -> Self {
        let claims = claims.into();
        self.params.claims_challenge = Some(claims.clone());
        self.options.claims_challenge = Some(claims);
        self
    }

    /// Give up with [`Error::Timeout`] when the browser has not answered within `timeout`
    /// (default: wait until answered or cancelled), or with [`Error::StateMismatch`] when the
    /// only answers were refused for a wrong or missing `state`. Covers the wait for the browser
    /// only, not the code redemption that follows.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The loopback port to listen on (default: an ephemeral port; 0 means the same).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The redirect URI: `http://localhost`, an address in 127.0.0.0/8 such as
    /// `http://127.0.0.1`, or `http://[::1]`, with an optional path and port (default
    /// `http://localhost:{port}`). The listener binds exactly the address named (127.0.0.1 and
    /// `[::1]` for `localhost`), and the port actually bound is sent.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.params.redirect_uri = Some(uri.into());
        self
    }

    /// More scopes for the user to consent to now; the token is still for the main scopes.
    pub fn extra_scopes_to_consent(
        mut self,
        scopes: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Self {
        self.params.extra_scopes_to_consent = msal_core::token_endpoint::scopes::collect(scopes);
        self
    }

    /// Require a sign-in no older than this (checked against the ID token's `auth_time`).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.params.max_age = Some(max_age);
        self
    }

    /// The window the sign-in belongs to. Accepted for parity with MSAL Python; only a broker
    /// would use it.
    pub fn parent_window_handle(mut self, window: ParentWindow) -> Self {
        self.parent_window = Some(window);
        self
    }

    /// Called just before the browser opens (to tell a console user what happens next).
    pub fn on_before_launching_ui(mut self, f: impl Fn(Ui) + Send + Sync + 'a) -> Self {
        self.on_before_launching_ui = Some(Box::new(f));
        self
    }

    /// A page shown first, at `http://localhost:{port}?welcome=true`, which should link to
    /// `$auth_uri` (and may link to `$abort_uri`). HTML when it starts with `<`.
    pub fn welcome_template(mut self, html: impl Into<String>) -> Self {
        self.templates.welcome = Some(html.into());
        self
    }

    /// The page shown after a successful sign-in. HTML when it starts with `<`.
    pub fn success_template(mut self, html: impl Into<String>) -> Self {
        self.templates.success = Some(html.into());
        self
    }

    /// The page shown after a failed sign-in: `$error`, `$error_description` and `$error_uri`
    /// are substituted (HTML-escaped in an HTML template). HTML when it starts with `<`.
    pub fn error_template(mut self, html: impl Into<String>) -> Self {
        self.templates.error = Some(html.into());
        self
    }

    /// How to open the sign-in page (default: [`SystemBrowser`]).
    pub fn browser_opener(mut self, opener: impl BrowserOpener + 'static) -> Self {
        self.browser = Some(Box::new(opener));
        self
    }

    /// Called with the sign-in URL when no browser could be opened, to show it to the user
    /// (who can open it on this machine). Without it, the URL is printed on stderr, and the
    /// sign-in goes on waiting, as MSAL Python does (`msal/oauth2cli/authcode.py`).
    pub fn on_auth_uri(mut self, f: impl Fn(&str) + Send + Sync + 'a) -> Self {
        self.on_auth_uri = Some(Box::new(f));
        self
    }

    /// Stop (with [`Error::Cancelled`], closing the listener) when `fut` completes, e.g.
    /// `tokio::signal::ctrl_c()`. Dropping the request's future cancels too.
    pub fn cancel_on<F>(mut self, fut: F) -> Self
    where
        F: Future + Send + 'a,
    {
        self.cancel = Some(Box::pin(async move {
            let _ = fut.await;
        }));
        self
    }

    /// The `client-request-id` of the token request (a new UUID by default).
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.options.correlation_id = Some(id.into());
        self
    }

    /// An extra query parameter of the sign-in URL the browser opens (OIDC `ui_locales`,
    /// `acr_values`, ...; MSAL Python's `**kwargs`).
    pub fn auth_uri_query_param(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.params.extra_query.push((key.into(), value.into()));
        self
    }

    /// The old name of [`auth_uri_query_param`](Self::auth_uri_query_param). Everywhere else
    /// `extra_query_param` adds to the token request, so here the name misled.
    #[deprecated(note = "use `auth_uri_query_param`: this parameter goes on the sign-in URL")]
    pub fn extra_query_param(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.auth_uri_query_param(key, value)
    }

    /// An extra form field for the token request (Python's `data=`).
    pub fn extra_body_param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.extra_body.push((key.into(), value.into()));
        self
    }

    /// Requests a Proof-of-Possession token bound to the app's PoP key.
    #[cfg(feature = "pop")]
    #[cfg_attr(docsrs, doc(cfg(feature = "pop")))]
    pub fn auth_scheme(mut self, scheme: msal_pop::PopAuthScheme) -> Self {
        self.options.auth_scheme = Some(scheme);
        self
    }

    /// Runs the sign-in: listen, open the browser, wait for the answer, redeem the code.
    pub async fn send(mut self) -> Result<AuthenticationResult> {
        match self.cancel.take() {
            None => self.run().await,
            Some(cancel) => race(self.run(), cancel).await,
        }
    }

    async fn run(self) -> Result<AuthenticationResult> {
        let core = self.core;
        self.options.validate()?;
        let target = RedirectTarget::parse(self.params.redirect_uri.as_deref(), self.port)?;
        // Bind before building the URL: the redirect URI must name the port we hold.
        let listener = Loopback::bind(target.host, target.port).await?;
        let redirect_uri = target.redirect_uri(listener.port());
        let mut params = self.params.clone();
        params.redirect_uri = Some(redirect_uri.clone());
        params.response_mode = Some(ResponseMode::FormPost);
        let flow = build_flow(core, &self.scopes, &params).await?;
        let abort_uri = with_query(&redirect_uri, "error=abort");
        tracing::info!(target: "msal::interactive", port = listener.port(), "waiting for the browser on the loopback redirect");

        if let Some(f) = &self.on_before_launching_ui {
            f(Ui::Browser);
        }
        let to_open = match self.templates.welcome {
            Some(_) => with_query(&redirect_uri, "welcome=true"),
            None => flow.auth_uri.clone(),
        };
        let opened = match &self.browser {
            Some(b) => b.open(&to_open),
            None => SystemBrowser.open(&to_open),
        };
        if let Err(e) = opened {
            match &self.on_auth_uri {
                Some(f) => f(&to_open),
                None => {
                    // Over SSH or in a container there is often no browser, yet the user can
                    // open the URL elsewhere (a forwarded or published port reaches the
                    // listener). Failing here would make interactive sign-in unusable there; so,
                    // like MSAL Python, show the URL where the user looks and keep waiting until
                    // the deadline. The log line leaves the URL out (logs are often kept).
                    tracing::warn!(target: "msal::interactive", error = %e, port = listener.port(),
                        "no browser could be opened; the sign-in URL is printed on stderr");
                    eprintln!(
                        "{}",
                        no_browser_notice(&to_open, listener.port(), self.timeout)
                    );
                }
            }
        }

        let expect = Expect {
            state: &flow.state,
            templates: &self.templates,
            auth_uri: &flow.auth_uri,
            abort_uri: &abort_uri,
        };
        let response = listener.wait(&expect, self.timeout).await?;
        // The answer is in: stop listening before the (networked) redemption.
        drop(listener);

        let code = response
            .get("code")
            .map(AuthorizationCode::new)
            .ok_or_else(|| Error::InvalidArgument("the answer has no code".into()))?;
        let anchor = response
            .get("client_info")
            .and_then(ClientInfo::decode)
            .map(|ci| format!("Oid:{}@{}", ci.uid, ci.utid));
        let redeem = RedeemCode {
            api: msal_core::token_endpoint::telemetry::ApiId::AcquireTokenInteractive,
            code,
            redirect_uri: Some(redirect_uri),
            code_verifier: Some(flow.code_verifier.clone()),
            anchor,
            check: IdTokenCheck {
                nonce: Some(sha256_hex(&flow.nonce)),
                max_age: flow.max_age,
            },
        };
        redeem_code(core, &self.scopes, redeem, &self.options).await
    }
}

into_future!(AcquireTokenInteractive, AuthenticationResult);

/// Where the browser is sent back to.
#[derive(Debug)]
struct RedirectTarget {
    /// The caller's URI, when given.
    given: Option<url::Url>,
    host: LoopbackHost,
    port: Option<u16>,
}

impl RedirectTarget {
    fn parse(redirect_uri: Option<&str>, port: Option<u16>) -> Result<Self> {
        let Some(raw) = redirect_uri else {
            return Ok(Self {
                given: None,
                host: LoopbackHost::Localhost,
                port,
            });
        };
        let invalid = || {
            Error::InvalidArgument(
                "the interactive redirect URI must be http://localhost, http://127.0.0.1 or \
                 http://[::1]"
                    .into(),
            )
        };
        let url = url::Url::parse(raw).map_err(|_| invalid())?;
        if url.scheme() != "http" || url.fragment().is_some() {
            return Err(invalid());
        }
        // The same loopback test the authority check uses; then which listener it needs.
        if !url
            .host_str()
            .is_some_and(msal_core::http::is_loopback_host)
        {
            return Err(invalid());
        }
        let host = match url.host() {
            Some(url::Host::Domain(_)) => LoopbackHost::Localhost,
            Some(url::Host::Ipv4(ip)) => LoopbackHost::V4(ip),
            Some(url::Host::Ipv6(_)) => LoopbackHost::V6,
            None => return Err(invalid()),
        };
        let port = match (url.port(), port) {
            (Some(a), Some(b)) if b != 0 && a != b => {
                return Err(Error::InvalidArgument(format!(
                    "the redirect URI's port {a} differs from the port option {b}"
                )));
            }
            (Some(a), _) => Some(a),
            (None, b) => b,
        };
        Ok(Self {
            given: Some(url),
            host,
            port,
        })
    }

    /// The redirect URI with the bound port: MSAL Python's `http://localhost:{port}` by default.
    fn redirect_uri(&self, port: u16) -> String {
        match &self.given {
            None => format!("http://localhost:{port}"),
            Some(url) => {
                let mut url = url.clone();
                let _ = url.set_port(Some(port));
                url.to_string()
            }
        }
    }
}

/// What the user reads on stderr when no browser opened (MSAL Python logs the same advice).
fn no_browser_notice(url: &str, port: u16, timeout: Option<Duration>) -> String {
    let until = match timeout {
        Some(t) => format!("for up to {t:?}"),
        None => "until it completes or is cancelled (Ctrl+C)".to_owned(),
    };
    format!(
        "No browser could be opened. To sign in, open this URL in a browser on this machine, or \
         on one from which port {port} of this machine is reachable as localhost (an SSH \
         forward `ssh -L {port}:localhost:{port}`, or a container started with \
         `docker run -p 127.0.0.1:{port}:{port}` or `--net=host`):\n\n    {url}\n\n\
         Waiting for the sign-in {until}."
    )
}

/// `base` with its query replaced by `query`.
fn with_query(base: &str, query: &str) -> String {
    match url::Url::parse(base) {
        Ok(mut url) => {
            url.set_query(Some(query));
            url.to_string()
        }
        Err(_) => format!("{base}?{query}"),
    }
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs `work` until `cancel` completes first; dropping `work` closes the listener.
async fn race<T>(work: impl Future<Output = Result<T>>, mut cancel: CancelFuture<'_>) -> Result<T> {
    let mut work = std::pin::pin!(work);
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(r) = work.as_mut().poll(cx) {
            return Poll::Ready(r);
        }
        if cancel.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(Error::Cancelled));
        }
        Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_no_browser_notice_gives_the_url_the_port_and_the_deadline() {
        let url = "https://login.example/common/oauth2/v2.0/authorize?state=s";
        let notice = no_browser_notice(url, 8400, Some(Duration::from_secs(120)));
        assert!(notice.contains(&format!("\n    {url}\n")), "{notice}");
        assert!(notice.contains("-p 127.0.0.1:8400:8400"), "{notice}");
        assert!(notice.contains("up to 120s"), "{notice}");
        assert!(no_browser_notice(url, 1, None).contains("cancelled"));
    }

    #[test]
    fn redirect_targets() {
        let t = RedirectTarget::parse(None, None).unwrap();
        assert_eq!(t.host, LoopbackHost::Localhost);
        assert_eq!(t.redirect_uri(1234), "http://localhost:1234");
        let t = RedirectTarget::parse(Some("http://127.0.0.1/callback"), Some(8400)).unwrap();
        assert_eq!(t.host, LoopbackHost::V4(std::net::Ipv4Addr::LOCALHOST));
        assert_eq!(t.port, Some(8400));
        assert_eq!(t.redirect_uri(8400), "http://127.0.0.1:8400/callback");
        let t = RedirectTarget::parse(Some("http://[::1]:5000"), None).unwrap();
        assert_eq!(t.host, LoopbackHost::V6);
        assert_eq!(t.port, Some(5000));
        // The listener binds the very address the browser is sent to.
        let t = RedirectTarget::parse(Some("http://127.7.8.9/cb"), None).unwrap();
        assert_eq!(
            t.host,
            LoopbackHost::V4(std::net::Ipv4Addr::new(127, 7, 8, 9))
        );
        assert!(RedirectTarget::parse(Some("https://localhost"), None).is_err());
        assert!(RedirectTarget::parse(Some("http://0.0.0.0:80"), None).is_err());
        assert!(RedirectTarget::parse(Some("http://evil.example"), None).is_err());
        assert!(RedirectTarget::parse(Some("http://localhost:1"), Some(2)).is_err());
        assert_eq!(
            with_query("http://localhost:1/cb", "error=abort"),
            "http://localhost:1/cb?error=abort"
        );
    }
}
