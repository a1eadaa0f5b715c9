//! Shared by the cache's end-to-end tests.

use std::time::SystemTime;

use msal_cache::{CacheError, TokenCache, TokenEvent};
use msal_core::TokenResponse;

/// Adds an app token of the client `client` for `api/.default` in `realm` of `environment`,
/// whose access token is `secret` and lives an hour, through the cache (a write access: lock,
/// load, change, save).
pub(crate) async fn add_app_token(
    cache: &TokenCache,
    environment: &str,
    realm: &str,
    secret: &str,
) -> Result<(), CacheError> {
    let mut response = TokenResponse::default();
    response.access_token = secret.to_owned().into();
    response.expires_in = Some(3600);
    let event = TokenEvent::new(
        "client",
        environment,
        realm,
        ["api/.default"],
        &response,
        "client_credentials",
    );
    cache
        .add_token_response(event, SystemTime::now())
        .await
        .map(drop)
}
