//! # msal
//!
//! The Microsoft Authentication Library (MSAL) for Rust: sign in users and apps with Microsoft Entra ID.
#![forbid(unsafe_code)]
