//! `acquire_token_by_refresh_token` (RFC 6749 §6): migrating a refresh token from another library.

use msal_core::{
    AuthenticationResult, RefreshToken, Result,
    token_endpoint::{
        Form, scopes,
        telemetry::{ApiId, CacheInfo},
    },
};

use crate::{
    app::core::{AppCore, Redeemed},
    request::{RequestOptions, into_future, request_options},
};

/// `acquire_token_by_refresh_token`.
#[must_use = "a request does nothing until it is sent or awaited"]
#[derive(Debug)]
pub struct AcquireTokenByRefreshToken<'a> {
    pub(crate) core: &'a AppCore,
    pub(crate) refresh_token: RefreshToken,
    pub(crate) scopes: Vec<String>,
    pub(crate) options: RequestOptions,
}

impl<'a> AcquireTokenByRefreshToken<'a> {
    request_options!();

    /// Redeems the refresh token; the new one is stored in the cache as a new entry.
    pub async fn send(self) -> Result<AuthenticationResult> {
        let core = self.core;
        self.options.validate()?;
        let decorated = scopes::decorate(&self.scopes, &core.exclude_scopes)?;
        let metadata = core.metadata().await?;
        let correlation_id = self.options.correlation_id();
        let mut form = Form::new();
        form.set("client_id", core.client_id.clone())
            .set("grant_type", "refresh_token")
            .set("refresh_token", self.refresh_token.secret())
            .set("scope", scopes::join(&decorated));
        let response = core
            .send_grant(
                &metadata.token_endpoint,
                form,
                &self.options,
                ApiId::AcquireTokenByRefreshToken,
                CacheInfo::ForceRefresh,
                &correlation_id,
                None,
                None,
            )
            .await?;
        let redeemed = Redeemed::new(response, &self.scopes, "refresh_token", correlation_id);
        crate::flows::pop::finish_with_scheme(core, redeemed, &self.options).await
    }
}

into_future!(AcquireTokenByRefreshToken, AuthenticationResult);
