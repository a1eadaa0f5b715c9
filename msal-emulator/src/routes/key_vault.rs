//! A Key Vault secrets stand-in: `GET /secrets/{name}[/{version}]?api-version=…`, checking the
//! bearer token as the service does, so a real Azure SDK client with a real credential can be
//! tested end to end.
//!
//! Key Vault's clients discover where to get a token from the service itself: their first
//! request goes without `Authorization`, and the `401`'s `WWW-Authenticate: Bearer
//! authorization="…", resource="https://vault.azure.net"` names the authority and the resource
//! (the client then asks its credential for `https://vault.azure.net/.default`). Every 401 here
//! carries that challenge, as Key Vault's do, with the emulator's own authority.

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::config::ids::KEY_VAULT_RESOURCE;
use crate::crypto::hex;
use crate::state::Shared;
use crate::wire::{Reply, Req, now_secs};

/// Clock skew allowed on `nbf`, as token validators commonly allow.
const NBF_SKEW_SECS: u64 = 300;

/// Answers a secrets request.
pub(crate) fn get_secret(shared: &Shared, req: &Req) -> Reply {
    if req.method != "GET" {
        return error(
            405,
            "MethodNotAllowed",
            &format!(
                "The Key Vault stand-in serves only GET of secrets, not {}.",
                req.method
            ),
        );
    }
    if let Err(reason) = check_bearer(shared, req) {
        return unauthorized(shared, reason);
    }
    if req.query("api-version").is_none() {
        return error(
            400,
            "BadParameter",
            "The api-version query parameter is missing.",
        );
    }
    let segments: Vec<&str> = req
        .path
        .trim_end_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let (name, version) = match segments.as_slice() {
        ["secrets", name] => (*name, None),
        ["secrets", name, version] => (*name, Some(*version)),
        _ => {
            return error(
                400,
                "BadParameter",
                "Expected /secrets/{name} or /secrets/{name}/{version}.",
            );
        }
    };
    let Some((stored_name, value)) = shared
        .config
        .key_vault_secrets
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    else {
        return not_found(name);
    };
    let current = version_of(stored_name, value);
    if version.is_some_and(|v| !v.eq_ignore_ascii_case(&current)) {
        return not_found(name);
    }
    let id = format!(
        "{}/secrets/{stored_name}/{current}",
        req.origin(&shared.base_url)
    );
    Reply::json(
        200,
        &json!({
            "value": value,
            "id": id,
            "attributes": {
                "enabled": true,
                "created": shared.started_at,
                "updated": shared.started_at,
                "recoveryLevel": "Recoverable+Purgeable",
                "recoverableDays": 90,
            },
            "tags": {},
        }),
    )
}

/// Why a request is not authorized; the text goes into the 401's message.
fn check_bearer(shared: &Shared, req: &Req) -> Result<(), &'static str> {
    let header = req
        .header("authorization")
        .ok_or("Request is missing a Bearer or PoP token.")?;
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or("The Authorization header is not a Bearer token.")?;
    let claims = shared
        .signer
        .verify(token)
        .ok_or("The token's signature is invalid (not signed by this tenant's key).")?;
    let audience = claims.get("aud").and_then(|a| a.as_str()).unwrap_or("");
    if audience.trim_end_matches('/') != KEY_VAULT_RESOURCE {
        return Err("Invalid audience: the token is not for https://vault.azure.net.");
    }
    let now = now_secs();
    let exp = claims.get("exp").and_then(|e| e.as_u64()).unwrap_or(0);
    if exp <= now {
        return Err("The token is expired.");
    }
    let nbf = claims.get("nbf").and_then(|n| n.as_u64()).unwrap_or(0);
    if nbf > now + NBF_SKEW_SECS {
        return Err("The token is not yet valid.");
    }
    Ok(())
}

/// A 401 with Key Vault's challenge, naming this emulator's authority.
fn unauthorized(shared: &Shared, message: &str) -> Reply {
    let challenge = format!(
        r#"Bearer authorization="{}/{}", resource="{KEY_VAULT_RESOURCE}""#,
        shared.base_url, shared.config.tenant_id
    );
    error(401, "Unauthorized", message).with_header("WWW-Authenticate", challenge)
}

fn not_found(name: &str) -> Reply {
    error(
        404,
        "SecretNotFound",
        &format!("A secret with (name/id) {name} was not found in this key vault."),
    )
}

/// Key Vault's error body: `{"error": {"code", "message"}}`.
fn error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({"error": {"code": code, "message": message}}),
    )
}

/// A stable version id (32 hex digits, as Key Vault's) for a secret's value.
fn version_of(name: &str, value: &str) -> String {
    let digest = Sha256::digest(format!("{}\n{value}", name.to_ascii_lowercase()).as_bytes());
    hex(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_stable_per_value_and_case_blind_per_name() {
        let v = version_of("Db-Password", "one");
        assert_eq!(v.len(), 32);
        assert_eq!(v, version_of("db-password", "one"));
        assert_ne!(v, version_of("db-password", "two"));
    }
}
