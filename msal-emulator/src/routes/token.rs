//! `POST /{tenant}/oauth2/v2.0/token`: client authentication, then the grant.
//!
//! Shared rules applied to every grant live in [`TokenRequest::issue`]: PoP binding
//! (`token_type=pop` + `req_cnf`), claims challenges for configured resources, and whether
//! `client_info` is returned.

use serde_json::Value;

use super::client_auth::{ClientAuth, authenticate};
use super::{
    AuthorityKind, authority_kind, check_tenant, device_code, grants, issuer_for, oauth_prefix,
};
use crate::config::ClientConfig;
use crate::crypto::b64url_decode;
use crate::state::Shared;
use crate::tokens::{Issue, Subject, resources_of, token_response};
use crate::wire::{AadError, Reply, Req};

/// A token request after client authentication.
#[derive(Debug)]
pub(super) struct TokenRequest<'a> {
    pub(super) shared: &'a Shared,
    pub(super) req: &'a Req,
    pub(super) client: &'a ClientConfig,
    pub(super) auth: ClientAuth,
    issuer: String,
    generic_oidc: bool,
}

impl TokenRequest<'_> {
    /// Rejects public clients on grants reserved to confidential ones.
    pub(super) fn require_confidential(&self) -> Result<(), AadError> {
        if self.auth == ClientAuth::Public {
            return Err(AadError::invalid_client(
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            ));
        }
        Ok(())
    }

    /// Issues tokens after the checks every grant shares.
    pub(super) fn issue(
        &self,
        subject: Subject<'_>,
        scopes: Vec<String>,
        nonce: Option<String>,
        earlier_claims: Option<String>,
    ) -> Result<Value, AadError> {
        let claims = self
            .req
            .form("claims")
            .map(str::to_owned)
            .or(earlier_claims);
        self.check_claims_challenge(&scopes, claims.as_deref())?;
        let pop_kid = self.pop_kid()?;
        let ssh_key_id = self.ssh_key_id()?;
        let issue = Issue {
            issuer: self.issuer.clone(),
            client_id: &self.client.client_id,
            subject,
            scopes,
            nonce,
            pop_kid,
            ssh_key_id,
            // Generic OIDC providers know nothing of client_info.
            client_info: self.req.form("client_info") == Some("1") && !self.generic_oidc,
            claims,
        };
        token_response(self.shared, &issue)
    }

    fn check_claims_challenge(
        &self,
        scopes: &[String],
        claims: Option<&str>,
    ) -> Result<(), AadError> {
        let demanding = resources_of(scopes).into_iter().find(|r| {
            self.shared
                .config
                .claims_challenge_resources
                .iter()
                .any(|c| c == r)
        });
        match (demanding, claims) {
            (Some(resource), None) => {
                let challenge = serde_json::json!({
                    "access_token": {"capolids": {"essential": true, "values": ["emulator-policy"]}}
                })
                .to_string();
                Err(AadError::new(
                    400,
                    "interaction_required",
                    50076,
                    format!("Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{resource}'."),
                )
                .with_suberror("basic_action")
                .with_claims(challenge))
            }
            _ => Ok(()),
        }
    }

    /// `token_type=ssh-cert` needs `req_cnf` (the public key as a JWK) and `key_id`.
    fn ssh_key_id(&self) -> Result<Option<String>, AadError> {
        if self.req.form("token_type") != Some("ssh-cert") {
            return Ok(None);
        }
        let jwk_ok = self
            .req
            .form("req_cnf")
            .and_then(|c| serde_json::from_str::<Value>(c).ok())
            .is_some_and(|v| v.get("kty").is_some());
        if !jwk_ok {
            return Err(AadError::invalid_request(
                50027,
                "req_cnf must be the public key as a JWK.",
            ));
        }
        let key_id = self
            .req
            .form("key_id")
            .ok_or_else(|| AadError::missing("key_id"))?;
        Ok(Some(key_id.to_owned()))
    }

    /// `token_type=pop` needs `req_cnf` = base64url JSON with a `kid`.
    fn pop_kid(&self) -> Result<Option<String>, AadError> {
        match self.req.form("token_type") {
            None | Some("bearer" | "Bearer" | "ssh-cert") => Ok(None),
            Some("pop") => {
                let req_cnf = self
                    .req
                    .form("req_cnf")
                    .ok_or_else(|| AadError::missing("req_cnf"))?;
                let kid = b64url_decode(req_cnf)
                    .and_then(|raw| serde_json::from_slice::<Value>(&raw).ok())
                    .and_then(|v| v.get("kid").and_then(|k| k.as_str()).map(str::to_owned))
                    .ok_or_else(|| {
                        AadError::invalid_request(
                            50027,
                            "req_cnf must be base64url-encoded JSON with a 'kid'.",
                        )
                    })?;
                Ok(Some(kid))
            }
            Some(other) => Err(AadError::invalid_request(
                900144,
                format!("token_type '{other}' is not supported."),
            )),
        }
    }
}

pub(super) fn token(shared: &Shared, req: &Req) -> Reply {
    let segments = oauth_prefix(&req.path, "token");
    if let Err(reply) = check_tenant(shared, req, &segments) {
        return reply;
    }
    let Some(grant_type) = req.form("grant_type") else {
        return AadError::missing("grant_type").reply(req);
    };
    let (client, auth) = match authenticate(shared, req) {
        Ok(found) => found,
        Err(e) => return e.reply(req),
    };
    let ctx = TokenRequest {
        shared,
        req,
        client,
        auth,
        issuer: issuer_for(shared, req, &segments),
        generic_oidc: authority_kind(&segments) == AuthorityKind::GenericOidc,
    };
    let result = match grant_type {
        "client_credentials" => grants::client_credentials(&ctx),
        "authorization_code" => grants::authorization_code(&ctx),
        "refresh_token" => grants::refresh_token(&ctx),
        "password" => grants::password(&ctx),
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => grants::on_behalf_of(&ctx),
        "urn:ietf:params:oauth:grant-type:device_code" => device_code::redeem(&ctx),
        other => Err(AadError::new(
            400,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{other}'."),
        )),
    };
    match result {
        Ok(body) => Reply::json(200, &body),
        Err(e) => e.reply(req),
    }
}
