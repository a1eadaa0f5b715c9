//! `acquire_token_by_refresh_token` (RFC 6749 §6): migrating a refresh token from another library.

use msal_core::{
    AuthenticationResult, RefreshToken, Result,
    token_endpoint::{
        scopes,
        telemetry::{ApiId, CacheInfo},
    },
};

use crate::{
    app::core::AppCore,
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
        let correlation_id = self.options.correlation_id();
        let response = core
            .grant(
                ApiId::AcquireTokenByRefreshToken,
                "refresh_token",
                &self.options,
                &correlation_id,
            )
            .field("refresh_token", self.refresh_token.secret())
            .scopes(&decorated)
            .cache_info(CacheInfo::ForceRefresh)
            .send()
            .await?;
        let event = core.event(&response, &self.scopes, "refresh_token", &correlation_id);
        crate::flows::pop::finish_with_scheme(core, event, &self.options).await
    }
}

into_future!(AcquireTokenByRefreshToken, AuthenticationResult);
