//! Proof-of-Possession on top of any flow: the token request carries `token_type=pop` and the
//! key's `req_cnf`; the result's token is replaced by a Signed HTTP Request for the caller's
//! request, signed fresh on every call (cache hits included).

use msal_cache::TokenEvent;
use msal_core::{AuthenticationResult, Result};

use crate::{app::core::AppCore, request::RequestOptions};

/// Caches the response (bound to the PoP key when PoP was asked for) and shapes the result.
pub(crate) async fn finish_with_scheme(
    core: &AppCore,
    event: TokenEvent<'_>,
    options: &RequestOptions,
) -> Result<AuthenticationResult> {
    let result = finish_bound(core, event, options).await?;
    sign_if_requested(core, result, options)
}

/// Caches the response bound to the PoP key (when PoP was asked for) and returns the result
/// with the bound token, unsigned: the caller signs per request (single-flight followers too).
pub(crate) async fn finish_bound(
    core: &AppCore,
    mut event: TokenEvent<'_>,
    options: &RequestOptions,
) -> Result<AuthenticationResult> {
    if let Some((key_id, _)) = options.bound_key()? {
        event.key_id = Some(key_id);
    }
    #[cfg(feature = "pop")]
    if options.auth_scheme.is_some() {
        event.key_id = Some(core.pop_key()?.kid().to_owned());
    }
    // A bound token keeps the type the service gave it (`pop`, `ssh-cert`).
    if event.key_id.is_some() {
        event.token_type = Some(event.response.token_type.clone());
    }
    core.finish(event).await
}

/// Signs an SHR over the result's token when the request asked for PoP.
pub(crate) fn sign_if_requested(
    core: &AppCore,
    result: AuthenticationResult,
    options: &RequestOptions,
) -> Result<AuthenticationResult> {
    #[cfg(feature = "pop")]
    if let Some(scheme) = &options.auth_scheme {
        return sign(core, result, scheme);
    }
    let _ = (core, options);
    Ok(result)
}

/// Replaces the bound access token with an SHR for `scheme`.
#[cfg(feature = "pop")]
pub(crate) fn sign(
    core: &AppCore,
    result: AuthenticationResult,
    scheme: &msal_pop::PopAuthScheme,
) -> Result<AuthenticationResult> {
    let key = core.pop_key()?;
    let shr = msal_pop::sign_http_request(&key, result.access_token(), scheme, core.now())?;
    let mut result = result.with_access_token(shr);
    // A token bound to the key is cached as `pop` already; a copy of the shared part is made
    // only if it is not.
    if result.token_type() != "pop" {
        result.details_mut().token_type = "pop".into();
    }
    Ok(result)
}
