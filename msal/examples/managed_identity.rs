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

#[path = "support/target.rs"]
mod target;

use msal::{
    Env,
    http::ReqwestClient,
    managed_identity::{
        ManagedIdentity, ManagedIdentityClient, SystemAssignedManagedIdentity,
        UserAssignedManagedIdentity,
    },
};
use target::{AppKind, BoxError, Target, redacted};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let target = Target::from_env(AppKind::ManagedIdentity).await?;
    let identity: ManagedIdentity = match target.client_id.as_str() {
        "system" => SystemAssignedManagedIdentity.into(),
        // A VM can carry several user-assigned identities: name the one to use.
        client_id => UserAssignedManagedIdentity::client_id(client_id).into(),
    };
    let http = target.http.clone().unwrap_or_else(ReqwestClient::new);
    let mut client = ManagedIdentityClient::new(identity, http);
    if let Some(emu) = &target.emulator {
        // The variable AKS pod identity uses to move IMDS: here it points at the emulator.
        // `Env::from_vars` keeps that out of the process environment.
        client = client.with_env(Env::from_vars([(
            "AZURE_POD_IDENTITY_AUTHORITY_HOST",
            emu.http_base_url(),
        )]));
    }
    // Detection reads only environment variables and well-known files; no request is sent.
    println!("Managed identity source: {}", client.source().name());

    // A resource, not scopes: managed identity endpoints take the resource URI (no `/.default`).
    let resource = target.scopes.first().ok_or("no resource")?;
    for attempt in 1..=2 {
        let result = client.acquire_token_for_client(resource.as_str()).await?;
        println!(
            "#{attempt}: token for {resource} {} from {:?}, expires in {} min",
            redacted(result.access_token.secret()),
            result.token_source,
            result.expires_in().as_secs() / 60,
        );
    }
    Ok(())
}
