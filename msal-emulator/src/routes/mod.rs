//! Request routing: which [`Endpoint`] a request addresses, and its answer.

mod authorize;
mod client_auth;
mod device_code;
mod discovery;
mod grants;
mod key_vault;
mod logout;
mod managed_identity;
mod token;

use crate::faults::Endpoint;
use crate::state::Shared;
use crate::wire::{AadError, Listener, Reply, Req};

/// The endpoint a request addresses on its listener, if any.
pub(crate) fn classify(req: &Req) -> Option<Endpoint> {
    let path = req.path.trim_end_matches('/');
    match req.listener {
        Listener::Https => {
            // Key Vault's names are letters, digits and dashes, so no Entra path starts so.
            if path.starts_with("/secrets/") {
                Some(Endpoint::KeyVaultSecret)
            } else if path.ends_with("/.well-known/openid-configuration") {
                Some(Endpoint::OpenIdConfiguration)
            } else if path.ends_with("/discovery/instance") {
                Some(Endpoint::InstanceDiscovery)
            } else if path.ends_with("/discovery/v2.0/keys") || path.ends_with("/discovery/keys") {
                Some(Endpoint::Jwks)
            } else if path.contains("/userrealm/") {
                Some(Endpoint::UserRealm)
            } else if path.ends_with("/oauth2/v2.0/authorize")
                || path.ends_with("/oauth2/authorize")
            {
                Some(Endpoint::Authorize)
            } else if path.ends_with("/oauth2/v2.0/token") || path.ends_with("/oauth2/token") {
                Some(Endpoint::Token)
            } else if path.ends_with("/oauth2/v2.0/devicecode")
                || path.ends_with("/oauth2/devicecode")
            {
                Some(Endpoint::DeviceCode)
            } else if path.ends_with("/oauth2/v2.0/logout") || path.ends_with("/oauth2/logout") {
                Some(Endpoint::Logout)
            } else {
                None
            }
        }
        Listener::Http => match path {
            "/metadata/identity/oauth2/token" => Some(Endpoint::Imds),
            "/metadata/instance/compute/location" | "/metadata/instance/compute" => {
                Some(Endpoint::ImdsRegion)
            }
            "/msi/token" => Some(Endpoint::AppService),
            "/msi/ml" => Some(Endpoint::MachineLearning),
            "/oauth2/token" => Some(Endpoint::CloudShell),
            "/arc/metadata/identity/oauth2/token" => Some(Endpoint::AzureArc),
            _ => None,
        },
        Listener::ServiceFabric => (path == "/msi/sf").then_some(Endpoint::ServiceFabric),
    }
}

/// Answers a request.
pub(crate) fn handle(shared: &Shared, req: &Req) -> Reply {
    let Some(endpoint) = classify(req) else {
        return not_found(req);
    };
    let get = req.method == "GET";
    let post = req.method == "POST";
    match endpoint {
        Endpoint::OpenIdConfiguration if get => discovery::openid_configuration(shared, req),
        Endpoint::InstanceDiscovery if get => discovery::instance_discovery(shared, req),
        Endpoint::Jwks if get => discovery::jwks(shared, req),
        Endpoint::UserRealm if get => discovery::user_realm(shared, req),
        Endpoint::Authorize if get || post => authorize::authorize(shared, req),
        Endpoint::Token if post => token::token(shared, req),
        Endpoint::DeviceCode if post => device_code::device_code(shared, req),
        Endpoint::Logout if get || post => logout::logout(shared, req),
        Endpoint::Imds if get => managed_identity::imds(shared, req),
        Endpoint::ImdsRegion if get => managed_identity::imds_region(shared, req),
        Endpoint::AppService if get => managed_identity::app_service(shared, req),
        Endpoint::MachineLearning if get => managed_identity::machine_learning(shared, req),
        Endpoint::CloudShell if post => managed_identity::cloud_shell(shared, req),
        Endpoint::AzureArc if get => managed_identity::azure_arc(shared, req),
        Endpoint::ServiceFabric if get => managed_identity::service_fabric(shared, req),
        Endpoint::KeyVaultSecret => key_vault::get_secret(shared, req),
        _ => AadError::new(
            405,
            "invalid_request",
            900561,
            format!(
                "The endpoint only accepts its documented method, not {}.",
                req.method
            ),
        )
        .reply(req),
    }
}

fn not_found(req: &Req) -> Reply {
    Reply::json(
        404,
        &serde_json::json!({
            "error": "not_found",
            "error_description": format!("msal-emulator has no route for {} {}", req.method, req.path),
        }),
    )
}

/// The path segments before the route's fixed suffix (`/{tenant}/oauth2/v2.0/token` → `[tenant]`).
pub(crate) fn leading_segments<'a>(path: &'a str, suffix: &str) -> Vec<&'a str> {
    let path = path.trim_end_matches('/');
    let prefix = path.strip_suffix(suffix).unwrap_or(path);
    prefix.split('/').filter(|s| !s.is_empty()).collect()
}

/// The tenant named by an Entra, B2C (`tfp` or `b2c_` policy) or ADFS path prefix.
pub(crate) fn tenant_of<'a>(segments: &[&'a str]) -> Option<&'a str> {
    match segments {
        ["tfp", tenant, _policy] => Some(tenant),
        [tenant, ..] => Some(tenant),
        [] => None,
    }
}

/// Which flavour of authority a path prefix belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthorityKind {
    Entra,
    B2c,
    Adfs,
    GenericOidc,
}

pub(crate) fn authority_kind(segments: &[&str]) -> AuthorityKind {
    match segments {
        ["adfs", ..] => AuthorityKind::Adfs,
        ["oidc", ..] => AuthorityKind::GenericOidc,
        ["tfp", ..] => AuthorityKind::B2c,
        [_, policy] if policy.to_ascii_lowercase().starts_with("b2c_") => AuthorityKind::B2c,
        _ => AuthorityKind::Entra,
    }
}

/// The issuer for tokens served under a path prefix.
pub(crate) fn issuer_for(shared: &Shared, req: &Req, segments: &[&str]) -> String {
    let origin = req.origin(&shared.base_url);
    match authority_kind(segments) {
        AuthorityKind::Adfs => format!("{origin}/adfs"),
        AuthorityKind::GenericOidc => format!("{origin}/oidc"),
        AuthorityKind::Entra | AuthorityKind::B2c => {
            format!("{origin}/{}/v2.0", shared.config.tenant_id)
        }
    }
}

/// Whether a path prefix names a tenant the emulator hosts (ADFS and generic OIDC always do).
pub(crate) fn check_tenant_segments(shared: &Shared, segments: &[&str]) -> bool {
    matches!(
        authority_kind(segments),
        AuthorityKind::Adfs | AuthorityKind::GenericOidc
    ) || tenant_of(segments).is_some_and(|t| shared.config.is_known_tenant(t))
}

/// Rejects a tenant the emulator does not host (AADSTS90002).
pub(crate) fn check_tenant(shared: &Shared, req: &Req, segments: &[&str]) -> Result<(), Reply> {
    if check_tenant_segments(shared, segments) {
        return Ok(());
    }
    Err(AadError::new(
        400,
        "invalid_tenant",
        90002,
        format!(
            "Tenant '{}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
            tenant_of(segments).unwrap_or_default()
        ),
    )
    .reply(req))
}

/// The path prefix before an OAuth endpoint (`…/oauth2/v2.0/<name>` or ADFS `…/oauth2/<name>`).
pub(crate) fn oauth_prefix<'a>(path: &'a str, name: &str) -> Vec<&'a str> {
    let v2 = format!("/oauth2/v2.0/{name}");
    if path.trim_end_matches('/').ends_with(&v2) {
        leading_segments(path, &v2)
    } else {
        leading_segments(path, &format!("/oauth2/{name}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_and_kind_from_paths() {
        let segs = leading_segments("/t1/oauth2/v2.0/token", "/oauth2/v2.0/token");
        assert_eq!(segs, vec!["t1"]);
        assert_eq!(tenant_of(&segs), Some("t1"));
        let b2c = leading_segments(
            "/tfp/t2/B2C_1_signin/oauth2/v2.0/token",
            "/oauth2/v2.0/token",
        );
        assert_eq!(tenant_of(&b2c), Some("t2"));
        assert_eq!(authority_kind(&b2c), AuthorityKind::B2c);
        assert_eq!(authority_kind(&["t", "b2c_1_x"]), AuthorityKind::B2c);
        assert_eq!(authority_kind(&["adfs"]), AuthorityKind::Adfs);
        assert_eq!(authority_kind(&["oidc"]), AuthorityKind::GenericOidc);
    }
}
