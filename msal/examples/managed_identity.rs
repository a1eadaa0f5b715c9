//! Managed identity: code running on Azure (VM, App Service, Functions, AKS, Arc, ...) gets
//! tokens with no secret at all. The source is detected from the environment; the second token
//! comes from the cache.
//!
//! ```sh
//! cargo run -p msal --example managed_identity --features managed-identity   # emulator as IMDS
//! # On Azure: a user-assigned identity's client id, or `system`; optionally the resource.
//! MSAL_CLIENT_ID=system MSAL_SCOPES=https://vault.azure.net \
//!     cargo run -p msal --example managed_identity --features managed-identity
//! ```
//!
//! Without `MSAL_CLIENT_ID` the example starts a local emulator (`msal_emulator`) that plays the
//! instance metadata service (IMDS), so it runs offline.

use msal::{
    Env,
    http::ReqwestClient,
    managed_identity::{
        ManagedIdentity, ManagedIdentityClient, SystemAssignedManagedIdentity,
        UserAssignedManagedIdentity,
    },
};
use msal_emulator::{Emulator, EmulatorConfig, ids};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // The emulator (if any) stops when dropped: keep it for as long as the client runs.
    let (client, resource, _emulator) = create_client().await?;
    // Detection reads only environment variables and well-known files; no request is sent.
    println!("Managed identity source: {}", client.source().name());

    for attempt in 1..=2 {
        let result = client.acquire_token_for_client(resource.as_str()).await?;
        println!(
            "#{attempt}: token for {resource} {} from {:?}, expires in {} min",
            redacted(result.access_token().secret()),
            result.token_source(),
            result.expires_in().as_secs() / 60,
        );
    }
    Ok(())
}

/// On Azure when `MSAL_CLIENT_ID` is set, otherwise against a freshly started emulator. Returns
/// the client and the resource to ask for: managed identity endpoints take a resource URI, not
/// scopes (no `/.default`).
async fn create_client() -> Result<(ManagedIdentityClient, String, Option<Emulator>), BoxError> {
    if let Some(client_id) = var("MSAL_CLIENT_ID") {
        let identity: ManagedIdentity = match client_id.as_str() {
            "system" => SystemAssignedManagedIdentity.into(),
            // A VM can carry several user-assigned identities: name the one to use.
            client_id => UserAssignedManagedIdentity::client_id(client_id).into(),
        };
        let resource = var("MSAL_SCOPES")
            .and_then(|s| {
                s.split([' ', ','])
                    .find(|s| !s.is_empty())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "https://management.azure.com/".to_owned());
        let client = ManagedIdentityClient::new(identity, ReqwestClient::new());
        return Ok((client, resource, None));
    }

    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    println!(
        "MSAL_CLIENT_ID is not set: using a local managed identity emulator at {}",
        emulator.http_base_url()
    );
    let identity = UserAssignedManagedIdentity::client_id(ids::MI_IMDS_CLIENT_ID);
    let client = ManagedIdentityClient::new(identity, emulator.http_client()?)
        // The variable AKS pod identity uses to move IMDS: here it points at the emulator.
        // `Env::from_vars` keeps that out of the process environment.
        .with_env(Env::from_vars([(
            "AZURE_POD_IDENTITY_AUTHORITY_HOST",
            emulator.http_base_url(),
        )]));
    Ok((client, ids::MI_RESOURCE.to_owned(), Some(emulator)))
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// How a secret is shown: never its value, only its length.
fn redacted(secret: &str) -> String {
    format!("[redacted, {} chars]", secret.len())
}
