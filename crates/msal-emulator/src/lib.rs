//! # msal-emulator
//!
//! A local Microsoft Entra ID and managed-identity emulator for testing MSAL apps offline.
#![forbid(unsafe_code)]
