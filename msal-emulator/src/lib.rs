//! # msal-emulator
//!
//! A local Microsoft Entra ID (v2.0 endpoints) and managed-identity emulator for testing MSAL
//! apps offline. It is a dev tool: tests and `cargo xtask demo` start it, point an app at
//! [`Emulator::authority`], trust [`Emulator::ca_pem`], and read [`Emulator::requests`].
//!
//! What it serves:
//! - discovery: OpenID configuration (Entra, B2C, ADFS, generic OIDC), instance discovery,
//!   JWKS, user realm;
//! - `authorize` (no UI: the configured user signs in), `logout` (back to the
//!   `post_logout_redirect_uri`), `devicecode`, and `token` with the
//!   client-credentials (secret or certificate assertion), authorization-code (PKCE),
//!   refresh-token (rotating, FOCI), device-code, password and on-behalf-of grants, PoP-bound
//!   tokens and claims challenges;
//! - managed identity: IMDS, App Service, Azure ML, Cloud Shell and Azure Arc on a plain-http
//!   listener, Service Fabric on its own https listener with a self-signed certificate;
//! - [`FaultRule`]s that make an endpoint misbehave a set number of times.
//!
//! ```no_run
//! # async fn demo() -> Result<(), msal_emulator::EmulatorError> {
//! use msal_emulator::{Emulator, EmulatorConfig, Endpoint, Fault, FaultRule};
//!
//! let emulator = Emulator::start(EmulatorConfig::default().expires_in(600)).await?;
//! emulator.add_fault(FaultRule::new(Endpoint::Token, 1, Fault::Status {
//!     status: 503, retry_after: Some("1".into()), body: None,
//! }));
//! // ... run the app against emulator.authority() trusting emulator.ca_pem() ...
//! assert_eq!(emulator.count("POST", "/oauth2/v2.0/token"), 0);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod config;
mod crypto;
mod emulator;
mod error;
mod faults;
mod log;
mod routes;
mod server;
mod state;
mod tokens;
mod wire;

pub use config::{ClientConfig, EmulatorConfig, ManagedIdentityConfig, UserConfig, ids};
pub use emulator::Emulator;
pub use error::EmulatorError;
pub use faults::{Endpoint, Fault, FaultRule};
pub use log::LoggedRequest;
