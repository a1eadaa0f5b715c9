//! An Azure SDK for Rust client with msal as its credential: Key Vault's `SecretClient` reads a
//! secret twice, with two clients sharing one `MsalCredential`; the second client's token comes
//! from msal's cache. Both msal and the Key Vault client send through one `ReqwestClient`
//! (azure_core without default features brings no HTTP stack of its own).
//!
//! ```sh
//! cargo run -p msal --example azure_keyvault --features azure-core   # the emulator's stand-in
//! # Real Azure: an app registration with a secret (or MSAL_CERT_PATH + MSAL_KEY_PATH) that may
//! # read secrets in the vault (role "Key Vault Secrets User").
//! MSAL_CLIENT_ID=… MSAL_TENANT_ID=… MSAL_CLIENT_SECRET=… \
//! AZURE_KEYVAULT_URL=https://myvault.vault.azure.net AZURE_KEYVAULT_SECRET=my-secret \
//!     cargo run -p msal --example azure_keyvault --features azure-core
//! ```
//!
//! A managed identity (`MsalCredential::managed_identity`) or a signed-in user
//! (`MsalCredential::public`) plugs in the same way.

#[path = "support/azure_transport.rs"]
mod azure_transport;
#[path = "support/target.rs"]
mod target;

use std::sync::Arc;

use azure_core::{credentials::TokenCredential, http::ClientOptions};
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use azure_transport::MsalTransport;
use msal::{azure::MsalCredential, http::ReqwestClient};
use msal_emulator::{EmulatorConfig, ids};
use target::{AppKind, BoxError, Target, redacted, var};

/// The secret the emulator's stand-in serves (a made-up value).
const EMULATOR_SECRET: (&str, &str) = ("example-secret", "fake-secret-value~emulator");

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let target = Target::from_env_or(
        AppKind::Daemon,
        EmulatorConfig::default().key_vault_secret(EMULATOR_SECRET.0, EMULATOR_SECRET.1),
    )
    .await?;
    let (vault_url, secret_name, http) = match &target.emulator {
        Some(emu) => (
            emu.key_vault_url(),
            EMULATOR_SECRET.0.to_owned(),
            // The stand-in answers as `emulator.vault.azure.net` (so the Key Vault client's
            // check that the challenge matches the vault's domain stays on), on loopback.
            ReqwestClient::builder()
                .add_root_certificate_pem(emu.ca_pem().as_bytes())?
                .no_proxy()
                .resolve(ids::KEY_VAULT_HOST, emu.addr())
                .build()?,
        ),
        None => (
            var("AZURE_KEYVAULT_URL").ok_or("set AZURE_KEYVAULT_URL")?,
            var("AZURE_KEYVAULT_SECRET").ok_or("set AZURE_KEYVAULT_SECRET")?,
            ReqwestClient::new(),
        ),
    };

    let app = target
        .confidential_client(target.credential(false)?)?
        .http_client(http.clone())
        .build()?;
    let credential: Arc<dyn TokenCredential> = MsalCredential::confidential(app);
    let options = SecretClientOptions {
        client_options: ClientOptions {
            transport: Some(MsalTransport::transport(http)),
            ..Default::default()
        },
        ..Default::default()
    };

    // Each Key Vault client keeps its last token; a second client asks the credential again.
    for attempt in 1..=2 {
        let client = SecretClient::new(&vault_url, credential.clone(), Some(options.clone()))?;
        let secret = client.get_secret(&secret_name, None).await?.into_model()?;
        println!(
            "#{attempt}: secret {secret_name} = {} (id {})",
            redacted(secret.value.as_deref().unwrap_or_default()),
            secret.id.as_deref().unwrap_or("-"),
        );
    }
    if let Some(emu) = &target.emulator {
        println!(
            "token requests to the emulator: {} (the second client's token came from msal's cache)",
            emu.count("POST", "/oauth2/v2.0/token")
        );
    }
    Ok(())
}
