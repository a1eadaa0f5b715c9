//! The token-endpoint grants other than the device code: client credentials, authorization code
//! (with PKCE), refresh token (FOCI aware), password (ROPC) and on-behalf-of.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::token::TokenRequest;
use crate::crypto::b64url;
use crate::faults::lock;
use crate::tokens::{Subject, split_scopes};
use crate::wire::{AadError, now_secs};

pub(super) fn client_credentials(ctx: &TokenRequest<'_>) -> Result<Value, AadError> {
    ctx.require_confidential()?;
    let scope = ctx
        .req
        .form("scope")
        .ok_or_else(|| AadError::missing("scope"))?;
    let scopes = split_scopes(Some(scope));
    if let Some(bad) = scopes.iter().find(|s| !s.ends_with("/.default")) {
        return Err(AadError::new(
            400,
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {bad} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        ));
    }
    ctx.issue(Subject::App, scopes, None, None)
}

pub(super) fn authorization_code(ctx: &TokenRequest<'_>) -> Result<Value, AadError> {
    let code = ctx
        .req
        .form("code")
        .ok_or_else(|| AadError::missing("code"))?;
    let grant = {
        let mut grants = lock(&ctx.shared.grants);
        let stored = grants.codes.get_mut(code).ok_or_else(|| {
            AadError::invalid_grant(
                70000,
                "The provided value for the 'code' parameter is not valid.",
            )
        })?;
        if stored.redeemed {
            return Err(AadError::invalid_grant(
                54005,
                "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
            ));
        }
        if stored.expires_at < now_secs() {
            return Err(AadError::invalid_grant(
                70008,
                "The provided authorization code or refresh token has expired due to inactivity.",
            ));
        }
        if stored.client_id != ctx.client.client_id {
            return Err(AadError::invalid_grant(
                700005,
                "Provided Authorization Code is intended to use against other tenant or application.",
            ));
        }
        if ctx.req.form("redirect_uri") != Some(stored.redirect_uri.as_str()) {
            return Err(AadError::invalid_grant(
                50011,
                "The redirect URI does not match the one used to obtain the authorization code.",
            ));
        }
        if let Some(challenge) = &stored.code_challenge {
            let verifier = ctx.req.form("code_verifier").unwrap_or_default();
            if b64url(Sha256::digest(verifier.as_bytes())) != *challenge {
                return Err(AadError::invalid_grant(
                    501481,
                    "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                ));
            }
        }
        stored.redeemed = true;
        stored.clone()
    };
    let scopes = match ctx.req.form("scope") {
        Some(s) => split_scopes(Some(s)),
        None => grant.scopes.clone(),
    };
    ctx.issue(
        Subject::User(&grant.user),
        scopes,
        grant.nonce.clone(),
        grant.claims.clone(),
    )
}

pub(super) fn refresh_token(ctx: &TokenRequest<'_>) -> Result<Value, AadError> {
    let rt = ctx
        .req
        .form("refresh_token")
        .ok_or_else(|| AadError::missing("refresh_token"))?;
    let grant = lock(&ctx.shared.grants)
        .refresh_tokens
        .get(rt)
        .cloned()
        .ok_or_else(|| {
            AadError::invalid_grant(9002313, "Invalid request. Request is malformed or invalid.")
                .with_suberror("bad_token")
        })?;
    let same_client = grant.client_id == ctx.client.client_id;
    let family_member = grant.family && ctx.client.foci;
    if !same_client && !family_member {
        return Err(AadError::invalid_grant(
            70000,
            "The refresh token was issued to a different client and is not a family refresh token.",
        ));
    }
    let scopes = split_scopes(Some(
        ctx.req
            .form("scope")
            .unwrap_or("openid profile offline_access"),
    ));
    ctx.issue(Subject::User(&grant.user), scopes, None, None)
}

pub(super) fn password(ctx: &TokenRequest<'_>) -> Result<Value, AadError> {
    let username = ctx
        .req
        .form("username")
        .ok_or_else(|| AadError::missing("username"))?;
    let password = ctx
        .req
        .form("password")
        .ok_or_else(|| AadError::missing("password"))?;
    let user = ctx.shared.config.user(username).ok_or_else(|| {
        AadError::invalid_grant(
            50034,
            format!("The user account {username} does not exist in the directory."),
        )
    })?;
    if user.federated {
        return Err(AadError::invalid_grant(
            50126,
            "Error validating credentials: the user is federated; use its identity provider.",
        ));
    }
    if user.password != password {
        return Err(AadError::invalid_grant(
            50126,
            "Error validating credentials due to invalid username or password.",
        ));
    }
    let scopes = split_scopes(ctx.req.form("scope"));
    ctx.issue(Subject::User(user), scopes, None, None)
}

/// `jwt-bearer` with `requested_token_use=on_behalf_of`: the assertion must be a user access
/// token this emulator issued for this middle tier.
pub(super) fn on_behalf_of(ctx: &TokenRequest<'_>) -> Result<Value, AadError> {
    ctx.require_confidential()?;
    if ctx.req.form("requested_token_use") != Some("on_behalf_of") {
        return Err(AadError::invalid_request(
            50027,
            "jwt-bearer grants need requested_token_use=on_behalf_of.",
        ));
    }
    let assertion = ctx
        .req
        .form("assertion")
        .ok_or_else(|| AadError::missing("assertion"))?;
    let claims =
        ctx.shared.signer.verify(assertion).ok_or_else(|| {
            AadError::invalid_grant(50013, "Assertion failed signature validation.")
        })?;
    if claims
        .get("exp")
        .and_then(Value::as_u64)
        .is_none_or(|exp| exp <= now_secs())
    {
        return Err(AadError::invalid_grant(
            500133,
            "Assertion is not within its valid time range.",
        ));
    }
    let aud = claims
        .get("aud")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let client = ctx.client;
    let accepted = aud == client.client_id
        || aud == format!("api://{}", client.client_id)
        || client
            .app_id_uris
            .iter()
            .any(|u| u.trim_end_matches('/') == aud.trim_end_matches('/'));
    if !accepted {
        return Err(AadError::invalid_grant(
            50013,
            "Assertion audience does not match the Client app presenting the assertion.",
        ));
    }
    let oid = claims
        .get("oid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let user = ctx
        .shared
        .config
        .users
        .iter()
        .find(|u| u.oid == oid)
        .ok_or_else(|| AadError::invalid_grant(50013, "The assertion is not a user token."))?;
    let scopes = split_scopes(ctx.req.form("scope"));
    ctx.issue(Subject::User(user), scopes, None, None)
}
