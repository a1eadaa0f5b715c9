//! # msal-authority
//!
//! Authorities for msal-rs: parsing, instance and tenant discovery, aliases, regional endpoints.
#![forbid(unsafe_code)]
