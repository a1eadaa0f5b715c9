//! Where the examples sign in, chosen once for all of them.
//!
//! With `MSAL_CLIENT_ID` set they talk to real Microsoft Entra ID:
//!
//! | variable | meaning |
//! |---|---|
//! | `MSAL_CLIENT_ID` | the app registration's client id (managed identity: a user-assigned identity's client id, or `system`) |
//! | `MSAL_AUTHORITY` or `MSAL_TENANT_ID` | `https://login.microsoftonline.com/<tenant>`; `organizations` when neither is set, except for daemons |
//! | `MSAL_CLIENT_SECRET`, or `MSAL_CERT_PATH` + `MSAL_KEY_PATH` | confidential clients only (PEM files) |
//! | `MSAL_SCOPES` | space- or comma-separated; `User.Read` by default, `https://graph.microsoft.com/.default` for daemons |
//!
//! Without it they start the local emulator (`msal_emulator`) in-process and use its made-up
//! identities, so every example runs offline with no setup.

// Each example uses only part of this module, and its items are shared by copy, not exported.
#![allow(dead_code, unreachable_pub)]

use msal::{
    Certificate, ClientCredential, ConfidentialClientApplication,
    ConfidentialClientApplicationBuilder, PublicClientApplication, PublicClientApplicationBuilder,
    http::ReqwestClient,
};
use msal_emulator::{Emulator, EmulatorConfig, ids};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Which of the emulator's identities (and which default scopes) an example needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppKind {
    /// A user signs in to a desktop, mobile or CLI app: public client, delegated scopes.
    Public,
    /// A user signs in to a web app: confidential client, delegated scopes.
    WebApp,
    /// The app signs in as itself: confidential client, `.default` scopes.
    Daemon,
    /// An Azure-hosted workload's managed identity: `MSAL_CLIENT_ID` is a user-assigned
    /// identity's client id (or `system`), the first of `MSAL_SCOPES` the resource.
    ManagedIdentity,
}

#[derive(Debug)]
pub struct Target {
    pub client_id: String,
    pub authority: String,
    pub scopes: Vec<String>,
    /// Only with the emulator: a client that trusts its private CA. `None` means the default
    /// client (rustls with the platform's and webpki's roots).
    pub http: Option<ReqwestClient>,
    /// The running emulator, kept alive as long as the target (it stops on drop).
    pub emulator: Option<Emulator>,
}

impl Target {
    /// Real Entra ID when `MSAL_CLIENT_ID` is set, otherwise a freshly started emulator.
    pub async fn from_env(kind: AppKind) -> Result<Self, BoxError> {
        Self::from_env_or(kind, EmulatorConfig::default()).await
    }

    /// As [`Target::from_env`], with this emulator configuration when there is no
    /// `MSAL_CLIENT_ID` (an example that needs, say, a Key Vault secret in the emulator).
    pub async fn from_env_or(kind: AppKind, config: EmulatorConfig) -> Result<Self, BoxError> {
        let Some(client_id) = var("MSAL_CLIENT_ID") else {
            return Self::emulator(kind, config).await;
        };
        let authority = match (var("MSAL_AUTHORITY"), var("MSAL_TENANT_ID")) {
            (Some(authority), _) => authority,
            (None, Some(tenant)) => format!("https://login.microsoftonline.com/{tenant}"),
            // A daemon has no user to pick a tenant, so Entra needs one named.
            (None, None) if kind == AppKind::Daemon => {
                return Err("set MSAL_AUTHORITY or MSAL_TENANT_ID for a daemon".into());
            }
            (None, None) => "https://login.microsoftonline.com/organizations".to_owned(),
        };
        let scopes = match var("MSAL_SCOPES") {
            Some(s) => s
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            None => vec![
                match kind {
                    AppKind::Public | AppKind::WebApp => "User.Read",
                    AppKind::Daemon => "https://graph.microsoft.com/.default",
                    AppKind::ManagedIdentity => "https://management.azure.com/",
                }
                .to_owned(),
            ],
        };
        if kind != AppKind::ManagedIdentity {
            println!("Using Microsoft Entra ID at {authority}");
        }
        Ok(Self {
            client_id,
            authority,
            scopes,
            http: None,
            emulator: None,
        })
    }

    /// A freshly started emulator and the identities it knows for `kind`.
    async fn emulator(kind: AppKind, config: EmulatorConfig) -> Result<Self, BoxError> {
        let emu = Emulator::start(config).await?;
        println!(
            "MSAL_CLIENT_ID is not set: using a local Entra ID emulator at {}",
            emu.base_url()
        );
        let http = ReqwestClient::builder()
            .add_root_certificate_pem(emu.ca_pem().as_bytes())?
            // A corporate proxy would not reach 127.0.0.1.
            .no_proxy()
            .build()?;
        let (client_id, scope) = match kind {
            AppKind::Public => (ids::PUBLIC_CLIENT_ID, ids::USER_SCOPE),
            AppKind::WebApp => (ids::CONFIDENTIAL_CLIENT_ID, ids::USER_SCOPE),
            AppKind::Daemon => (ids::CONFIDENTIAL_CLIENT_ID, ids::APP_SCOPE),
            AppKind::ManagedIdentity => (ids::MI_IMDS_CLIENT_ID, ids::MI_RESOURCE),
        };
        Ok(Self {
            client_id: client_id.to_owned(),
            authority: emu.authority(),
            scopes: vec![scope.to_owned()],
            http: Some(http),
            emulator: Some(emu),
        })
    }

    pub fn is_emulator(&self) -> bool {
        self.emulator.is_some()
    }

    /// A public client builder with the authority (and, for the emulator, its HTTP client) set.
    pub fn public_client(&self) -> Result<PublicClientApplicationBuilder, BoxError> {
        let mut builder =
            PublicClientApplication::builder(&self.client_id).authority(self.authority.as_str())?;
        if let Some(http) = &self.http {
            // 127.0.0.1 is not a known Microsoft cloud: skip instance discovery for it.
            builder = builder
                .known_authorities(["127.0.0.1"])
                .http_client(http.clone());
        }
        Ok(builder)
    }

    /// A confidential client builder, like [`Target::public_client`].
    pub fn confidential_client(
        &self,
        credential: ClientCredential,
    ) -> Result<ConfidentialClientApplicationBuilder, BoxError> {
        let mut builder = ConfidentialClientApplication::builder(&self.client_id, credential)
            .authority(self.authority.as_str())?;
        if let Some(http) = &self.http {
            builder = builder
                .known_authorities(["127.0.0.1"])
                .http_client(http.clone());
        }
        Ok(builder)
    }

    /// The client credential: `MSAL_CLIENT_SECRET`, else the certificate in `MSAL_CERT_PATH` and
    /// `MSAL_KEY_PATH`. With the emulator: its certificate when `certificate` is true, else its
    /// secret.
    pub fn credential(&self, certificate: bool) -> Result<ClientCredential, BoxError> {
        if let Some(emu) = &self.emulator {
            return Ok(if certificate {
                let (key, cert) = emu.client_certificate();
                ClientCredential::certificate(pem_certificate(&key, &cert)?)
            } else {
                ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET)
            });
        }
        if let Some(secret) = var("MSAL_CLIENT_SECRET") {
            return Ok(ClientCredential::secret(secret));
        }
        match (var("MSAL_CERT_PATH"), var("MSAL_KEY_PATH")) {
            (Some(cert), Some(key)) => Ok(ClientCredential::certificate(pem_certificate(
                &std::fs::read_to_string(key)?,
                &std::fs::read_to_string(cert)?,
            )?)),
            _ => Err("set MSAL_CLIENT_SECRET, or MSAL_CERT_PATH and MSAL_KEY_PATH".into()),
        }
    }
}

/// A certificate credential from PEM: the public certificate gives Entra the SHA-256 thumbprint
/// (`x5t#S256`) it looks the key up by.
fn pem_certificate(key_pem: &str, cert_pem: &str) -> Result<Certificate, BoxError> {
    Ok(Certificate::from_pem(key_pem, None)?.with_public_certificate_pem(cert_pem)?)
}

pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// How a secret is shown: never its value, only its length.
pub fn redacted(secret: &str) -> String {
    format!("[redacted, {} chars]", secret.len())
}
