//! # msal-managed-identity
//!
//! Managed identity for msal-rs: IMDS, App Service, Azure ML, Cloud Shell, Azure Arc, Service Fabric.
#![forbid(unsafe_code)]
