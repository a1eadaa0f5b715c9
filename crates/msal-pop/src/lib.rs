//! # msal-pop
//!
//! Proof-of-Possession for msal-rs: PoP keys and Signed HTTP Requests (SHR).
#![forbid(unsafe_code)]
