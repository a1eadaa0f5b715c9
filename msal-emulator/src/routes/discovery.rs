//! OpenID configuration, instance discovery, JWKS and user realm discovery.

use serde_json::{Value, json};

use super::{AuthorityKind, authority_kind, check_tenant, issuer_for, leading_segments};
use crate::state::Shared;
use crate::wire::{AadError, Reply, Req};

const WELL_KNOWN_SUFFIX: &str = "/.well-known/openid-configuration";

/// `GET …/.well-known/openid-configuration` for Entra (`/{tenant}/v2.0/`), B2C, ADFS and the
/// generic OIDC authority (`/oidc/`).
pub(super) fn openid_configuration(shared: &Shared, req: &Req) -> Reply {
    let mut segments = leading_segments(&req.path, WELL_KNOWN_SUFFIX);
    let kind = authority_kind(&segments);
    if matches!(kind, AuthorityKind::Entra | AuthorityKind::B2c) {
        // Entra and B2C discovery live under `/v2.0/`; anything else is not a v2 document.
        if segments.last() != Some(&"v2.0") {
            return AadError::invalid_request(
                90002,
                "Discovery for v1 endpoints is not emulated; use /{tenant}/v2.0/.well-known/openid-configuration.",
            )
            .reply(req);
        }
        segments.pop();
    }
    if let Err(reply) = check_tenant(shared, req, &segments) {
        return reply;
    }
    let origin = req.origin(&shared.base_url);
    let cfg = &shared.config;
    let (base, issuer) = match kind {
        AuthorityKind::Adfs => (format!("{origin}/adfs"), format!("{origin}/adfs")),
        AuthorityKind::GenericOidc => (format!("{origin}/oidc"), format!("{origin}/oidc")),
        AuthorityKind::B2c => {
            let prefix = segments.join("/");
            (
                format!("{origin}/{prefix}"),
                issuer_for(shared, req, &segments),
            )
        }
        AuthorityKind::Entra => {
            let tenant = segments.first().copied().unwrap_or_default();
            let multi = ["common", "organizations", "consumers"]
                .iter()
                .any(|t| tenant.eq_ignore_ascii_case(t));
            if multi {
                // Entra answers multi-tenant discovery with a placeholder issuer.
                (
                    format!("{origin}/{tenant}"),
                    format!("{origin}/{{tenantid}}/v2.0"),
                )
            } else {
                // A domain name resolves to the tenant id, as Entra does.
                (
                    format!("{origin}/{}", cfg.tenant_id),
                    format!("{origin}/{}/v2.0", cfg.tenant_id),
                )
            }
        }
    };
    let oauth = if kind == AuthorityKind::Adfs {
        format!("{base}/oauth2")
    } else {
        format!("{base}/oauth2/v2.0")
    };
    let jwks_uri = if kind == AuthorityKind::Adfs {
        format!("{base}/discovery/keys")
    } else {
        format!("{base}/discovery/v2.0/keys")
    };
    let doc = json!({
        "token_endpoint": format!("{oauth}/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": jwks_uri,
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer,
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": format!("{oauth}/authorize"),
        "device_authorization_endpoint": format!("{oauth}/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{oauth}/logout"),
        "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": format!("{base}/kerberos"),
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    });
    Reply::json(200, &doc)
}

/// Hosts of the public cloud's alias group.
const PUBLIC_CLOUD: [&str; 4] = [
    "login.microsoftonline.com",
    "login.windows.net",
    "login.microsoft.com",
    "sts.windows.net",
];

fn metadata(shared: &Shared) -> Value {
    let emulator_hosts: Vec<&str> = shared
        .known_hosts
        .iter()
        .map(String::as_str)
        .filter(|h| !PUBLIC_CLOUD.contains(h) && !h.starts_with("*."))
        .collect();
    json!([
        {
            "preferred_network": "login.microsoftonline.com",
            "preferred_cache": "login.windows.net",
            "aliases": PUBLIC_CLOUD,
        },
        {
            "preferred_network": emulator_hosts.first().copied().unwrap_or("127.0.0.1"),
            "preferred_cache": emulator_hosts.first().copied().unwrap_or("127.0.0.1"),
            "aliases": emulator_hosts,
        },
        {
            "preferred_network": "login.partner.microsoftonline.cn",
            "preferred_cache": "login.partner.microsoftonline.cn",
            "aliases": ["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
        },
        {
            "preferred_network": "login.microsoftonline.us",
            "preferred_cache": "login.microsoftonline.us",
            "aliases": ["login.microsoftonline.us", "login.usgovcloudapi.net"],
        },
    ])
}

/// `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=…`.
pub(super) fn instance_discovery(shared: &Shared, req: &Req) -> Reply {
    let Some(endpoint) = req.query("authorization_endpoint") else {
        return Reply::json(
            200,
            &json!({"api-version": "1.1", "metadata": metadata(shared)}),
        );
    };
    let Ok(url) = url::Url::parse(endpoint) else {
        return AadError::invalid_request(90014, "The authorization_endpoint is not a valid URL.")
            .reply(req);
    };
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => String::new(),
    };
    if !shared.is_known_host(&host) {
        return AadError::new(
            400,
            "invalid_instance",
            50049,
            "Unknown or invalid instance.",
        )
        .reply(req);
    }
    let tenant = url
        .path_segments()
        .and_then(|mut s| s.next())
        .filter(|t| !t.is_empty())
        .unwrap_or("common");
    Reply::json(
        200,
        &json!({
            "tenant_discovery_endpoint": format!("https://{host}/{tenant}/v2.0/.well-known/openid-configuration"),
            "api-version": "1.1",
            "metadata": metadata(shared),
        }),
    )
}

/// `GET /{tenant}/discovery/v2.0/keys`.
pub(super) fn jwks(shared: &Shared, _req: &Req) -> Reply {
    Reply::json(200, &shared.signer.jwks())
}

/// `GET /common/userrealm/{upn}?api-version=1.0`.
pub(super) fn user_realm(shared: &Shared, req: &Req) -> Reply {
    let upn = req.path.rsplit('/').next().unwrap_or_default();
    let upn = percent_decode(upn);
    let domain = upn
        .rsplit_once('@')
        .map(|(_, d)| d.to_ascii_lowercase())
        .unwrap_or_default();
    let cfg = &shared.config;
    let federated = cfg
        .users
        .iter()
        .any(|u| u.federated && u.domain() == domain);
    let managed = cfg
        .tenant_domains
        .iter()
        .any(|d| d.eq_ignore_ascii_case(&domain))
        || cfg
            .users
            .iter()
            .any(|u| !u.federated && u.domain() == domain);
    let origin = req.origin(&shared.base_url);
    let body = if federated {
        json!({
            "ver": "1.0",
            "account_type": "Federated",
            "domain_name": domain,
            "federation_protocol": "WSTrust",
            "federation_metadata_url": format!("{origin}/adfs/services/trust/mex"),
            "federation_active_auth_url": format!("{origin}/adfs/services/trust/2005/usernamemixed"),
            "cloud_instance_name": "microsoftonline.com",
            "cloud_audience_urn": "urn:federation:MicrosoftOnline",
        })
    } else if managed {
        json!({
            "ver": "1.0",
            "account_type": "Managed",
            "domain_name": domain,
            "cloud_instance_name": "microsoftonline.com",
            "cloud_audience_urn": "urn:federation:MicrosoftOnline",
        })
    } else {
        json!({"ver": "1.0", "account_type": "Unknown", "cloud_instance_name": "microsoftonline.com"})
    };
    Reply::json(200, &body)
}

fn percent_decode(text: &str) -> String {
    form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| text.to_owned())
}
