//! Minting access, ID and refresh tokens, and the token-endpoint success body.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::{ManagedIdentityConfig, UserConfig};
use crate::crypto::{b64url, random_token};
use crate::state::{RefreshGrant, Shared};
use crate::wire::{AadError, now_secs};

/// OIDC scopes that name no resource.
pub(crate) const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "offline_access", "email"];

/// Microsoft Graph's app id, the audience of scopes without a resource prefix.
const GRAPH: &str = "https://graph.microsoft.com";

/// Splits a `scope` parameter.
pub(crate) fn split_scopes(scope: Option<&str>) -> Vec<String> {
    scope
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The resource of a scope (`https://api.x/Data.Read` → `https://api.x`); `None` for OIDC scopes.
pub(crate) fn resource_of(scope: &str) -> Option<String> {
    if OIDC_SCOPES.contains(&scope) {
        return None;
    }
    match scope.rfind('/') {
        Some(i) if i > 0 => Some(scope[..i].trim_end_matches('/').to_owned()),
        _ => Some(GRAPH.to_owned()),
    }
}

/// The resources named by `scopes`, in order, without duplicates.
pub(crate) fn resources_of(scopes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in scopes.iter().filter_map(|s| resource_of(s)) {
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

/// Who a token is for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject<'a> {
    /// A user, through a (public or confidential) client.
    User(&'a UserConfig),
    /// The client itself (client credentials).
    App,
}

/// One token issuance.
#[derive(Debug, Clone)]
pub(crate) struct Issue<'a> {
    /// `iss` of the tokens.
    pub(crate) issuer: String,
    pub(crate) client_id: &'a str,
    pub(crate) subject: Subject<'a>,
    /// Scopes as requested (offline_access decides about a refresh token).
    pub(crate) scopes: Vec<String>,
    pub(crate) nonce: Option<String>,
    /// `kid` of a PoP key the access token is bound to.
    pub(crate) pop_kid: Option<String>,
    /// `key_id` of an SSH public key to certify (`token_type=ssh-cert`).
    pub(crate) ssh_key_id: Option<String>,
    /// The request had `client_info=1`.
    pub(crate) client_info: bool,
    /// Claims the request carried (echoed into the AT as `xms_cc`-style evidence).
    pub(crate) claims: Option<String>,
}

/// A stable per-client subject, as Entra's pairwise `sub`.
fn pairwise_sub(oid: &str, client_id: &str) -> String {
    b64url(Sha256::digest(format!("{oid}|{client_id}").as_bytes()))
}

/// The service principal object id the emulator uses for an app.
pub(crate) fn app_object_id(client_id: &str) -> String {
    let tail = client_id.get(9..).unwrap_or(client_id);
    format!("22222222-{tail}")
}

/// Encodes `client_info` as Entra does: base64url of `{"uid","utid"}`.
pub(crate) fn client_info(oid: &str, tenant_id: &str) -> String {
    b64url(json!({"uid": oid, "utid": tenant_id}).to_string())
}

/// Builds the success body of the token endpoint and registers any refresh token.
pub(crate) fn token_response(shared: &Shared, issue: &Issue<'_>) -> Result<Value, AadError> {
    let cfg = &shared.config;
    let now = now_secs();
    let tid = &cfg.tenant_id;
    let iss = issue.issuer.clone();
    let resources = resources_of(&issue.scopes);
    let resource = resources
        .first()
        .cloned()
        .unwrap_or_else(|| GRAPH.to_owned());
    let scp: Vec<&str> = issue
        .scopes
        .iter()
        .filter(|s| !OIDC_SCOPES.contains(&s.as_str()))
        .map(|s| s.rsplit('/').next().unwrap_or(s))
        .collect();

    let mut at = json!({
        "aud": resource,
        "iss": iss,
        "iat": now,
        "nbf": now,
        "exp": now + cfg.expires_in,
        "azp": issue.client_id,
        "tid": tid,
        "uti": random_token(16),
        "ver": "2.0",
    });
    match issue.subject {
        Subject::User(user) => {
            at["oid"] = json!(user.oid);
            at["sub"] = json!(pairwise_sub(&user.oid, issue.client_id));
            at["name"] = json!(user.name);
            at["preferred_username"] = json!(user.upn);
            at["scp"] = json!(scp.join(" "));
        }
        Subject::App => {
            let oid = app_object_id(issue.client_id);
            at["oid"] = json!(oid);
            at["sub"] = json!(oid);
            at["idtyp"] = json!("app");
            at["roles"] = json!([]);
        }
    }
    if let Some(kid) = &issue.pop_kid {
        at["cnf"] = json!({"kid": kid});
    }
    if let Some(claims) = &issue.claims {
        at["xms_claims_satisfied"] = json!(claims);
    }
    let access_token = match &issue.ssh_key_id {
        // A stand-in for an OpenSSH user certificate: unique, and plainly not a JWT.
        Some(key_id) => format!(
            "ssh-rsa-cert-v01@openssh.com {} {key_id}",
            uuid::Uuid::new_v4().simple()
        ),
        None => shared
            .signer
            .sign(&at)
            .map_err(|e| AadError::new(500, "server_error", 90000, e))?,
    };
    let token_type = match (&issue.pop_kid, &issue.ssh_key_id) {
        (Some(_), _) => "pop",
        (_, Some(_)) => "ssh-cert",
        _ => "Bearer",
    };
    let mut body = json!({
        "token_type": token_type,
        "expires_in": cfg.expires_in,
        "ext_expires_in": cfg.ext_expires_in,
        "access_token": access_token,
    });
    if let Some(refresh_in) = cfg.refresh_in {
        body["refresh_in"] = json!(refresh_in);
    }

    if let Subject::User(user) = issue.subject {
        let granted: Vec<&str> = issue
            .scopes
            .iter()
            .map(String::as_str)
            .filter(|s| *s != "offline_access")
            .collect();
        body["scope"] = json!(granted.join(" "));
        if issue.scopes.iter().any(|s| s == "openid") {
            let mut id = json!({
                "aud": issue.client_id,
                "iss": iss,
                "iat": now,
                "nbf": now,
                "exp": now + 3600,
                "name": user.name,
                "oid": user.oid,
                "preferred_username": user.upn,
                "sub": pairwise_sub(&user.oid, issue.client_id),
                "tid": tid,
                "uti": random_token(16),
                "ver": "2.0",
            });
            if let Some(nonce) = &issue.nonce {
                id["nonce"] = json!(nonce);
            }
            body["id_token"] = json!(shared.signer.sign(&id).map_err(|e| AadError::new(
                500,
                "server_error",
                90000,
                e
            ))?);
        }
        if issue.client_info {
            body["client_info"] = json!(client_info(&user.oid, tid));
        }
        let foci = cfg.client(issue.client_id).is_some_and(|c| c.foci);
        if issue.scopes.iter().any(|s| s == "offline_access") {
            let rt = format!("rt.{}", random_token(32));
            crate::faults::lock(&shared.grants).refresh_tokens.insert(
                rt.clone(),
                RefreshGrant {
                    client_id: issue.client_id.to_owned(),
                    user: user.clone(),
                    family: foci,
                },
            );
            body["refresh_token"] = json!(rt);
        }
        if foci {
            body["foci"] = json!("1");
        }
    }
    Ok(body)
}

/// A managed-identity access token (v1 shape, as Azure's identity endpoints issue).
pub(crate) fn managed_identity_token(
    shared: &Shared,
    identity: &ManagedIdentityConfig,
    resource: &str,
    expires_on: u64,
) -> Result<String, String> {
    let now = now_secs();
    let tid = &shared.config.tenant_id;
    shared.signer.sign(&json!({
        "aud": resource,
        "iss": format!("https://sts.windows.net/{tid}/"),
        "iat": now,
        "nbf": now,
        "exp": expires_on,
        "appid": identity.client_id,
        "oid": identity.object_id,
        "sub": identity.object_id,
        "tid": tid,
        "idtyp": "app",
        "xms_mirid": identity.resource_id,
        "ver": "1.0",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_from_scopes() {
        assert_eq!(
            resource_of("https://api.fake-entra.invalid/Data.Read").as_deref(),
            Some("https://api.fake-entra.invalid")
        );
        assert_eq!(
            resource_of("https://api.fake-entra.invalid/.default").as_deref(),
            Some("https://api.fake-entra.invalid")
        );
        assert_eq!(resource_of("User.Read").as_deref(), Some(GRAPH));
        assert_eq!(resource_of("openid"), None);
        let scopes = split_scopes(Some(
            "https://a.x/A https://a.x/B openid https://b.y/.default",
        ));
        assert_eq!(resources_of(&scopes), vec!["https://a.x", "https://b.y"]);
    }

    #[test]
    fn client_info_is_base64url_json() {
        let ci = client_info("u", "t");
        let decoded = crate::crypto::b64url_decode(&ci).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&decoded).unwrap(),
            json!({"uid": "u", "utid": "t"})
        );
    }
}
