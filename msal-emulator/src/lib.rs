#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![expect(
    clippy::exhaustive_structs,
    reason = "a test tool: its configuration and log records are built and read field by field"
)]
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

// The README's examples are compiled, and the app one run, with the doctests (the app uses
// `http_client`, hence the feature).
#[cfg(all(doctest, feature = "reqwest"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
