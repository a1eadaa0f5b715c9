//! Where the token comes from: source detection (MSAL Python's `get_managed_identity_source`) and each source's endpoint,
//! read from the environment through [`Env`] so tests never touch the process environment.

use std::{fmt, path::PathBuf};

use msal_core::{ClientSecret, Env, Error, ManagedIdentityError, http::PinnedServerCertificate};
use url::Url;

/// Set by App Service, Functions, Service Fabric and Azure Arc: the token endpoint.
pub(crate) const IDENTITY_ENDPOINT: &str = "IDENTITY_ENDPOINT";
/// App Service and Service Fabric: the secret header value.
pub(crate) const IDENTITY_HEADER: &str = "IDENTITY_HEADER";
/// Service Fabric: SHA-1 thumbprint of the endpoint's self-signed certificate.
pub(crate) const IDENTITY_SERVER_THUMBPRINT: &str = "IDENTITY_SERVER_THUMBPRINT";
/// Azure Arc: set together with `IDENTITY_ENDPOINT` by the Connected Machine agent.
pub(crate) const IMDS_ENDPOINT: &str = "IMDS_ENDPOINT";
/// Azure Machine Learning and Cloud Shell: the token endpoint.
pub(crate) const MSI_ENDPOINT: &str = "MSI_ENDPOINT";
/// Azure Machine Learning: the secret header value.
pub(crate) const MSI_SECRET: &str = "MSI_SECRET";
/// AKS pod identity: replaces the IMDS host.
pub(crate) const AZURE_POD_IDENTITY_AUTHORITY_HOST: &str = "AZURE_POD_IDENTITY_AUTHORITY_HOST";

/// Overrides the directory Azure Arc key files must be in, so tests can run the Arc challenge
/// against a temporary directory.
///
/// It is a test hook: only an environment injected with
/// [`ManagedIdentityClient::with_env`](crate::ManagedIdentityClient::with_env) (built with
/// [`Env::from_vars`]) can set it. Set in the real process environment it is ignored, because it
/// would let whoever controls that environment have the library send any small `.key` file from
/// any directory to the endpoint of their choosing.
pub const ARC_KEY_DIRECTORY_VAR: &str = "MSAL_ARC_KEY_DIRECTORY_FOR_TESTS";

const IMDS_DEFAULT_HOST: &str = "http://169.254.169.254";
const IMDS_TOKEN_PATH: &str = "/metadata/identity/oauth2/token";
/// The Arc agent's local endpoint when it is found by its executable rather than by variables.
const ARC_DEFAULT_ENDPOINT: &str = "http://localhost:40342/metadata/identity/oauth2/token";
const HIMDS_LINUX: &str = "/opt/azcmagent/bin/himds";

/// Which managed-identity source serves this machine, in detection order.
///
/// ```
/// use msal_core::Env;
/// use msal_managed_identity::{ManagedIdentityClient, ManagedIdentitySource, SystemAssignedManagedIdentity};
/// # #[derive(Debug)] struct NoHttp;
/// # #[async_trait::async_trait] impl msal_core::http::HttpClient for NoHttp {
/// #     async fn send(&self, _: msal_core::http::HttpRequest) -> Result<msal_core::http::HttpResponse, msal_core::http::TransportError> {
/// #         Err(msal_core::http::TransportError::new(msal_core::http::TransportErrorKind::Other, "offline"))
/// #     }
/// # }
/// let env = Env::from_vars([("IDENTITY_ENDPOINT", "http://127.0.0.1:41234/msi/token"), ("IDENTITY_HEADER", "x")]);
/// let client = ManagedIdentityClient::new(SystemAssignedManagedIdentity, NoHttp).with_env(env);
/// assert_eq!(client.source(), ManagedIdentitySource::AppService);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManagedIdentitySource {
    /// Service Fabric: `IDENTITY_ENDPOINT`, `IDENTITY_HEADER` and `IDENTITY_SERVER_THUMBPRINT`.
    ServiceFabric,
    /// App Service, Functions, Container Apps, Automation: `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`.
    AppService,
    /// Azure Machine Learning: `MSI_ENDPOINT` and `MSI_SECRET`.
    MachineLearning,
    /// Azure Cloud Shell: `MSI_ENDPOINT` alone.
    CloudShell,
    /// Azure Arc: `IDENTITY_ENDPOINT` and `IMDS_ENDPOINT`, or the agent's `himds` executable.
    AzureArc,
    /// The Azure Instance Metadata Service (VMs, scale sets, AKS), the fallback.
    Imds,
}

impl ManagedIdentitySource {
    /// A stable name for logs and errors.
    pub fn name(self) -> &'static str {
        match self {
            Self::ServiceFabric => "Service Fabric",
            Self::AppService => "App Service",
            Self::MachineLearning => "Azure Machine Learning",
            Self::CloudShell => "Cloud Shell",
            Self::AzureArc => "Azure Arc",
            Self::Imds => "IMDS",
        }
    }
}

impl fmt::Display for ManagedIdentitySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Detects the source from variables and, for Arc, the agent's executable (a stat, no read).
pub(crate) fn detect(env: &Env) -> ManagedIdentitySource {
    let has = |name: &str| env.var(name).is_some();
    if has(IDENTITY_ENDPOINT) && has(IDENTITY_HEADER) {
        if has(IDENTITY_SERVER_THUMBPRINT) {
            return ManagedIdentitySource::ServiceFabric;
        }
        return ManagedIdentitySource::AppService;
    }
    if has(MSI_ENDPOINT) {
        if has(MSI_SECRET) {
            return ManagedIdentitySource::MachineLearning;
        }
        return ManagedIdentitySource::CloudShell;
    }
    if (has(IDENTITY_ENDPOINT) && has(IMDS_ENDPOINT)) || himds_exists(env) {
        return ManagedIdentitySource::AzureArc;
    }
    ManagedIdentitySource::Imds
}

fn himds_exists(env: &Env) -> bool {
    if cfg!(target_os = "linux") {
        return env.file_exists(std::path::Path::new(HIMDS_LINUX));
    }
    if cfg!(windows) {
        let program_files = env
            .var("ProgramFiles")
            .unwrap_or_else(|| r"C:\Program Files".to_owned());
        let path = PathBuf::from(program_files)
            .join("AzureConnectedMachineAgent")
            .join("himds.exe");
        return env.file_exists(&path);
    }
    false
}

/// A detected source with everything needed to call it. `Debug` never shows the secrets.
#[derive(Debug, Clone)]
pub(crate) enum Endpoint {
    Imds {
        url: Url,
    },
    AppService {
        url: Url,
        identity_header: ClientSecret,
    },
    MachineLearning {
        url: Url,
        secret: ClientSecret,
    },
    CloudShell {
        url: Url,
    },
    AzureArc {
        url: Url,
    },
    ServiceFabric {
        url: Url,
        identity_header: ClientSecret,
        pin: PinnedServerCertificate,
    },
}

impl Endpoint {
    pub(crate) fn source(&self) -> ManagedIdentitySource {
        match self {
            Self::Imds { .. } => ManagedIdentitySource::Imds,
            Self::AppService { .. } => ManagedIdentitySource::AppService,
            Self::MachineLearning { .. } => ManagedIdentitySource::MachineLearning,
            Self::CloudShell { .. } => ManagedIdentitySource::CloudShell,
            Self::AzureArc { .. } => ManagedIdentitySource::AzureArc,
            Self::ServiceFabric { .. } => ManagedIdentitySource::ServiceFabric,
        }
    }

    pub(crate) fn url(&self) -> &Url {
        match self {
            Self::Imds { url }
            | Self::AppService { url, .. }
            | Self::MachineLearning { url, .. }
            | Self::CloudShell { url }
            | Self::AzureArc { url }
            | Self::ServiceFabric { url, .. } => url,
        }
    }
}

fn config_error(message: impl Into<String>) -> Error {
    Error::ManagedIdentity(ManagedIdentityError::Configuration(message.into()))
}

/// Parses an endpoint variable. The value is not echoed: it is not secret, but a malformed one
/// might be anything, and the variable name is what the operator needs.
fn endpoint_url(env: &Env, name: &str, https_only: bool) -> Result<Url, Error> {
    let raw = env
        .var(name)
        .ok_or_else(|| config_error(format!("{name} is not set")))?;
    parse_url(&raw, name, https_only)
}

fn parse_url(raw: &str, name: &str, https_only: bool) -> Result<Url, Error> {
    let url = Url::parse(raw.trim())
        .map_err(|e| config_error(format!("{name} is not a valid URL ({e})")))?;
    let scheme_ok = if https_only {
        url.scheme() == "https"
    } else {
        matches!(url.scheme(), "http" | "https")
    };
    if !scheme_ok || url.host_str().is_none_or(str::is_empty) {
        let want = if https_only { "https" } else { "http(s)" };
        return Err(config_error(format!(
            "{name} must be an absolute {want} URL with a host"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(config_error(format!(
            "{name} must not carry credentials or a fragment"
        )));
    }
    Ok(url)
}

fn secret(env: &Env, name: &str) -> Result<ClientSecret, Error> {
    let value = env
        .var(name)
        .ok_or_else(|| config_error(format!("{name} is not set")))?;
    // A header value cannot hold control characters; say so without echoing the secret.
    if http::HeaderValue::from_str(&value).is_err() {
        return Err(config_error(format!(
            "{name} holds characters that are not allowed in an HTTP header"
        )));
    }
    Ok(ClientSecret::new(value))
}

/// Service Fabric's thumbprint, normalised as MSAL Python does: whitespace and `:` removed,
/// then exactly 40 hex digits.
pub(crate) fn parse_thumbprint(raw: &str) -> Result<PinnedServerCertificate, Error> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    if cleaned.len() != 40 {
        return Err(ManagedIdentityError::ServerCertificateMismatch.into());
    }
    PinnedServerCertificate::from_hex(&cleaned)
        .ok_or_else(|| ManagedIdentityError::ServerCertificateMismatch.into())
}

/// Detects the source and reads its endpoint and secrets, validating them.
pub(crate) fn resolve(env: &Env) -> Result<Endpoint, Error> {
    Ok(match detect(env) {
        ManagedIdentitySource::ServiceFabric => {
            let thumbprint = env.var(IDENTITY_SERVER_THUMBPRINT).unwrap_or_default();
            Endpoint::ServiceFabric {
                url: endpoint_url(env, IDENTITY_ENDPOINT, true)?,
                identity_header: secret(env, IDENTITY_HEADER)?,
                pin: parse_thumbprint(&thumbprint)?,
            }
        }
        ManagedIdentitySource::AppService => Endpoint::AppService {
            url: endpoint_url(env, IDENTITY_ENDPOINT, false)?,
            identity_header: secret(env, IDENTITY_HEADER)?,
        },
        ManagedIdentitySource::MachineLearning => Endpoint::MachineLearning {
            url: endpoint_url(env, MSI_ENDPOINT, false)?,
            secret: secret(env, MSI_SECRET)?,
        },
        ManagedIdentitySource::CloudShell => Endpoint::CloudShell {
            url: endpoint_url(env, MSI_ENDPOINT, false)?,
        },
        ManagedIdentitySource::AzureArc => Endpoint::AzureArc {
            url: if env.var(IDENTITY_ENDPOINT).is_some() {
                endpoint_url(env, IDENTITY_ENDPOINT, false)?
            } else {
                Url::parse(ARC_DEFAULT_ENDPOINT)
                    .map_err(|e| config_error(format!("built-in Arc endpoint: {e}")))?
            },
        },
        ManagedIdentitySource::Imds => {
            let (host, name) = match env.var(AZURE_POD_IDENTITY_AUTHORITY_HOST) {
                Some(h) => (h, AZURE_POD_IDENTITY_AUTHORITY_HOST),
                None => (IMDS_DEFAULT_HOST.to_owned(), "the IMDS address"),
            };
            let joined = format!("{}{IMDS_TOKEN_PATH}", host.trim().trim_end_matches('/'));
            Endpoint::Imds {
                url: parse_url(&joined, name, false)?,
            }
        }
    })
}

/// The directory Azure Arc key files must be in: the test override (from an injected [`Env`]
/// only, never the process environment), else the agent's directory on Linux and Windows. Other
/// platforms have no Arc agent.
pub(crate) fn arc_key_directory(env: &Env) -> Result<PathBuf, Error> {
    if let Some(dir) = env.test_hook(ARC_KEY_DIRECTORY_VAR) {
        return Ok(PathBuf::from(dir));
    }
    if cfg!(target_os = "linux") {
        return Ok(PathBuf::from("/var/opt/azcmagent/tokens"));
    }
    if cfg!(windows) {
        let program_data = env
            .var("ProgramData")
            .unwrap_or_else(|| r"C:\ProgramData".to_owned());
        return Ok(PathBuf::from(program_data)
            .join("AzureConnectedMachineAgent")
            .join("Tokens"));
    }
    Err(ManagedIdentityError::ArcPlatformNotSupported.into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "a test fails loudly")]
    use super::*;
    use ManagedIdentitySource as S;

    fn env(vars: &[(&str, &str)]) -> Env {
        Env::from_vars(vars.iter().copied())
    }

    #[test]
    fn detection_order() {
        let e = "https://127.0.0.1:2377/metadata/identity/oauth2/token";
        assert_eq!(
            detect(&env(&[
                (IDENTITY_ENDPOINT, e),
                (IDENTITY_HEADER, "h"),
                (IDENTITY_SERVER_THUMBPRINT, "t"),
                (MSI_ENDPOINT, e),
                (MSI_SECRET, "s"),
            ])),
            S::ServiceFabric
        );
        assert_eq!(
            detect(&env(&[
                (IDENTITY_ENDPOINT, e),
                (IDENTITY_HEADER, "h"),
                (IMDS_ENDPOINT, e)
            ])),
            S::AppService
        );
        assert_eq!(
            detect(&env(&[(MSI_ENDPOINT, e), (MSI_SECRET, "s")])),
            S::MachineLearning
        );
        assert_eq!(detect(&env(&[(MSI_ENDPOINT, e)])), S::CloudShell);
        assert_eq!(
            detect(&env(&[(IDENTITY_ENDPOINT, e), (IMDS_ENDPOINT, e)])),
            S::AzureArc
        );
        assert_eq!(detect(&env(&[(IDENTITY_ENDPOINT, e)])), S::Imds);
        assert_eq!(detect(&env(&[(IDENTITY_HEADER, "h")])), S::Imds);
        // Empty values count as unset.
        assert_eq!(
            detect(&env(&[(IDENTITY_ENDPOINT, e), (IDENTITY_HEADER, "")])),
            S::Imds
        );
        if cfg!(target_os = "linux") {
            assert_eq!(detect(&env(&[]).with_file(HIMDS_LINUX)), S::AzureArc);
            let Endpoint::AzureArc { url } = resolve(&env(&[]).with_file(HIMDS_LINUX)).unwrap()
            else {
                panic!("not Arc")
            };
            assert_eq!(url.as_str(), ARC_DEFAULT_ENDPOINT);
        }
    }

    #[test]
    fn imds_host_override() {
        let Endpoint::Imds { url } = resolve(&env(&[])).unwrap() else {
            panic!("not IMDS")
        };
        assert_eq!(
            url.as_str(),
            "http://169.254.169.254/metadata/identity/oauth2/token"
        );
        let Endpoint::Imds { url } = resolve(&env(&[(
            AZURE_POD_IDENTITY_AUTHORITY_HOST,
            "http://10.0.0.5:2579/",
        )]))
        .unwrap() else {
            panic!("not IMDS")
        };
        assert_eq!(
            url.as_str(),
            "http://10.0.0.5:2579/metadata/identity/oauth2/token"
        );
        assert!(resolve(&env(&[(AZURE_POD_IDENTITY_AUTHORITY_HOST, "not a url")])).is_err());
    }

    #[test]
    fn invalid_values_are_typed_and_do_not_leak_secrets() {
        let bad_sf = env(&[
            (IDENTITY_ENDPOINT, "http://127.0.0.1:2377/msi"),
            (IDENTITY_HEADER, "sekrit"),
            (
                IDENTITY_SERVER_THUMBPRINT,
                "00112233445566778899AABBCCDDEEFF00112233",
            ),
        ]);
        let e = resolve(&bad_sf).unwrap_err();
        assert!(e.to_string().contains("https"), "{e}");
        let bad_thumb = env(&[
            (IDENTITY_ENDPOINT, "https://127.0.0.1:2377/msi"),
            (IDENTITY_HEADER, "sekrit"),
            (IDENTITY_SERVER_THUMBPRINT, "zz"),
        ]);
        assert!(matches!(
            resolve(&bad_thumb),
            Err(Error::ManagedIdentity(
                ManagedIdentityError::ServerCertificateMismatch
            ))
        ));
        let bad_header = env(&[
            (IDENTITY_ENDPOINT, "http://127.0.0.1/msi"),
            (IDENTITY_HEADER, "sek\nrit"),
        ]);
        let e = resolve(&bad_header).unwrap_err();
        assert!(!e.to_string().contains("sek"), "{e}");
        let e = resolve(&env(&[(MSI_ENDPOINT, "ftp://x/"), (MSI_SECRET, "s")])).unwrap_err();
        assert!(matches!(
            e,
            Error::ManagedIdentity(ManagedIdentityError::Configuration(_))
        ));
        let e = resolve(&env(&[
            (IDENTITY_ENDPOINT, "http://u:p@h/"),
            (IDENTITY_HEADER, "s"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("credentials"));
        let Endpoint::AppService {
            identity_header, ..
        } = resolve(&env(&[
            (IDENTITY_ENDPOINT, "http://127.0.0.1/msi"),
            (IDENTITY_HEADER, "sekrit"),
        ]))
        .unwrap()
        else {
            panic!("not App Service")
        };
        assert!(!format!("{identity_header:?}").contains("sekrit"));
    }

    #[test]
    fn thumbprints_are_normalised() {
        let pin =
            parse_thumbprint(" 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33\n")
                .unwrap();
        assert_eq!(pin.sha1[1], 0x11);
        assert!(parse_thumbprint("0011").is_err());
        assert!(parse_thumbprint("g0112233445566778899AABBCCDDEEFF00112233").is_err());
    }

    #[test]
    fn arc_key_directory_override() {
        let dir = arc_key_directory(&env(&[(ARC_KEY_DIRECTORY_VAR, "/tmp/keys")])).unwrap();
        assert_eq!(dir, PathBuf::from("/tmp/keys"));
        if cfg!(target_os = "linux") {
            assert_eq!(
                arc_key_directory(&env(&[])).unwrap(),
                PathBuf::from("/var/opt/azcmagent/tokens")
            );
        }
    }
}
