//! One network leg for every flow: a grant request built by name, not by position.
//!
//! A flow says what it asks for (`core.grant(api, grant_type, options, correlation_id)`, then
//! its form fields and the few request-level knobs it needs); [`Grant::send`] adds what every
//! token request carries (`client_id`, `client_info`, the caller's extra fields, the claims
//! parameter, PoP's `req_cnf`, client authentication), picks the token endpoint from the
//! authority's metadata unless told otherwise, and posts through the shared token client.

use msal_core::{
    Error, TokenResponse,
    credential::AssertionContext,
    token_endpoint::{
        Form, TokenEndpointRequest,
        telemetry::{ApiId, CacheInfo},
    },
};

use crate::{app::core::AppCore, request::RequestOptions};

/// A grant about to be sent; see the module docs.
#[must_use = "a grant does nothing until it is sent"]
pub(crate) struct Grant<'a> {
    core: &'a AppCore,
    options: &'a RequestOptions,
    api: ApiId,
    correlation_id: &'a str,
    form: Form,
    endpoint: Option<String>,
    cache_info: CacheInfo,
    anchor_mailbox: Option<String>,
    fmi_path: Option<String>,
}

impl AppCore {
    /// Starts a `grant_type` grant for API `api` (telemetry), with the request's common options
    /// and the correlation id chosen for it.
    pub(crate) fn grant<'a>(
        &'a self,
        api: ApiId,
        grant_type: &str,
        options: &'a RequestOptions,
        correlation_id: &'a str,
    ) -> Grant<'a> {
        let mut form = Form::new();
        form.set("client_id", self.client_id.clone())
            .set("grant_type", grant_type);
        Grant {
            core: self,
            options,
            api,
            correlation_id,
            form,
            endpoint: None,
            cache_info: CacheInfo::NotApplicable,
            anchor_mailbox: None,
            fmi_path: None,
        }
    }
}

impl Grant<'_> {
    /// A form field of the grant.
    pub(crate) fn field(mut self, key: &str, value: impl Into<String>) -> Self {
        self.form.set(key, value);
        self
    }

    /// A form field, when there is a value.
    pub(crate) fn field_opt(mut self, key: &str, value: Option<impl Into<String>>) -> Self {
        self.form.set_opt(key, value.map(Into::into));
        self
    }

    /// The `scope` field: already decorated (user flows) or checked (app flows) by the caller.
    pub(crate) fn scopes(self, scopes: &[String]) -> Self {
        let joined = msal_core::token_endpoint::scopes::join(scopes);
        self.field("scope", joined)
    }

    /// A token endpoint other than the authority's (the regional one).
    pub(crate) fn endpoint(mut self, url: String) -> Self {
        self.endpoint = Some(url);
        self
    }

    /// Why the cache did not answer (server telemetry); default "not a cache API".
    pub(crate) fn cache_info(mut self, info: CacheInfo) -> Self {
        self.cache_info = info;
        self
    }

    /// The `X-AnchorMailbox` routing hint.
    pub(crate) fn anchor_mailbox(mut self, anchor: impl Into<String>) -> Self {
        self.anchor_mailbox = Some(anchor.into());
        self
    }

    /// The federated managed identity path: a form field, and part of the assertion context.
    pub(crate) fn fmi_path(mut self, path: Option<&str>) -> Self {
        self.form.set_opt("fmi_path", path.map(str::to_owned));
        self.fmi_path = path.map(str::to_owned);
        self
    }

    /// Sends the grant; see the module docs for what is added.
    pub(crate) async fn send(self) -> Result<TokenResponse, Error> {
        let Grant {
            core,
            options,
            api,
            correlation_id,
            mut form,
            endpoint,
            cache_info,
            anchor_mailbox,
            fmi_path,
        } = self;
        let endpoint = match endpoint {
            Some(url) => url,
            None => core.metadata().await?.token_endpoint.clone(),
        };
        form.set("client_info", "1");
        for (k, v) in &options.extra_body {
            form.set(k.clone(), v.clone());
        }
        form.set_opt("claims", options.claims(&core.client_capabilities)?);
        #[cfg(feature = "pop")]
        if options.auth_scheme.is_some() {
            let key = core.pop_key()?;
            for (k, v) in msal_pop::token_request_fields(&key) {
                form.set(k, v);
            }
        }
        if let Some(credential) = &core.credential {
            let mut context = AssertionContext::new(core.client_id.clone(), &endpoint);
            context.fmi_path = fmi_path;
            credential
                .apply(
                    &mut form,
                    context,
                    core.client_claims.as_ref(),
                    core.clock.as_ref(),
                    core.authority.is_adfs(),
                )
                .await?;
        }
        let mut request = TokenEndpointRequest::new(endpoint, form, api, correlation_id);
        request.cache_info = cache_info;
        request.anchor_mailbox = anchor_mailbox;
        request.query = options.extra_query.clone();
        core.client.obtain_token(request).await
    }
}
