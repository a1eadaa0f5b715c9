//! An Azure SDK for Rust client with msal as its credential: Key Vault's `SecretClient` reads a
//! secret twice, with two clients sharing one `MsalCredential`; the second client's token comes
//! from msal's cache. Both msal and the Key Vault client send through one `ReqwestClient`
//! (azure_core without default features brings no HTTP stack of its own).
//!
//! ```sh
//! cargo run -p msal --example azure_keyvault --features azure-core   # the emulator's stand-in
//! # Real Azure: an app registration with a secret that may read secrets in the vault
//! # (role "Key Vault Secrets User").
//! MSAL_CLIENT_ID=… MSAL_TENANT_ID=… MSAL_CLIENT_SECRET=… \
//! AZURE_KEYVAULT_URL=https://myvault.vault.azure.net AZURE_KEYVAULT_SECRET=my-secret \
//!     cargo run -p msal --example azure_keyvault --features azure-core
//! ```
//!
//! A managed identity (`MsalCredential::managed_identity`) or a signed-in user
//! (`MsalCredential::public`) plugs in the same way.

#[path = "support/azure_transport.rs"]
mod azure_transport;

use std::sync::Arc;

use azure_core::{credentials::TokenCredential, http::ClientOptions};
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use azure_transport::MsalTransport;
use msal::{
    ClientCredential, ConfidentialClientApplication, azure::MsalCredential, http::ReqwestClient,
};
use msal_emulator::{Emulator, EmulatorConfig, ids};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The secret the emulator's stand-in serves (a made-up value).
const EMULATOR_SECRET: (&str, &str) = ("example-secret", "fake-secret-value~emulator");

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // The emulator (if any) stops when dropped: keep it for as long as the app runs.
    let (app, vault_url, secret_name, http, emulator) = create_app().await?;
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
    if let Some(emu) = &emulator {
        println!(
            "token requests to the emulator: {} (the second client's token came from msal's cache)",
            emu.count("POST", "/oauth2/v2.0/token")
        );
    }
    Ok(())
}

/// The app, the vault and the secret to read, and the one HTTP client msal and Key Vault share.
type Setup = (
    ConfidentialClientApplication,
    String,
    String,
    ReqwestClient,
    Option<Emulator>,
);

async fn create_app() -> Result<Setup, BoxError> {
    if let Some(client_id) = var("MSAL_CLIENT_ID") {
        let tenant = var("MSAL_TENANT_ID").ok_or("set MSAL_TENANT_ID")?;
        let secret = var("MSAL_CLIENT_SECRET").ok_or("set MSAL_CLIENT_SECRET")?;
        let http = ReqwestClient::new();
        let app =
            ConfidentialClientApplication::builder(client_id, ClientCredential::secret(secret))
                .authority(format!("https://login.microsoftonline.com/{tenant}"))?
                .http_client(http.clone())
                .build()?;
        let vault_url = var("AZURE_KEYVAULT_URL").ok_or("set AZURE_KEYVAULT_URL")?;
        let secret_name = var("AZURE_KEYVAULT_SECRET").ok_or("set AZURE_KEYVAULT_SECRET")?;
        return Ok((app, vault_url, secret_name, http, None));
    }

    let emulator = Emulator::start(
        EmulatorConfig::default().key_vault_secret(EMULATOR_SECRET.0, EMULATOR_SECRET.1),
    )
    .await?;
    println!(
        "MSAL_CLIENT_ID is not set: using a local Entra ID emulator (and its Key Vault stand-in) at {}",
        emulator.base_url()
    );
    // The stand-in answers as `emulator.vault.azure.net` (so the Key Vault client's check that
    // the challenge matches the vault's domain stays on), on loopback, with the emulator's CA.
    let http = ReqwestClient::builder()
        .add_root_certificate_pem(emulator.ca_pem().as_bytes())?
        .no_proxy()
        .resolve(ids::KEY_VAULT_HOST, emulator.addr())
        .build()?;
    let app = ConfidentialClientApplication::builder(
        ids::CONFIDENTIAL_CLIENT_ID,
        ClientCredential::secret(ids::CONFIDENTIAL_CLIENT_SECRET),
    )
    .authority(emulator.authority())?
    .known_authorities(emulator.known_authorities())
    .http_client(http.clone())
    .build()?;
    let vault_url = emulator.key_vault_url();
    Ok((
        app,
        vault_url,
        EMULATOR_SECRET.0.to_owned(),
        http,
        Some(emulator),
    ))
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// How a secret is shown: never its value, only its length.
fn redacted(secret: &str) -> String {
    format!("[redacted, {} chars]", secret.len())
}
