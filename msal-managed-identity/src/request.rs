//! Each source's request, as MSAL Python 1.39 sends it (fixtures `mi_*`): api-version, query
//! names of the user-assigned selector, headers.
//!
//! Header names go out lower-case (the `http` crate normalises them); HTTP header names are
//! case-insensitive, and every endpoint accepts them so.

use std::time::Duration;

use http::{HeaderValue, Method};
use msal_core::{
    Error, ManagedIdentityError,
    http::{HttpRequest, RequestTimeout, ResponseBodyLimit},
};
use url::Url;

use crate::{
    identity::{ManagedIdentity, UserAssignedId},
    source::{Endpoint, ManagedIdentitySource},
};

/// Most bytes read from a managed-identity answer. A token response is a few KiB; a larger body
/// is a broken or hostile endpoint.
pub(crate) const BODY_LIMIT: ResponseBodyLimit = ResponseBodyLimit(256 * 1024);

/// What one token request needs beyond the endpoint.
#[derive(Debug)]
pub(crate) struct RequestParts<'a> {
    pub(crate) resource: &'a str,
    pub(crate) identity: &'a ManagedIdentity,
    /// SHA-256 hex of the token a claims challenge revokes (Service Fabric only).
    pub(crate) token_sha256_to_refresh: Option<&'a str>,
    /// `xms_cc` (Service Fabric only).
    pub(crate) capabilities: &'a [String],
    /// `x-ms-client-request-id` (IMDS).
    pub(crate) correlation_id: &'a str,
    pub(crate) timeout: Duration,
}

/// The parts of a request that identify it (the throttle key), computed once per call.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Vec<u8>,
}

/// The query parameter naming a user-assigned identity at `source`, or why it cannot be named.
///
/// - IMDS and Azure Arc: `client_id`, `object_id`, `msi_res_id`; App Service the same but
///   `mi_res_id` for the resource id (`_obtain_token_on_azure_vm` in MSAL Python's `msal/managed_identity.py`).
/// - Azure ML (api-version 2017-09-01) understands only `clientid`. MSAL Python also sends
///   `object_id`/`msi_res_id`, which that API ignores, so the caller would silently get the
///   system-assigned identity's token; we refuse instead, as MSAL.NET does.
/// - Cloud Shell serves the signed-in user's token and has no selector.
/// - Service Fabric binds identities in the cluster manifest, not per request; like MSAL Python
///   and MSAL.NET the selector is not sent (and a warning is logged).
fn selector(
    source: ManagedIdentitySource,
    identity: &ManagedIdentity,
) -> Result<Option<(&'static str, &str)>, Error> {
    let ManagedIdentity::UserAssigned(id) = identity else {
        return Ok(None);
    };
    let reject = || {
        Error::ManagedIdentity(ManagedIdentityError::SourceRejectsUserAssignedId {
            source_name: source.name().to_owned(),
            id_kind: id.kind().to_owned(),
        })
    };
    let name = match (source, id) {
        (
            ManagedIdentitySource::Imds
            | ManagedIdentitySource::AzureArc
            | ManagedIdentitySource::AppService,
            UserAssignedId::ClientId(_),
        ) => "client_id",
        (
            ManagedIdentitySource::Imds
            | ManagedIdentitySource::AzureArc
            | ManagedIdentitySource::AppService,
            UserAssignedId::ObjectId(_),
        ) => "object_id",
        (
            ManagedIdentitySource::Imds | ManagedIdentitySource::AzureArc,
            UserAssignedId::ResourceId(_),
        ) => "msi_res_id",
        (ManagedIdentitySource::AppService, UserAssignedId::ResourceId(_)) => "mi_res_id",
        (ManagedIdentitySource::MachineLearning, UserAssignedId::ClientId(_)) => "clientid",
        (ManagedIdentitySource::ServiceFabric, _) => {
            tracing::warn!(target: "msal::managed_identity", identity = %identity,
                "Service Fabric binds managed identities in the cluster, not per request; the user-assigned id is not sent");
            return Ok(None);
        }
        _ => return Err(reject()),
    };
    Ok(Some((name, id.value())))
}

/// Builds the URL, method and body of the token request.
pub(crate) fn prepare(endpoint: &Endpoint, parts: &RequestParts<'_>) -> Result<Prepared, Error> {
    let source = endpoint.source();
    if parts.resource.trim().is_empty() {
        return Err(Error::InvalidArgument(
            "the resource must not be empty".into(),
        ));
    }
    if let ManagedIdentity::UserAssigned(id) = parts.identity
        && id.value().trim().is_empty()
    {
        return Err(Error::InvalidArgument(format!(
            "the user-assigned managed identity's {} is empty",
            id.kind()
        )));
    }
    let selector = selector(source, parts.identity)?;
    let mut url = endpoint.url().clone();
    let api_version = match source {
        ManagedIdentitySource::Imds => Some("2018-02-01"),
        ManagedIdentitySource::AppService => Some("2019-08-01"),
        ManagedIdentitySource::MachineLearning => Some("2017-09-01"),
        ManagedIdentitySource::AzureArc => Some("2020-06-01"),
        ManagedIdentitySource::ServiceFabric => Some("2019-07-01-preview"),
        ManagedIdentitySource::CloudShell => None,
    };
    if source == ManagedIdentitySource::CloudShell {
        // Cloud Shell takes a form POST, as `msal/cloudshell.py` sends it.
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("resource", parts.resource)
            .finish()
            .into_bytes();
        return Ok(Prepared {
            method: Method::POST,
            url,
            body,
        });
    }
    {
        let mut q = url.query_pairs_mut();
        if let Some(v) = api_version {
            q.append_pair("api-version", v);
        }
        q.append_pair("resource", parts.resource);
        if let Some((name, value)) = selector {
            q.append_pair(name, value);
        }
        if source == ManagedIdentitySource::ServiceFabric {
            if let Some(hash) = parts.token_sha256_to_refresh {
                q.append_pair("token_sha256_to_refresh", hash);
            }
            if !parts.capabilities.is_empty() {
                q.append_pair("xms_cc", &parts.capabilities.join(","));
            }
        }
    }
    Ok(Prepared {
        method: Method::GET,
        url,
        body: Vec::new(),
    })
}

fn sensitive(value: &str) -> Result<HeaderValue, Error> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        Error::ManagedIdentity(ManagedIdentityError::Configuration(
            "a managed-identity secret holds characters not allowed in an HTTP header".into(),
        ))
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// Builds one attempt of the request. `arc_authorization` is the `Authorization` value of the
/// second Azure Arc leg.
pub(crate) fn build(
    endpoint: &Endpoint,
    prepared: &Prepared,
    parts: &RequestParts<'_>,
    arc_authorization: Option<&HeaderValue>,
) -> Result<HttpRequest, Error> {
    let mut b = http::Request::builder()
        .method(prepared.method.clone())
        .uri(prepared.url.as_str())
        .header("Accept", "*/*");
    match endpoint {
        Endpoint::Imds { .. } => {
            b = b
                .header("Metadata", "true")
                .header("x-client-SKU", msal_core::SKU)
                .header("x-client-Ver", msal_core::VERSION)
                .header(
                    "x-ms-client-request-id",
                    HeaderValue::from_str(parts.correlation_id)
                        .map_err(|e| Error::InvalidArgument(format!("correlation id: {e}")))?,
                );
        }
        Endpoint::AppService {
            identity_header, ..
        } => {
            b = b
                .header("Metadata", "true")
                .header("X-IDENTITY-HEADER", sensitive(identity_header.secret())?);
        }
        Endpoint::MachineLearning { secret, .. } => {
            b = b.header("secret", sensitive(secret.secret())?);
        }
        Endpoint::CloudShell { .. } => {
            b = b
                .header("Metadata", "true")
                .header("Content-Type", "application/x-www-form-urlencoded");
        }
        Endpoint::AzureArc { .. } => {
            b = b.header("Metadata", "true");
            if let Some(auth) = arc_authorization {
                b = b.header(http::header::AUTHORIZATION, auth.clone());
            }
        }
        Endpoint::ServiceFabric {
            identity_header,
            pin,
            ..
        } => {
            b = b
                .header("Secret", sensitive(identity_header.secret())?)
                .extension(*pin);
        }
    }
    b.extension(RequestTimeout(parts.timeout))
        .extension(BODY_LIMIT)
        .body(prepared.body.clone())
        .map_err(|e| Error::InvalidArgument(format!("cannot build the request: {e}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]
    use super::*;
    use crate::UserAssignedManagedIdentity;
    use msal_core::{ClientSecret, http::PinnedServerCertificate};

    fn parts<'a>(identity: &'a ManagedIdentity, caps: &'a [String]) -> RequestParts<'a> {
        RequestParts {
            resource: "https://management.azure.com/",
            identity,
            token_sha256_to_refresh: Some("abc"),
            capabilities: caps,
            correlation_id: "00000000-0000-4000-8000-000000000000",
            timeout: Duration::from_secs(5),
        }
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn query_keys(p: &Prepared) -> Vec<String> {
        p.url.query_pairs().map(|(k, _)| k.into_owned()).collect()
    }

    #[test]
    fn selectors_per_source() {
        let caps = vec!["cp1".to_owned()];
        let imds = Endpoint::Imds {
            url: url("http://169.254.169.254/metadata/identity/oauth2/token"),
        };
        let app = Endpoint::AppService {
            url: url("http://127.0.0.1:8081/msi/token"),
            identity_header: ClientSecret::new("h"),
        };
        let ml = Endpoint::MachineLearning {
            url: url("http://127.0.0.1/msi/ml"),
            secret: ClientSecret::new("s"),
        };
        let sf = Endpoint::ServiceFabric {
            url: url("https://127.0.0.1:2377/msi/sf"),
            identity_header: ClientSecret::new("h"),
            pin: PinnedServerCertificate { sha1: [0; 20] },
        };
        let shell = Endpoint::CloudShell {
            url: url("http://localhost:50342/oauth2/token"),
        };
        let res: ManagedIdentity = UserAssignedManagedIdentity::resource_id("/r").into();
        let cid: ManagedIdentity = UserAssignedManagedIdentity::client_id("c").into();
        let oid: ManagedIdentity = UserAssignedManagedIdentity::object_id("o").into();

        let p = prepare(&imds, &parts(&res, &caps)).unwrap();
        assert_eq!(query_keys(&p), ["api-version", "resource", "msi_res_id"]);
        let p = prepare(&app, &parts(&res, &caps)).unwrap();
        assert_eq!(query_keys(&p), ["api-version", "resource", "mi_res_id"]);
        let p = prepare(&app, &parts(&oid, &caps)).unwrap();
        assert_eq!(query_keys(&p), ["api-version", "resource", "object_id"]);
        let p = prepare(&ml, &parts(&cid, &caps)).unwrap();
        assert_eq!(query_keys(&p), ["api-version", "resource", "clientid"]);
        assert!(matches!(
            prepare(&ml, &parts(&oid, &caps)),
            Err(Error::ManagedIdentity(
                ManagedIdentityError::SourceRejectsUserAssignedId { .. }
            ))
        ));
        let p = prepare(&sf, &parts(&cid, &caps)).unwrap();
        assert_eq!(
            query_keys(&p),
            [
                "api-version",
                "resource",
                "token_sha256_to_refresh",
                "xms_cc"
            ]
        );
        assert!(prepare(&shell, &parts(&cid, &caps)).is_err());
        let system = ManagedIdentity::SystemAssigned;
        let p = prepare(&shell, &parts(&system, &caps)).unwrap();
        assert_eq!(p.method, Method::POST);
        assert_eq!(p.body, b"resource=https%3A%2F%2Fmanagement.azure.com%2F");
        // IMDS takes neither claims nor capabilities.
        let p = prepare(&imds, &parts(&system, &caps)).unwrap();
        assert_eq!(query_keys(&p), ["api-version", "resource"]);
        let empty: ManagedIdentity = UserAssignedManagedIdentity::client_id(" ").into();
        assert!(matches!(
            prepare(&imds, &parts(&empty, &caps)),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn secret_headers_are_sensitive() {
        let system = ManagedIdentity::SystemAssigned;
        let app = Endpoint::AppService {
            url: url("http://127.0.0.1:8081/msi/token"),
            identity_header: ClientSecret::new("h"),
        };
        let p = prepare(&app, &parts(&system, &[])).unwrap();
        let r = build(&app, &p, &parts(&system, &[]), None).unwrap();
        assert!(r.headers()["x-identity-header"].is_sensitive());
        assert_eq!(r.headers()["metadata"], "true");
        assert!(r.extensions().get::<RequestTimeout>().is_some());
        assert_eq!(r.extensions().get::<ResponseBodyLimit>(), Some(&BODY_LIMIT));
    }
}
