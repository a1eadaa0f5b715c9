//! Client authentication at the token endpoint: none (public clients), `client_secret` (post or
//! basic), or a `client_assertion` JWT signed by a registered certificate.

use base64::Engine as _;

use crate::config::ClientConfig;
use crate::crypto::{DecodedJwt, b64url_decode, hex};
use crate::state::Shared;
use crate::wire::{AadError, Req, now_secs};

const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How the client proved itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ClientAuth {
    /// A public client, no credential.
    Public,
    /// A client secret.
    Secret,
    /// A certificate-signed assertion.
    Assertion,
}

/// Finds the client and checks its credential.
pub(super) fn authenticate<'a>(
    shared: &'a Shared,
    req: &Req,
) -> Result<(&'a ClientConfig, ClientAuth), AadError> {
    let (basic_id, basic_secret) = basic_credentials(req).unzip();
    let client_id = req
        .form("client_id")
        .map(str::to_owned)
        .or(basic_id)
        .ok_or_else(|| AadError::missing("client_id"))?;
    let client = shared.config.client(&client_id).ok_or_else(|| {
        AadError::new(
            400,
            "unauthorized_client",
            700016,
            format!("Application with identifier '{client_id}' was not found in the directory."),
        )
    })?;
    let secret = req
        .form("client_secret")
        .map(str::to_owned)
        .or(basic_secret);
    let assertion = req.form("client_assertion");

    if !client.is_confidential() {
        if secret.is_some() || assertion.is_some() {
            return Err(AadError::invalid_client(
                700025,
                "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
            ));
        }
        return Ok((client, ClientAuth::Public));
    }
    if let Some(secret) = secret {
        if client.secret.as_deref() != Some(secret.as_str()) {
            return Err(AadError::invalid_client(
                7000215,
                format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                ),
            ));
        }
        return Ok((client, ClientAuth::Secret));
    }
    if let Some(assertion) = assertion {
        if req.form("client_assertion_type") != Some(JWT_BEARER_ASSERTION) {
            return Err(AadError::invalid_request(
                50027,
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
            ));
        }
        verify_assertion(shared, client, assertion)?;
        return Ok((client, ClientAuth::Assertion));
    }
    Err(AadError::invalid_client(
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    ))
}

/// `Authorization: Basic base64(id:secret)` (client_secret_basic).
fn basic_credentials(req: &Req) -> Option<(String, String)> {
    let value = req.header("authorization")?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

fn assertion_error(reason: &str) -> AadError {
    AadError::invalid_client(
        700027,
        format!("Client assertion failed signature validation. [Reason - {reason}]"),
    )
}

/// Checks an assertion as Entra does: a registered key by `x5t#S256` or `x5t`, RS256/PS256,
/// `iss` = `sub` = client id, `aud` = a token endpoint of this tenant, `exp` ahead, a `jti`.
fn verify_assertion(
    shared: &Shared,
    client: &ClientConfig,
    assertion: &str,
) -> Result<(), AadError> {
    let jwt = DecodedJwt::parse(assertion).ok_or_else(|| {
        AadError::invalid_request(50027, "Invalid JWT token. The token is malformed.")
    })?;
    let header = &jwt.header;
    let alg = header
        .get("alg")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    if alg != "RS256" && alg != "PS256" {
        return Err(assertion_error(&format!(
            "The algorithm '{alg}' is not supported."
        )));
    }
    let (thumbprint, by_sha256) = match (
        header.get("x5t#S256").and_then(|v| v.as_str()),
        header.get("x5t").and_then(|v| v.as_str()),
    ) {
        (Some(t), _) => (b64url_decode(t), true),
        (None, Some(t)) => (b64url_decode(t), false),
        (None, None) => {
            return Err(assertion_error(
                "The assertion header names no x5t or x5t#S256.",
            ));
        }
    };
    let thumbprint = thumbprint.unwrap_or_default();
    let registered = shared
        .client_certs
        .get(&client.client_id)
        .into_iter()
        .flatten()
        .find(|c| {
            if by_sha256 {
                c.sha256 == thumbprint
            } else {
                c.sha1 == thumbprint
            }
        })
        .ok_or_else(|| {
            assertion_error(&format!(
                "The key was not found., Thumbprint of key used by client: '{}'",
                hex(&thumbprint).to_ascii_uppercase()
            ))
        })?;
    if !registered.verify(alg, jwt.signing_input.as_bytes(), &jwt.signature) {
        return Err(assertion_error("The signature does not verify."));
    }

    let claims = &jwt.payload;
    let text = |name: &str| claims.get(name).and_then(|v| v.as_str());
    if text("iss") != Some(client.client_id.as_str())
        || text("sub") != Some(client.client_id.as_str())
    {
        return Err(AadError::invalid_client(
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        ));
    }
    if !audience_is_token_endpoint(shared, text("aud")) {
        return Err(AadError::invalid_client(
            700212,
            "The client assertion audience must be this tenant's token endpoint.",
        ));
    }
    let now = now_secs() as f64;
    // MSAL Python sends float timestamps; accept any JSON number.
    let exp = claims.get("exp").and_then(serde_json::Value::as_f64);
    if exp.is_none_or(|exp| exp <= now) {
        return Err(AadError::invalid_client(
            700024,
            "Client assertion is not within its valid time range.",
        ));
    }
    if claims
        .get("nbf")
        .and_then(serde_json::Value::as_f64)
        .is_some_and(|nbf| nbf > now + 300.0)
    {
        return Err(AadError::invalid_client(
            700024,
            "Client assertion is not within its valid time range.",
        ));
    }
    if text("jti").is_none_or(str::is_empty) {
        return Err(AadError::invalid_client(
            700023,
            "Client assertion contains no jti claim.",
        ));
    }
    Ok(())
}

/// `aud` must be `https://{known host}/{this tenant}/oauth2/v2.0/token` (or a v1/B2C/ADFS
/// token endpoint of the same host).
fn audience_is_token_endpoint(shared: &Shared, aud: Option<&str>) -> bool {
    let Some(url) = aud.and_then(|a| url::Url::parse(a).ok()) else {
        return false;
    };
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => return false,
    };
    let path = url.path().trim_end_matches('/');
    let segments = super::leading_segments(path, "/oauth2/v2.0/token");
    let tenant_ok = super::check_tenant_segments(shared, &segments);
    shared.is_known_host(&host)
        && (path.ends_with("/oauth2/v2.0/token") || path.ends_with("/oauth2/token"))
        && tenant_ok
}
