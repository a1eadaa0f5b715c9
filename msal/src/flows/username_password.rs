//! Username/password (ROPC, RFC 6749 §4.3). Deprecated by Microsoft; kept for parity and for test
//! tenants. Federated (WS-Trust) accounts are not supported: they get [`Error::Unsupported`].

use msal_core::{
    AuthenticationResult, Error, Password, Result,
    token_endpoint::{scopes, telemetry::ApiId},
};

use crate::{
    app::core::AppCore,
    request::{RequestOptions, into_future, request_options},
};

/// `acquire_token_by_username_password`.
#[must_use = "a request does nothing until it is sent or awaited"]
#[derive(Debug)]
pub struct AcquireTokenByUsernamePassword<'a> {
    pub(crate) core: &'a AppCore,
    pub(crate) username: String,
    pub(crate) password: Password,
    pub(crate) scopes: Vec<String>,
    pub(crate) options: RequestOptions,
}

impl<'a> AcquireTokenByUsernamePassword<'a> {
    request_options!();

    /// Sends the request.
    pub async fn send(self) -> Result<AuthenticationResult> {
        let core = self.core;
        self.options.validate()?;
        if self.username.is_empty() || self.password.is_empty() {
            return Err(Error::InvalidArgument(
                "username and password must not be empty".into(),
            ));
        }
        let decorated = scopes::decorate(&self.scopes, &core.exclude_scopes)?;
        let correlation_id = self.options.correlation_id();
        if !core.authority.is_adfs() {
            self.check_user_realm(&correlation_id).await?;
        }
        let response = core
            .grant(
                ApiId::AcquireTokenByUsernamePassword,
                "password",
                &self.options,
                &correlation_id,
            )
            .field("username", self.username.clone())
            .field("password", self.password.secret())
            .scopes(&decorated)
            .anchor_mailbox(format!("upn:{}", self.username))
            .send()
            .await?;
        let event = core
            .event(&response, &self.scopes, "password", &correlation_id)
            .username(self.username.clone());
        crate::flows::pop::finish_with_scheme(core, event, &self.options).await
    }

    /// User realm discovery: federated accounts would need WS-Trust, which we do not implement.
    async fn check_user_realm(&self, correlation_id: &str) -> Result<()> {
        let core = self.core;
        // MSAL Python sends the UPN unescaped; the path-segment encoding keeps `@` and escapes only
        // what would change the URL's structure (`/`, `?`, `#`, spaces).
        let mut url = url::Url::parse(&core.authority.base_url())
            .map_err(|e| Error::Configuration(format!("invalid authority URL: {e}")))?;
        url.path_segments_mut()
            .map_err(|()| Error::Configuration("the authority URL cannot have a path".into()))?
            .extend(["common", "userrealm", self.username.as_str()]);
        url.set_query(Some("api-version=1.0"));
        let url = url.to_string();
        let realm = match core
            .client
            .get_json(
                &url,
                &[
                    ("Accept", "application/json"),
                    ("client-request-id", correlation_id),
                ],
            )
            .await
        {
            Ok(r) => r,
            // No user realm service (404): a managed account, as MSAL Python assumes.
            Err(Error::InvalidResponse { status, .. }) if status.as_u16() == 404 => return Ok(()),
            Err(e)
                if e.service_error()
                    .and_then(|s| s.status)
                    .is_some_and(|s| s.as_u16() == 404) =>
            {
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if realm.get("account_type").and_then(|v| v.as_str()) == Some("Federated") {
            return Err(Error::Unsupported(
                "username/password for federated accounts (WS-Trust) is not supported; use interactive or device code sign-in".into(),
            ));
        }
        Ok(())
    }
}

into_future!(AcquireTokenByUsernamePassword, AuthenticationResult);
