//! The authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636; MSAL Python's
//! `initiate_auth_code_flow`/`acquire_token_by_auth_code_flow`) and its legacy form.
//!
//! Leg 1 builds the sign-in URL and an [`AuthCodeFlow`] the app keeps server-side; leg 2 checks
//! the browser's answer against it (state, then nonce and `max_age` in the ID token) and redeems
//! the code with the PKCE verifier.

use std::{
    collections::BTreeMap,
    fmt,
    time::{Duration, SystemTime},
};

use base64::Engine as _;
use msal_core::{
    AuthenticationResult, AuthorizationCode, Error, IdTokenError, Prompt, ResponseMode, Result,
    ServiceError, TokenResponse,
    clock::unix_secs,
    id_token::{ClientInfo, decode_jwt_payload, decode_unverified},
    token_endpoint::{scopes, telemetry::ApiId},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::{
    app::core::AppCore,
    request::{RequestOptions, into_future, request_options},
};

/// Clock skew tolerated when checking `auth_time` against `max_age` (MSAL Python's 120 s).
const AUTH_TIME_SKEW_SECS: i64 = 120;

/// The state of one sign-in, kept by the app between the redirect and the callback (in a
/// server-side session: it holds the PKCE verifier). Serializes with the keys of MSAL Python's
/// flow dictionary.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthCodeFlow {
    /// Where to send the browser.
    pub auth_uri: String,
    /// The `state` sent, checked on return.
    pub state: String,
    /// The redirect URI registered for the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// The scopes asked for (decorated).
    pub scope: Vec<String>,
    /// The raw nonce; the URL carries its SHA-256.
    pub nonce: String,
    /// The PKCE verifier.
    pub code_verifier: String,
    /// The claims challenge sent, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims_challenge: Option<String>,
    /// `max_age` in seconds, if asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
}

impl fmt::Debug for AuthCodeFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthCodeFlow")
            .field("auth_uri", &self.auth_uri)
            .field("state", &self.state)
            .field("redirect_uri", &self.redirect_uri)
            .field("scope", &self.scope)
            .field("nonce", &"[redacted]")
            .field("code_verifier", &"[redacted]")
            .field("max_age", &self.max_age)
            .finish()
    }
}

impl AuthCodeFlow {
    /// Where to send the browser.
    pub fn auth_uri(&self) -> &str {
        &self.auth_uri
    }

    /// The `state` the answer must carry.
    pub fn state(&self) -> &str {
        &self.state
    }
}

/// What came back to the redirect URI: `code`, `state`, `client_info`, or `error` fields.
/// `Debug` redacts the code.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AuthResponse {
    params: BTreeMap<String, String>,
}

impl fmt::Debug for AuthResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: BTreeMap<&str, &str> = self
            .params
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    if k == "code" {
                        "[redacted]"
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        f.debug_tuple("AuthResponse").field(&shown).finish()
    }
}

/// The most bytes of an authorization response we parse.
const MAX_RESPONSE_LEN: usize = 64 * 1024;

impl AuthResponse {
    /// From a query string (`code=...&state=...`, with or without a leading `?`).
    pub fn from_query(query: &str) -> Result<Self> {
        Self::from_form(query.trim_start_matches('?').as_bytes())
    }

    /// From a form_post body.
    ///
    /// A repeated parameter is refused: RFC 6749 (§3.1) forbids it, and keeping either copy
    /// would let an injected `state=...&state=<right one>` pass the state check (MSAL Python
    /// fails on it too, by comparing a list with the string).
    pub fn from_form(body: &[u8]) -> Result<Self> {
        if body.len() > MAX_RESPONSE_LEN {
            return Err(Error::InvalidArgument(
                "the authorization response is too long".into(),
            ));
        }
        let mut params = BTreeMap::new();
        for (key, value) in form_urlencoded::parse(body).into_owned() {
            if params.contains_key(&key) {
                return Err(Error::InvalidArgument(format!(
                    "the authorization response repeats the parameter `{}`",
                    key.escape_debug()
                )));
            }
            params.insert(key, value);
        }
        Ok(Self { params })
    }

    /// From the full redirect URL (query, or fragment for `response_mode=fragment`).
    pub fn from_redirect_url(url: &str) -> Result<Self> {
        let parsed = url::Url::parse(url)
            .map_err(|_| Error::InvalidArgument("the redirect URL is not a URL".into()))?;
        let part = parsed
            .query()
            .filter(|q| !q.is_empty())
            .or(parsed.fragment())
            .unwrap_or_default();
        Self::from_query(part)
    }

    /// A parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    fn error(&self) -> Option<ServiceError> {
        let mut se = ServiceError::new(self.get("error")?);
        se.error_description = self.get("error_description").map(str::to_owned);
        se.error_uri = self.get("error_uri").map(str::to_owned);
        Some(se)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for AuthResponse {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        Self {
            params: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

/// `n` characters drawn uniformly from `alphabet` (at most 256 symbols) with the operating
/// system's CSPRNG. Bytes at or above the largest multiple of the alphabet size are redrawn, so
/// no symbol is favoured (the PKCE alphabet has 66).
pub(crate) fn random_string(n: usize, alphabet: &[u8]) -> Result<String> {
    let size = alphabet.len().clamp(1, 256);
    let limit = 256 - 256 % size;
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        getrandom::fill(&mut buf).map_err(|_| {
            msal_core::Error::Crypto("the system random number generator failed".into())
        })?;
        for &b in buf.iter().filter(|&&b| usize::from(b) < limit) {
            if out.len() == n {
                break;
            }
            out.push(char::from(alphabet[usize::from(b) % size]));
        }
    }
    Ok(out)
}

const PKCE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
const URLSAFE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `initiate_auth_code_flow`: see [`ClientApplication::initiate_auth_code_flow`](crate::ClientApplication::initiate_auth_code_flow).
#[must_use = "a request does nothing until it is sent or awaited"]
#[derive(Debug)]
pub struct InitiateAuthCodeFlow<'a> {
    pub(crate) core: &'a AppCore,
    pub(crate) scopes: Vec<String>,
    pub(crate) params: AuthorizeParams,
}

/// The optional parameters of an authorization request.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuthorizeParams {
    pub(crate) redirect_uri: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) prompt: Option<Prompt>,
    pub(crate) login_hint: Option<String>,
    pub(crate) domain_hint: Option<String>,
    pub(crate) claims_challenge: Option<String>,
    pub(crate) max_age: Option<Duration>,
    pub(crate) response_mode: Option<ResponseMode>,
    pub(crate) extra_query: Vec<(String, String)>,
    pub(crate) extra_scopes_to_consent: Vec<String>,
}

impl<'a> InitiateAuthCodeFlow<'a> {
    /// The redirect URI registered for the app.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.params.redirect_uri = Some(uri.into());
        self
    }
    /// The `state` to send (a random one by default).
    pub fn state(mut self, state: impl Into<String>) -> Self {
        self.params.state = Some(state.into());
        self
    }
    /// The `prompt` behaviour.
    pub fn prompt(mut self, prompt: Prompt) -> Self {
        self.params.prompt = Some(prompt);
        self
    }
    /// Pre-fills the user name (and routes the request, `X-AnchorMailbox`).
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.params.login_hint = Some(hint.into());
        self
    }
    /// `consumers` or `organizations`, or a domain, to skip home-realm discovery.
    pub fn domain_hint(mut self, hint: impl Into<String>) -> Self {
        self.params.domain_hint = Some(hint.into());
        self
    }
    /// A claims challenge to satisfy.
    pub fn claims_challenge(mut self, claims: impl Into<String>) -> Self {
        self.params.claims_challenge = Some(claims.into());
        self
    }
    /// Require a sign-in no older than this (checked against `auth_time` on return).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.params.max_age = Some(max_age);
        self
    }
    /// How the answer comes back; not sent unless set (as MSAL Python). `FormPost` is best.
    pub fn response_mode(mut self, mode: ResponseMode) -> Self {
        self.params.response_mode = Some(mode);
        self
    }
    /// An extra query parameter (OIDC `ui_locales`, `acr_values`, ...).
    pub fn extra_query_param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.extra_query.push((key.into(), value.into()));
        self
    }

    /// Builds the flow (discovering the authority on first use).
    pub async fn send(self) -> Result<AuthCodeFlow> {
        build_flow(self.core, &self.scopes, &self.params).await
    }
}

into_future!(InitiateAuthCodeFlow, AuthCodeFlow);

/// Builds the authorize URL and the flow state (shared with the interactive flow).
pub(crate) async fn build_flow(
    core: &AppCore,
    requested: &[String],
    p: &AuthorizeParams,
) -> Result<AuthCodeFlow> {
    let decorated = scopes::decorate(requested, &core.exclude_scopes)?;
    let mut url_scopes = decorated.clone();
    for s in &p.extra_scopes_to_consent {
        if !url_scopes.contains(s) {
            url_scopes.push(s.clone());
        }
    }
    url_scopes.sort();
    let metadata = core.metadata().await?;
    let state = p
        .state
        .clone()
        .map_or_else(|| random_string(22, URLSAFE_ALPHABET), Ok)?;
    let nonce = random_string(22, URLSAFE_ALPHABET)?;
    let verifier = random_string(43, PKCE_ALPHABET)?;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    let claims = msal_core::token_endpoint::claims::merge_challenge_and_capabilities(
        p.claims_challenge.as_deref(),
        &core.client_capabilities,
    )?;
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("client_id", &core.client_id)
        .append_pair("response_type", "code");
    if let Some(r) = &p.redirect_uri {
        q.append_pair("redirect_uri", r);
    }
    q.append_pair("scope", &scopes::join(&url_scopes))
        .append_pair("state", &state);
    if let Some(m) = p.response_mode {
        q.append_pair("response_mode", m.as_str());
    }
    q.append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("nonce", &sha256_hex(&nonce))
        .append_pair("client_info", "1");
    if let Some(pr) = p.prompt {
        q.append_pair("prompt", pr.as_str());
    }
    if let Some(h) = &p.login_hint {
        q.append_pair("login_hint", h);
    }
    if let Some(h) = &p.domain_hint {
        q.append_pair("domain_hint", h);
    }
    if let Some(c) = &claims {
        q.append_pair("claims", c);
    }
    if let Some(m) = p.max_age {
        q.append_pair("max_age", &m.as_secs().to_string());
    }
    if let Some(h) = &p.login_hint {
        q.append_pair("X-AnchorMailbox", &format!("UPN:{h}"));
    }
    for (k, v) in &p.extra_query {
        q.append_pair(k, v);
    }
    let endpoint = &metadata.authorization_endpoint;
    let sep = if endpoint.contains('?') { '&' } else { '?' };
    Ok(AuthCodeFlow {
        auth_uri: format!("{endpoint}{sep}{}", q.finish()),
        state,
        redirect_uri: p.redirect_uri.clone(),
        scope: decorated,
        nonce,
        code_verifier: verifier,
        claims_challenge: p.claims_challenge.clone(),
        max_age: p.max_age.map(|d| d.as_secs()),
    })
}

/// `acquire_token_by_auth_code_flow`: see [`ClientApplication::acquire_token_by_auth_code_flow`](crate::ClientApplication::acquire_token_by_auth_code_flow).
#[must_use = "a request does nothing until it is sent or awaited"]
#[derive(Debug)]
pub struct AcquireTokenByAuthCodeFlow<'a> {
    pub(crate) core: &'a AppCore,
    pub(crate) flow: AuthCodeFlow,
    pub(crate) response: AuthResponse,
    pub(crate) scopes: Option<Vec<String>>,
    pub(crate) options: RequestOptions,
}

impl<'a> AcquireTokenByAuthCodeFlow<'a> {
    request_options!();

    /// Redeem for a subset of the flow's scopes.
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        self.scopes = Some(scopes::collect(scopes));
        self
    }

    /// Checks the answer and redeems the code.
    pub async fn send(mut self) -> Result<AuthenticationResult> {
        if self.flow.state.is_empty() {
            return Err(Error::InvalidArgument("the flow has no state".into()));
        }
        match self.response.get("state") {
            Some(s) if msal_core_eq(s, &self.flow.state) => {}
            _ => return Err(Error::StateMismatch),
        }
        if let Some(se) = self.response.error() {
            return Err(msal_core::token_endpoint::response::oauth_error(se));
        }
        let code = self
            .response
            .get("code")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                Error::InvalidArgument(
                    "the authorization response has neither code nor error".into(),
                )
            })?
            .to_owned();
        let user_scopes = scopes::without_reserved(&self.flow.scope);
        let requested = match self.scopes.take() {
            Some(s) => {
                if let Some(extra) = s.iter().find(|x| !self.flow.scope.contains(x)) {
                    return Err(Error::InvalidArgument(format!(
                        "the scope {extra:?} was not part of the flow"
                    )));
                }
                s
            }
            None => user_scopes,
        };
        if self.options.claims_challenge.is_none() {
            self.options.claims_challenge = self.flow.claims_challenge.clone();
        }
        let anchor = self
            .response
            .get("client_info")
            .and_then(ClientInfo::decode)
            .map(|ci| format!("Oid:{}@{}", ci.uid, ci.utid));
        let extra = RedeemCode {
            api: ApiId::AcquireTokenByAuthorizationCode,
            code: AuthorizationCode::new(code),
            redirect_uri: self.flow.redirect_uri.clone(),
            code_verifier: Some(self.flow.code_verifier.clone()),
            anchor,
            check: IdTokenCheck {
                nonce: Some(sha256_hex(&self.flow.nonce)),
                max_age: self.flow.max_age,
            },
        };
        redeem_code(self.core, &requested, extra, &self.options).await
    }
}

fn msal_core_eq(a: &str, b: &str) -> bool {
    msal_core::AccessToken::new(a) == msal_core::AccessToken::new(b)
}

into_future!(AcquireTokenByAuthCodeFlow, AuthenticationResult);

pub(crate) struct RedeemCode {
    /// The API the telemetry header names: the interactive flow redeems codes too, and MSAL
    /// Python tags that 169, not 832 (`msal/application.py`, `acquire_token_interactive`).
    pub(crate) api: ApiId,
    pub(crate) code: AuthorizationCode,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) code_verifier: Option<String>,
    pub(crate) anchor: Option<String>,
    /// What the ID token must show before anything is cached.
    pub(crate) check: IdTokenCheck,
}

/// The ID-token checks a code redemption makes before its tokens reach the cache.
#[derive(Debug, Default)]
pub(crate) struct IdTokenCheck {
    /// The `nonce` claim the ID token must carry (the SHA-256 hex of the flow's nonce, or the
    /// raw nonce the caller of the legacy API passed).
    pub(crate) nonce: Option<String>,
    /// `max_age` in seconds, checked against `auth_time`.
    pub(crate) max_age: Option<u64>,
}

/// POSTs the authorization_code grant, checks the ID token, and only then caches the result:
/// the tokens of a sign-in that fails the nonce or `max_age` check must never be served later
/// by `acquire_token_silent`.
pub(crate) async fn redeem_code(
    core: &AppCore,
    requested: &[String],
    r: RedeemCode,
    options: &RequestOptions,
) -> Result<AuthenticationResult> {
    options.validate()?;
    let decorated = scopes::decorate(requested, &core.exclude_scopes)?;
    let correlation_id = options.correlation_id();
    let mut grant = core
        .grant(r.api, "authorization_code", options, &correlation_id)
        .field("code", r.code.secret())
        .scopes(&decorated)
        .field_opt("redirect_uri", r.redirect_uri)
        .field_opt("code_verifier", r.code_verifier);
    if let Some(anchor) = r.anchor {
        grant = grant.anchor_mailbox(anchor);
    }
    let response = grant.send().await?;
    check_id_token(&response, &r.check, core.now())?;
    let event = core.event(&response, requested, "authorization_code", &correlation_id);
    crate::flows::pop::finish_with_scheme(core, event, options).await
}

/// The two ID-token checks MSAL still makes: the nonce and `max_age` (as MSAL Python's
/// `msal/oauth2cli/oidc.py`, `obtain_token_by_auth_code_flow`).
///
/// They fail closed: the nonce is read from the raw payload, so a wrong or non-string nonce is
/// [`IdTokenError::NonceMismatch`] whatever the other claims look like, and an ID token whose
/// claims do not decode is [`IdTokenError::Malformed`] rather than a token with no claims to
/// check. As in MSAL Python, a response without an ID token has nothing to check.
pub(crate) fn check_id_token(
    response: &TokenResponse,
    check: &IdTokenCheck,
    now: SystemTime,
) -> Result<()> {
    if check.nonce.is_none() && check.max_age.is_none() {
        return Ok(());
    }
    let Some(id_token) = &response.id_token else {
        return Ok(());
    };
    let payload = decode_jwt_payload(id_token.secret())?;
    if let Some(expected) = &check.nonce {
        let nonce_ok = match payload.get("nonce") {
            Some(serde_json::Value::String(n)) => msal_core_eq(n, expected),
            _ => false,
        };
        if !nonce_ok {
            return Err(Error::IdToken(IdTokenError::NonceMismatch));
        }
    }
    // Every claim must decode: a mistyped `exp` must not turn into "no claims, nothing to check".
    let claims = decode_unverified(id_token.secret())?;
    if let Some(max_age) = check.max_age {
        let auth_time = claims
            .auth_time
            .ok_or(Error::IdToken(IdTokenError::AuthTimeMissing))?;
        let now = i64::try_from(unix_secs(now)).unwrap_or(i64::MAX);
        let max_age = i64::try_from(max_age).unwrap_or(i64::MAX);
        if now.saturating_sub(AUTH_TIME_SKEW_SECS) > auth_time.saturating_add(max_age) {
            return Err(Error::IdToken(IdTokenError::MaxAgeExceeded));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_response_parsing_and_redaction() {
        let r = AuthResponse::from_redirect_url(
            "http://localhost:8400/callback?code=secret-code&state=s1",
        )
        .unwrap();
        assert_eq!(r.get("state"), Some("s1"));
        assert!(!format!("{r:?}").contains("secret-code"));
        let f = AuthResponse::from_redirect_url("http://localhost/cb#code=c&state=s").unwrap();
        assert_eq!(f.get("code"), Some("c"));
        assert!(AuthResponse::from_redirect_url("not a url").is_err());
        assert!(AuthResponse::from_form(&vec![b'a'; MAX_RESPONSE_LEN + 1]).is_err());
        // An injected second `state` must not pass the state check.
        let repeated = AuthResponse::from_query("code=c&state=forged&state=right").unwrap_err();
        assert!(matches!(repeated, Error::InvalidArgument(_)));
        assert!(repeated.to_string().contains("`state`"));
        let it: AuthResponse = [("code", "x")].into_iter().collect();
        assert_eq!(it.get("code"), Some("x"));
    }

    /// A token response whose ID token has `payload` as its claims.
    fn response_with_claims(payload: &str) -> TokenResponse {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let body = serde_json::json!({
            "access_token": "at",
            "id_token": format!("{}.{}.sig", b64(r#"{"alg":"none"}"#), b64(payload)),
        });
        let serde_json::Value::Object(map) = body else {
            unreachable!("a JSON object literal")
        };
        TokenResponse::from_json(http::StatusCode::OK, map).unwrap()
    }

    fn check(nonce: Option<&str>, max_age: Option<u64>, payload: &str) -> Result<()> {
        let check = IdTokenCheck {
            nonce: nonce.map(str::to_owned),
            max_age,
        };
        let now = msal_core::clock::from_unix_secs(1_700_000_000);
        check_id_token(&response_with_claims(payload), &check, now)
    }

    fn id_token_error(r: Result<()>) -> IdTokenError {
        match r {
            Err(Error::IdToken(e)) => e,
            other => panic!("expected an ID-token error, got {other:?}"),
        }
    }

    #[test]
    fn a_wrong_nonce_fails_whatever_the_other_claims_look_like() {
        for payload in [
            r#"{"nonce":"other","exp":"soon"}"#,
            r#"{"nonce":"other","auth_time":1.5e9}"#,
            r#"{"nonce":5}"#,
            r#"{"nonce":null}"#,
            r#"{"exp":"soon"}"#,
        ] {
            let e = id_token_error(check(Some("n1"), None, payload));
            assert!(matches!(e, IdTokenError::NonceMismatch), "{payload}: {e:?}");
        }
        assert!(check(Some("n1"), None, r#"{"nonce":"n1"}"#).is_ok());
    }

    #[test]
    fn undecodable_claims_fail_a_flow_that_checks_them() {
        for payload in [
            r#"{"nonce":"n1","exp":"CANARY-soon"}"#,
            r#"{"nonce":"n1","name":["CANARY"]}"#,
            r#"{"nonce":"n1","auth_time":"CANARY"}"#,
        ] {
            let e = id_token_error(check(Some("n1"), Some(60), payload));
            assert!(matches!(e, IdTokenError::Malformed(_)), "{payload}: {e:?}");
            assert!(!e.to_string().contains("CANARY"), "{e}");
        }
        let e = id_token_error(check(None, Some(60), r#"{"exp":"soon"}"#));
        assert!(matches!(e, IdTokenError::Malformed(_)), "{e:?}");
        // Nothing asked for, nothing checked: an odd claim elsewhere is not this flow's business.
        assert!(check(None, None, r#"{"exp":"soon"}"#).is_ok());
    }

    #[test]
    fn max_age_reads_fractional_auth_times() {
        let e = id_token_error(check(None, Some(60), r#"{"auth_time":1600000000.5}"#));
        assert!(matches!(e, IdTokenError::MaxAgeExceeded), "{e:?}");
        assert!(check(None, Some(60), r#"{"auth_time":1699999990.5}"#).is_ok());
        let e = id_token_error(check(None, Some(60), r#"{"sub":"s"}"#));
        assert!(matches!(e, IdTokenError::AuthTimeMissing), "{e:?}");
    }

    #[test]
    fn pkce_and_nonce_material() {
        let v = random_string(43, PKCE_ALPHABET).unwrap();
        assert_eq!(v.len(), 43);
        assert_ne!(v, random_string(43, PKCE_ALPHABET).unwrap());
        assert_eq!(random_string(300, b"ab").unwrap().len(), 300);
        assert!(v.bytes().all(|b| PKCE_ALPHABET.contains(&b)));
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

#[cfg(test)]
mod props;
