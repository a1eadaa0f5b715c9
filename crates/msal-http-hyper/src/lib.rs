//! # msal-http-hyper
//!
//! hyper 1 transport for msal-rs.
#![forbid(unsafe_code)]
