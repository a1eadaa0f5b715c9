//! Regional endpoints, ESTS-R (MSAL Python's `msal/region.py`, `_detect_region`, and `_build_regional_authority` in `msal/application.py`).
//!
//! A daemon running in an Azure region can get its app tokens from `{region}.login.microsoft.com`,
//! which keeps working when the global service has trouble. Only client credentials use it, and
//! tokens are still cached under the global host so a regional outage does not empty the cache.

use std::time::Duration;

use msal_core::{Env, Error, http::RequestTimeout, token_endpoint::TokenEndpointClient};

use crate::hosts::PUBLIC_CLOUD_HOSTS;

/// Where an app gets app-only tokens from.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Region {
    /// A region name such as `westus2`.
    Named(String),
    /// Detect it: `REGION_NAME`, then the instance metadata service. Falls back to global.
    AutoDetect,
    /// Always the global endpoint (also ignores `MSAL_FORCE_REGION`).
    #[default]
    Disabled,
}

/// How long the instance-metadata probe may take: off Azure it never answers, and an app must
/// not hang on it.
pub const IMDS_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The instance metadata service, unless `AZURE_POD_IDENTITY_AUTHORITY_HOST` points elsewhere.
const DEFAULT_IMDS: &str = "http://169.254.169.254";

/// Whether `region` is a valid DNS label (MSAL Python's rule).
pub fn is_valid_region(region: &str) -> bool {
    let b = region.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    b.len() <= 63
        && first.is_ascii_lowercase()
        && (b.len() == 1 || last.is_ascii_lowercase() || last.is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

impl Region {
    /// The effective setting: the app's choice, else `MSAL_FORCE_REGION` (confidential apps).
    /// Invalid names are configuration errors.
    pub fn resolve(
        configured: Option<&Region>,
        env: &Env,
        allow_env: bool,
    ) -> Result<Region, Error> {
        let region = match configured {
            Some(r) => r.clone(),
            None if allow_env => env
                .var("MSAL_FORCE_REGION")
                .map(Region::Named)
                .unwrap_or(Region::Disabled),
            None => Region::Disabled,
        };
        if let Region::Named(name) = &region
            && !is_valid_region(name)
        {
            return Err(Error::Configuration(format!(
                "invalid Azure region {name:?}: expected a DNS label such as \"westus2\""
            )));
        }
        Ok(region)
    }
}

/// The regional host for `central_host` in `region`.
///
/// ```
/// use msal_authority::region::regional_host;
/// assert_eq!(regional_host("login.microsoftonline.com", "westus2"), "westus2.login.microsoft.com");
/// assert_eq!(regional_host("login.microsoftonline.us", "usgovvirginia"), "usgovvirginia.login.microsoftonline.us");
/// ```
pub fn regional_host(central_host: &str, region: &str) -> String {
    if PUBLIC_CLOUD_HOSTS.contains(&central_host) {
        format!("{region}.login.microsoft.com")
    } else {
        format!("{region}.{central_host}")
    }
}

/// Detects the region: `REGION_NAME`, else the instance metadata service (2 s cap). `None` when
/// neither answers with a valid name; never an error, since the global endpoint always works.
pub async fn detect_region(client: &TokenEndpointClient, env: &Env) -> Option<String> {
    if let Some(r) = env.var("REGION_NAME") {
        let r = r.trim().to_ascii_lowercase().replace(' ', "");
        if is_valid_region(&r) {
            return Some(r);
        }
        tracing::warn!(target: "msal::region", "REGION_NAME is not a valid region name; ignoring it");
    }
    let base = env
        .var("AZURE_POD_IDENTITY_AUTHORITY_HOST")
        .unwrap_or_else(|| DEFAULT_IMDS.to_owned());
    let url = format!(
        "{}/metadata/instance/compute?api-version=2021-02-01",
        base.trim_end_matches('/')
    );
    let request = http::Request::get(&url)
        .header("Metadata", "true")
        .body(Vec::new())
        .ok()?;
    let mut request = request;
    request
        .extensions_mut()
        .insert(RequestTimeout(IMDS_PROBE_TIMEOUT.min(client.timeout())));
    request
        .extensions_mut()
        .insert(msal_core::http::ResponseBodyLimit(64 * 1024));
    let detected = match client.http().send(request).await {
        Ok(resp) if resp.status().is_success() => {
            serde_json::from_slice::<serde_json::Value>(resp.body())
                .ok()
                .and_then(|v| {
                    v.get("location")
                        .and_then(|l| l.as_str())
                        .map(str::to_owned)
                })
        }
        Ok(resp) => {
            tracing::info!(target: "msal::region", status = resp.status().as_u16(), "the instance metadata service did not give a region");
            None
        }
        Err(e) => {
            tracing::info!(target: "msal::region", error = %e, "no instance metadata service; using the global endpoint");
            None
        }
    };
    detected.filter(|r| {
        let ok = is_valid_region(r);
        if !ok {
            tracing::warn!(target: "msal::region", "the detected region is not a valid name; using the global endpoint");
        }
        ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        for ok in ["westus2", "a", "east-us-2", "x9"] {
            assert!(is_valid_region(ok), "{ok}");
        }
        for bad in ["", "West", "-a", "a-", "a_b", "a.b", &"a".repeat(64)] {
            assert!(!is_valid_region(bad), "{bad}");
        }
        let env = Env::from_vars([("MSAL_FORCE_REGION", "eastus")]);
        assert_eq!(
            Region::resolve(None, &env, true).unwrap(),
            Region::Named("eastus".into())
        );
        assert_eq!(
            Region::resolve(None, &env, false).unwrap(),
            Region::Disabled
        );
        assert_eq!(
            Region::resolve(Some(&Region::Disabled), &env, true).unwrap(),
            Region::Disabled
        );
        assert!(Region::resolve(Some(&Region::Named("Bad Region".into())), &env, true).is_err());
    }
}
