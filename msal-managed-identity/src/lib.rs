#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod arc;
mod client;
mod flow;
mod identity;
mod request;
mod response;
mod source;

pub use client::{
    AcquireManagedIdentityToken, DEFAULT_TIMEOUT, ManagedIdentityClient,
    ManagedIdentityClientBuilder,
};
pub use identity::{
    ManagedIdentity, SystemAssignedManagedIdentity, UserAssignedId, UserAssignedManagedIdentity,
};
pub use source::{ARC_KEY_DIRECTORY_VAR, ManagedIdentitySource};
