//! Managed-identity sources, each checking the headers and parameters its real counterpart
//! requires and answering in that source's own JSON shape.

use serde_json::{Value, json};

use crate::config::ManagedIdentityConfig;
use crate::crypto::random_token;
use crate::faults::lock;
use crate::state::Shared;
use crate::tokens::managed_identity_token;
use crate::wire::{Reply, Req, now_secs};

/// Which selector parameters a source understands, by identity kind.
struct Selectors {
    client_id: &'static [&'static str],
    object_id: &'static [&'static str],
    resource_id: &'static [&'static str],
}

const IMDS_SELECTORS: Selectors = Selectors {
    client_id: &["client_id"],
    object_id: &["object_id"],
    resource_id: &["msi_res_id", "mi_res_id"],
};
const APP_SERVICE_SELECTORS: Selectors = Selectors {
    client_id: &["client_id"],
    object_id: &["object_id", "principal_id"],
    resource_id: &["mi_res_id", "msi_res_id"],
};
const ML_SELECTORS: Selectors = Selectors {
    client_id: &["clientid", "client_id"],
    object_id: &["object_id"],
    resource_id: &["msi_res_id", "mi_res_id"],
};

/// Why an identity lookup failed.
enum Lookup {
    Ambiguous,
    NotFound,
}

/// A selected identity and the selector parameter that named it (echoed by Arc).
type Selected<'a> = (&'a ManagedIdentityConfig, Vec<(String, String)>);

/// The identity a request selects (system-assigned when it names none).
fn select<'a>(
    shared: &'a Shared,
    req: &Req,
    selectors: &Selectors,
) -> Result<Selected<'a>, Lookup> {
    let mut given: Vec<(String, String, u8)> = Vec::new();
    for (names, kind) in [
        (selectors.client_id, 0u8),
        (selectors.object_id, 1),
        (selectors.resource_id, 2),
    ] {
        for name in names {
            if let Some(v) = req.query(name) {
                given.push(((*name).to_owned(), v.to_owned(), kind));
            }
        }
    }
    let cfg = &shared.config;
    match given.as_slice() {
        [] => Ok((&cfg.system_assigned_identity, Vec::new())),
        [(name, value, kind)] => cfg
            .user_assigned_identities
            .iter()
            .find(|mi| {
                let field = match kind {
                    0 => &mi.client_id,
                    1 => &mi.object_id,
                    _ => &mi.resource_id,
                };
                field.eq_ignore_ascii_case(value)
            })
            .map(|mi| (mi, vec![(name.clone(), value.clone())]))
            .ok_or(Lookup::NotFound),
        _ => Err(Lookup::Ambiguous),
    }
}

fn mint(
    shared: &Shared,
    identity: &ManagedIdentityConfig,
    resource: &str,
) -> Result<(String, u64), Reply> {
    let expires_on = now_secs() + shared.config.mi_expires_in;
    managed_identity_token(shared, identity, resource, expires_on)
        .map(|t| (t, expires_on))
        .map_err(|e| {
            Reply::json(
                500,
                &json!({"error": "server_error", "error_description": e}),
            )
        })
}

fn imds_error(status: u16, description: &str) -> Reply {
    Reply::json(
        status,
        &json!({"error": "invalid_request", "error_description": description}),
    )
}

/// The IMDS/Arc success body: every number as a string, as IMDS sends them.
fn imds_body(
    shared: &Shared,
    mi: &ManagedIdentityConfig,
    resource: &str,
    at: String,
    expires_on: u64,
    echo: &[(String, String)],
) -> Value {
    let ttl = shared.config.mi_expires_in.to_string();
    let mut body = json!({
        "access_token": at,
        "client_id": mi.client_id,
        "expires_in": ttl,
        "expires_on": expires_on.to_string(),
        "ext_expires_in": ttl,
        "not_before": now_secs().to_string(),
        "resource": resource,
        "token_type": "Bearer",
    });
    for (name, value) in echo {
        body[name.as_str()] = json!(value);
    }
    body
}

/// `GET /metadata/identity/oauth2/token` (IMDS, `api-version=2018-02-01`).
pub(super) fn imds(shared: &Shared, req: &Req) -> Reply {
    if req.header("Metadata") != Some("true") {
        return imds_error(400, "Required metadata header not specified");
    }
    if req.query("api-version").is_none() {
        return imds_error(400, "Required query variable 'api-version' is missing");
    }
    let Some(resource) = req.query("resource") else {
        return imds_error(400, "Required query variable 'resource' is missing");
    };
    let (mi, _) = match select(shared, req, &IMDS_SELECTORS) {
        Ok(found) => found,
        Err(Lookup::Ambiguous) => return imds_error(400, "Multiple identity selectors specified"),
        Err(Lookup::NotFound) => return imds_error(400, "Identity not found"),
    };
    match mint(shared, mi, resource) {
        Ok((at, exp)) => Reply::json(200, &imds_body(shared, mi, resource, at, exp, &[])),
        Err(reply) => reply,
    }
}

/// `GET /metadata/instance/compute/location?format=text` (region) or `/metadata/instance/compute`.
pub(super) fn imds_region(shared: &Shared, req: &Req) -> Reply {
    if req.header("Metadata") != Some("true") {
        return imds_error(400, "Required metadata header not specified");
    }
    if req.query("api-version").is_none() {
        return imds_error(400, "Required query variable 'api-version' is missing");
    }
    let region = shared.config.region.clone();
    if req.path.trim_end_matches('/').ends_with("/location") {
        Reply::text(200, region)
    } else {
        Reply::json(
            200,
            &json!({"location": region, "name": "msal-emulator-vm", "azEnvironment": "AzurePublicCloud"}),
        )
    }
}

fn app_service_error(status: u16, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({"statusCode": status, "message": message, "correlationId": uuid::Uuid::new_v4().to_string()}),
    )
}

/// `GET /msi/token` (App Service, `api-version=2019-08-01`, `X-IDENTITY-HEADER`).
pub(super) fn app_service(shared: &Shared, req: &Req) -> Reply {
    if req.header("X-IDENTITY-HEADER") != Some(shared.config.app_service_identity_header.as_str()) {
        return app_service_error(400, "The X-IDENTITY-HEADER header is missing or invalid.");
    }
    if req.query("api-version") != Some("2019-08-01") {
        return app_service_error(400, "Only api-version 2019-08-01 is supported.");
    }
    let Some(resource) = req.query("resource") else {
        return app_service_error(400, "The resource parameter is missing.");
    };
    let mi = match select(shared, req, &APP_SERVICE_SELECTORS) {
        Ok((mi, _)) => mi,
        Err(_) => {
            return app_service_error(
                400,
                "No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId.",
            );
        }
    };
    match mint(shared, mi, resource) {
        Ok((at, exp)) => Reply::json(
            200,
            &json!({
                "access_token": at,
                "expires_on": exp.to_string(),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": mi.client_id,
            }),
        ),
        Err(reply) => reply,
    }
}

/// `GET /msi/ml` (Azure Machine Learning, `api-version=2017-09-01`, `secret` header).
pub(super) fn machine_learning(shared: &Shared, req: &Req) -> Reply {
    if req.header("secret") != Some(shared.config.ml_secret.as_str()) {
        return imds_error(401, "The secret header is missing or invalid.");
    }
    if req.query("api-version") != Some("2017-09-01") {
        return imds_error(400, "Only api-version 2017-09-01 is supported.");
    }
    let Some(resource) = req.query("resource") else {
        return imds_error(400, "Required query variable 'resource' is missing");
    };
    let mi = match select(shared, req, &ML_SELECTORS) {
        Ok((mi, _)) => mi,
        Err(_) => return imds_error(400, "Identity not found"),
    };
    match mint(shared, mi, resource) {
        Ok((at, exp)) => Reply::json(
            200,
            &json!({
                "access_token": at,
                "expires_on": exp.to_string(),
                "resource": resource,
                "token_type": "Bearer",
                "clientid": mi.client_id,
            }),
        ),
        Err(reply) => reply,
    }
}

/// `POST /oauth2/token` (Cloud Shell, `Metadata: true`, form `resource`): the signed-in user's
/// token.
pub(super) fn cloud_shell(shared: &Shared, req: &Req) -> Reply {
    let error = |status: u16, code: &str, message: &str| {
        Reply::json(
            status,
            &json!({"error": {"code": code, "message": message}}),
        )
    };
    if req.header("Metadata") != Some("true") {
        return error(400, "BadRequest", "Required metadata header not specified");
    }
    let Some(resource) = req.form("resource") else {
        return error(400, "BadRequest", "The resource parameter is missing.");
    };
    let Some(user) = shared.config.default_user() else {
        return error(401, "Unauthorized", "No user is signed in to Cloud Shell.");
    };
    let now = now_secs();
    let ttl = shared.config.expires_in;
    let tid = &shared.config.tenant_id;
    let claims = json!({
        "aud": resource,
        "iss": format!("https://sts.windows.net/{tid}/"),
        "iat": now, "nbf": now, "exp": now + ttl,
        "oid": user.oid, "tid": tid, "name": user.name,
        "preferred_username": user.upn, "unique_name": user.upn,
        "sub": user.oid, "ver": "1.0",
    });
    match shared.signer.sign(&claims) {
        Ok(at) => Reply::json(
            200,
            &json!({
                "access_token": at,
                "refresh_token": "",
                "expires_in": ttl.to_string(),
                "expires_on": (now + ttl).to_string(),
                "not_before": now.to_string(),
                "resource": resource,
                "token_type": "Bearer",
            }),
        ),
        Err(e) => error(500, "InternalServerError", &e),
    }
}

/// `GET /arc/metadata/identity/oauth2/token` (Azure Arc, `api-version=2020-06-01`): a 401 Basic
/// challenge naming a key file it writes, then `Authorization: Basic <file contents>`.
pub(super) fn azure_arc(shared: &Shared, req: &Req) -> Reply {
    if req.header("Metadata") != Some("true") {
        return imds_error(400, "Required metadata header not specified");
    }
    if req.query("api-version").is_none() {
        return imds_error(400, "Required query variable 'api-version' is missing");
    }
    let Some(resource) = req.query("resource") else {
        return imds_error(400, "Required query variable 'resource' is missing");
    };
    let presented = req
        .header("Authorization")
        .and_then(|v| v.strip_prefix("Basic "))
        .map(str::trim);
    let accepted = presented.is_some_and(|s| lock(&shared.grants).arc_secrets.contains(s));
    if !accepted {
        return arc_challenge(shared);
    }
    let (mi, echo) = match select(shared, req, &IMDS_SELECTORS) {
        Ok(found) => found,
        Err(_) => return imds_error(400, "Identity not found"),
    };
    match mint(shared, mi, resource) {
        Ok((at, exp)) => Reply::json(200, &imds_body(shared, mi, resource, at, exp, &echo)),
        Err(reply) => reply,
    }
}

fn arc_challenge(shared: &Shared) -> Reply {
    let secret = random_token(32);
    let path = shared
        .arc_key_dir
        .join(format!("{}.key", uuid::Uuid::new_v4()));
    if let Err(e) = std::fs::create_dir_all(&shared.arc_key_dir)
        .and_then(|()| std::fs::write(&path, secret.as_bytes()))
    {
        return imds_error(500, &format!("could not write the Arc key file: {e}"));
    }
    lock(&shared.grants).arc_secrets.insert(secret);
    Reply::json(
        401,
        &json!({"error": "unauthorized", "error_description": "Basic authentication with the key file is required."}),
    )
    .with_header("WWW-Authenticate", format!("Basic realm={}", path.display()))
}

/// `GET /msi/sf` on the Service Fabric listener (`api-version=2019-07-01-preview`, `Secret`).
pub(super) fn service_fabric(shared: &Shared, req: &Req) -> Reply {
    let error = |status: u16, code: &str, message: &str| {
        Reply::json(
            status,
            &json!({"error": {"code": code, "message": message, "correlationId": uuid::Uuid::new_v4().to_string()}}),
        )
    };
    match req.header("Secret") {
        None => {
            return error(
                401,
                "SecretHeaderNotFound",
                "Secret is not found in the request headers.",
            );
        }
        Some(s) if s != shared.config.service_fabric_secret => {
            return error(
                401,
                "SecretHeaderNotFound",
                "The Secret header does not match.",
            );
        }
        Some(_) => {}
    }
    if req.query("api-version") != Some("2019-07-01-preview") {
        return error(
            400,
            "InvalidArgument",
            "Only api-version 2019-07-01-preview is supported.",
        );
    }
    let Some(resource) = req.query("resource") else {
        return error(
            400,
            "ArgumentNullOrEmpty",
            "Value cannot be null or empty. Parameter name: resource",
        );
    };
    let mi = match select(shared, req, &IMDS_SELECTORS) {
        Ok((mi, _)) => mi,
        Err(_) => {
            return error(
                404,
                "ManagedIdentityNotFound",
                "The managed identity was not found.",
            );
        }
    };
    match mint(shared, mi, resource) {
        Ok((at, exp)) => Reply::json(
            200,
            &json!({
                "token_type": "Bearer",
                "access_token": at,
                "expires_on": exp,
                "resource": resource,
            }),
        ),
        Err(reply) => reply,
    }
}
