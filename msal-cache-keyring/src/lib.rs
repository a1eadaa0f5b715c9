#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

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
