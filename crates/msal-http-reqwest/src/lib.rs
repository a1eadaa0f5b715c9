//! # msal-http-reqwest
//!
//! reqwest transport for msal-rs.
#![forbid(unsafe_code)]
