//! The deprecated two-call auth-code API (MSAL Python's `get_authorization_request_url` and
//! `acquire_token_by_authorization_code`): no PKCE, the app handles state and nonce.

use msal_core::{
    AuthenticationResult, AuthorizationCode, Error, Prompt, Result, token_endpoint::scopes,
};

use crate::{
    app::core::AppCore,
    flows::auth_code::{IdTokenCheck, RedeemCode, redeem_code},
    request::{RequestOptions, into_future, request_options},
};

/// `get_authorization_request_url` (deprecated: use `initiate_auth_code_flow`).
#[must_use = "a request does nothing until it is sent or awaited"]
#[derive(Debug)]
pub struct GetAuthorizationRequestUrl<'a> {
    pub(crate) core: &'a AppCore,
    pub(crate) scopes: Vec<String>,
    pub(crate) params: Vec<(&'static str, String)>,
}

impl<'a> GetAuthorizationRequestUrl<'a> {
    fn set(mut self, k: &'static str, v: String) -> Self {
        self.params.retain(|(key, _)| *key != k);
        self.params.push((k, v));
        self
    }
    /// `login_hint`.
    pub fn login_hint(self, v: impl Into<String>) -> Self {
        self.set("login_hint", v.into())
    }
    /// `state`.
    pub fn state(self, v: impl Into<String>) -> Self {
        self.set("state", v.into())
    }
    /// `redirect_uri`.
    pub fn redirect_uri(self, v: impl Into<String>) -> Self {
        self.set("redirect_uri", v.into())
    }
    /// `response_type` (`code` by default; implicit grants are refused).
    pub fn response_type(self, v: impl Into<String>) -> Self {
        self.set("response_type", v.into())
    }
    /// `prompt`.
    pub fn prompt(self, v: Prompt) -> Self {
        self.set("prompt", v.as_str().to_owned())
    }
    /// `nonce`, sent as given.
    pub fn nonce(self, v: impl Into<String>) -> Self {
        self.set("nonce", v.into())
    }
    /// `domain_hint`.
    pub fn domain_hint(self, v: impl Into<String>) -> Self {
        self.set("domain_hint", v.into())
    }
    /// `claims`, merged with the client capabilities.
    pub fn claims_challenge(self, v: impl Into<String>) -> Self {
        self.set("claims", v.into())
    }

    /// Builds the URL.
    pub async fn send(self) -> Result<String> {
        let core = self.core;
        let decorated = scopes::decorate(&self.scopes, &core.exclude_scopes)?;
        let get = |k: &str| {
            self.params
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.clone())
        };
        let response_type = get("response_type").unwrap_or_else(|| "code".into());
        if response_type
            .split(' ')
            .any(|t| t == "token" || t == "id_token")
        {
            return Err(Error::InvalidArgument(
                "implicit grants (token, id_token) are not supported".into(),
            ));
        }
        let claims = msal_core::token_endpoint::claims::merge_challenge_and_capabilities(
            get("claims").as_deref(),
            &core.client_capabilities,
        )?;
        let metadata = core.metadata().await?;
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("client_id", &core.client_id)
            .append_pair("response_type", &response_type);
        for k in ["redirect_uri"] {
            if let Some(v) = get(k) {
                q.append_pair(k, &v);
            }
        }
        q.append_pair("scope", &scopes::join(&decorated));
        for k in ["state", "nonce", "login_hint", "prompt", "domain_hint"] {
            if let Some(v) = get(k) {
                q.append_pair(k, &v);
            }
        }
        if let Some(c) = claims {
            q.append_pair("claims", &c);
        }
        let ep = &metadata.authorization_endpoint;
        let sep = if ep.contains('?') { '&' } else { '?' };
        Ok(format!("{ep}{sep}{}", q.finish()))
    }
}

into_future!(GetAuthorizationRequestUrl, String);

/// `acquire_token_by_authorization_code` (deprecated: use `acquire_token_by_auth_code_flow`).
#[must_use = "a request does nothing until it is sent or awaited"]
#[derive(Debug)]
pub struct AcquireTokenByAuthorizationCode<'a> {
    pub(crate) core: &'a AppCore,
    pub(crate) code: AuthorizationCode,
    pub(crate) scopes: Vec<String>,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) options: RequestOptions,
}

impl<'a> AcquireTokenByAuthorizationCode<'a> {
    request_options!();

    /// The redirect URI used in the authorization request.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// The nonce sent in the authorization request; the ID token must carry it.
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// Redeems the code.
    pub async fn send(self) -> Result<AuthenticationResult> {
        let r = RedeemCode {
            api: msal_core::token_endpoint::telemetry::ApiId::AcquireTokenByAuthorizationCode,
            code: self.code,
            redirect_uri: self.redirect_uri,
            code_verifier: None,
            anchor: None,
            check: IdTokenCheck {
                nonce: self.nonce,
                max_age: None,
            },
        };
        redeem_code(self.core, &self.scopes, r, &self.options).await
    }
}

into_future!(AcquireTokenByAuthorizationCode, AuthenticationResult);
