//! The device authorization grant: `POST …/devicecode` issues a code; polls of the token
//! endpoint answer `authorization_pending` (or `slow_down`) until the code is approved (by
//! itself after N polls, or by [`crate::Emulator::approve_device_code`]), declined, or expired.

use serde_json::{Value, json};

use super::token::TokenRequest;
use super::{check_tenant, oauth_prefix};
use crate::crypto::random_token;
use crate::faults::lock;
use crate::state::{DeviceCode, DeviceStatus, Shared};
use crate::tokens::{Subject, split_scopes};
use crate::wire::{AadError, Reply, Req, now_secs};

/// Letters Entra uses in user codes (no look-alikes).
const USER_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn user_code() -> String {
    let mut raw = [0u8; 9];
    rand::fill(&mut raw[..]);
    raw.iter()
        .map(|b| char::from(USER_CODE_ALPHABET[usize::from(*b) % USER_CODE_ALPHABET.len()]))
        .collect()
}

pub(super) fn device_code(shared: &Shared, req: &Req) -> Reply {
    let segments = oauth_prefix(&req.path, "devicecode");
    if let Err(reply) = check_tenant(shared, req, &segments) {
        return reply;
    }
    let Some(client_id) = req.form("client_id") else {
        return AadError::missing("client_id").reply(req);
    };
    if shared.config.client(client_id).is_none() {
        return AadError::new(
            400,
            "unauthorized_client",
            700016,
            format!("Application with identifier '{client_id}' was not found in the directory."),
        )
        .reply(req);
    }
    let Some(scope) = req.form("scope") else {
        return AadError::missing("scope").reply(req);
    };
    let cfg = &shared.config;
    let user_code = user_code();
    let device_code = format!("dc.{}", random_token(32));
    lock(&shared.grants).device_codes.insert(
        device_code.clone(),
        DeviceCode {
            user_code: user_code.clone(),
            client_id: client_id.to_owned(),
            scopes: split_scopes(Some(scope)),
            claims: req.form("claims").map(str::to_owned),
            status: DeviceStatus::Pending,
            polls: 0,
            expires_at: now_secs() + cfg.device_code_expires_in,
            redeemed: false,
        },
    );
    let verification_uri = "https://microsoft.com/devicelogin";
    Reply::json(
        200,
        &json!({
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": verification_uri,
            "expires_in": cfg.device_code_expires_in,
            "interval": cfg.device_code_interval,
            "message": format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate."),
        }),
    )
}

fn poll_error(error: &'static str, code: u32, message: &str) -> AadError {
    AadError::new(400, error, code, message)
}

/// A poll with `grant_type=urn:ietf:params:oauth:grant-type:device_code`. MSAL Python sends the
/// code as both `device_code` and `code`; either is accepted.
pub(super) fn redeem(ctx: &TokenRequest<'_>) -> Result<Value, AadError> {
    let code = ctx
        .req
        .form("device_code")
        .or_else(|| ctx.req.form("code"))
        .ok_or_else(|| AadError::missing("device_code"))?;
    let cfg = &ctx.shared.config;
    let (scopes, claims) = {
        let mut grants = lock(&ctx.shared.grants);
        let entry = grants.device_codes.get_mut(code).ok_or_else(|| {
            AadError::invalid_grant(
                70000,
                "The provided value for the input parameter 'device_code' is not valid.",
            )
        })?;
        if entry.client_id != ctx.client.client_id {
            return Err(AadError::invalid_grant(
                70000,
                "The device code was issued to a different client.",
            ));
        }
        if entry.redeemed {
            return Err(AadError::invalid_grant(
                54005,
                "The device code was already redeemed.",
            ));
        }
        if entry.expires_at < now_secs() {
            return Err(poll_error(
                "expired_token",
                70019,
                "Verification code expired.",
            ));
        }
        entry.polls += 1;
        if entry.status == DeviceStatus::Pending
            && cfg
                .device_code_polls_before_approval
                .is_some_and(|n| entry.polls > n)
        {
            entry.status = DeviceStatus::Approved;
        }
        match entry.status {
            DeviceStatus::Declined => {
                return Err(poll_error(
                    "authorization_declined",
                    70000,
                    "The end user denied the authorization request.",
                ));
            }
            DeviceStatus::Pending if cfg.device_code_slow_down_on_poll == Some(entry.polls) => {
                return Err(poll_error(
                    "slow_down",
                    70016,
                    "OAuth 2.0 device flow error. Polling too fast; slow down.",
                ));
            }
            DeviceStatus::Pending => {
                return Err(poll_error(
                    "authorization_pending",
                    70016,
                    "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                ));
            }
            DeviceStatus::Approved => {
                entry.redeemed = true;
                (entry.scopes.clone(), entry.claims.clone())
            }
        }
    };
    let user = cfg
        .default_user()
        .ok_or_else(|| AadError::invalid_grant(50034, "The emulator has no user to sign in."))?;
    ctx.issue(Subject::User(user), scopes, None, claims)
}
