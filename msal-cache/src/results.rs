//! The two ways a result is made, shared by `msal` and `msal-managed-identity`: from a cached
//! access token, and from a token response. Each builds the result's shared part
//! ([`ResultDetails`]) once; every result made from it (a memoised cache hit answers thousands)
//! only clones the token and that part.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use msal_core::{
    Account, AuthenticationResult, Clock, TokenResponse, TokenSource, result::ResultDetails,
};

use crate::{CachedAccessToken, CachedIdToken};

/// The shared part of results answered from `token` (with the account's ID token and the
/// account, for user tokens): token type, granted scopes, expiry details, the tenant (the ID
/// token's `tid`, which names it better than a realm such as `organizations`), the ID token
/// and its claims.
pub fn cached_details(
    token: &CachedAccessToken,
    id_token: Option<&CachedIdToken>,
    account: Option<Account>,
    clock: Option<Arc<dyn Clock>>,
) -> ResultDetails {
    let mut details = ResultDetails::new(token.token_type());
    details.ext_expires_on = token.ext_expires_on();
    details.refresh_on = token.refresh_on();
    details.scopes = token.scopes().map(str::to_owned).collect();
    let claims = id_token.and_then(|idt| idt.claims().ok());
    details.tenant_id = Some(
        claims
            .as_ref()
            .and_then(|c| c.tid.clone())
            .unwrap_or_else(|| token.realm().to_owned()),
    );
    details.id_token = id_token.map(|idt| idt.secret().clone());
    details.id_token_claims = claims;
    details.account = account;
    details.clock = clock;
    details
}

/// A result answered from `token` with `details` (see [`cached_details`]).
pub fn result_from_cache(
    token: &CachedAccessToken,
    details: Arc<ResultDetails>,
    correlation_id: Option<String>,
) -> AuthenticationResult {
    AuthenticationResult::from_parts(
        token.secret().clone(),
        token.expires_on(),
        TokenSource::Cache,
        details,
    )
    .with_correlation_id(correlation_id)
}

/// The lifetime given to a token whose response names none (a broken response; a short life
/// limits it).
const DEFAULT_EXPIRES_IN_SECS: u64 = 600;

/// How long a response's token lives, in seconds from `now_secs` (Unix time): `expires_in`,
/// else its absolute `expires_on`, else ten minutes. The cache entry and the result use this one
/// rule.
pub fn response_expires_in(response: &TokenResponse, now_secs: u64) -> u64 {
    response
        .expires_in
        .or_else(|| response.expires_on.map(|on| on.saturating_sub(now_secs)))
        .unwrap_or(DEFAULT_EXPIRES_IN_SECS)
}

/// When a response's token expires (see [`response_expires_in`]).
pub fn response_expires_on(response: &TokenResponse, now: SystemTime) -> SystemTime {
    now + Duration::from_secs(response_expires_in(
        response,
        msal_core::clock::unix_secs(now),
    ))
}

/// A result from a token response received at `now`, expiring at `expires_on`: scopes as
/// granted (else `requested`), the ID token and its decoded claims, the tenant from the claims,
/// `foci` and the other safe response fields in `extra`. The caller adds what only it knows
/// (the account, a fallback tenant, the clock) through
/// [`AuthenticationResult::details_mut`] before sharing the result.
pub fn result_from_response(
    response: &TokenResponse,
    requested: &[String],
    expires_on: SystemTime,
    now: SystemTime,
) -> AuthenticationResult {
    let mut details = ResultDetails::new(response.token_type.clone());
    details.ext_expires_on = response
        .ext_expires_in
        .map(|s| now + Duration::from_secs(s));
    details.refresh_on = response.refresh_in.map(|s| now + Duration::from_secs(s));
    details.scopes = response
        .granted_scopes()
        .unwrap_or_else(|| requested.to_vec());
    details.id_token_claims = response
        .id_token
        .as_ref()
        .and_then(|t| msal_core::id_token::decode_unverified(t.secret()).ok());
    details.tenant_id = details.id_token_claims.as_ref().and_then(|c| c.tid.clone());
    details.id_token = response.id_token.clone();
    details.spa_code = response.spa_code.clone();
    details.spa_access_token = response.spa_access_token.clone();
    details.extra = response.extra.clone();
    if let Some(foci) = &response.foci {
        details
            .extra
            .insert("foci".into(), serde_json::Value::String(foci.clone()));
    }
    AuthenticationResult::from_parts(
        response.access_token.clone(),
        expires_on,
        TokenSource::IdentityProvider,
        Arc::new(details),
    )
}
