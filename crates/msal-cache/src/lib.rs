//! # msal-cache
//!
//! The MSAL unified token cache for msal-rs: MSAL Python-compatible JSON, partitioned O(1) lookups, file and custom stores.
#![forbid(unsafe_code)]
