#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Where no backend exists (Windows, the BSDs), the store only reports so, and the builder's
// keyring options go unused.
#![cfg_attr(
    not(any(target_os = "linux", target_os = "macos")),
    allow(dead_code, unused_imports)
)]

mod error;
#[cfg(target_os = "linux")]
mod kernel;
#[cfg(target_os = "macos")]
mod keychain;
#[cfg(target_os = "linux")]
mod sealed;
#[cfg(target_os = "linux")]
mod secret_service;
#[cfg(any(target_os = "linux", target_os = "macos"))]
mod signal;
mod store;

pub use error::KeyringError;
pub use store::{KeyringBackend, KeyringCacheStore};
