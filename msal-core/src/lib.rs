//! # msal-core
//!
//! The small, stable core of msal-rs, the Microsoft Authentication Library for Rust. It plays the
//! part `tracing-core` plays for `tracing`: types, traits and protocol logic that every other
//! crate shares, and nothing that opens a socket.
//!
//! It owns:
//! - [`http`]: the [`HttpClient`](http::HttpClient) transport trait over `http` types, its
//!   request extensions and [`TransportError`](http::TransportError);
//! - [`Error`], [`ServiceError`], [`IdTokenError`], [`CacheError`]: every failure, typed;
//! - the secret newtypes ([`AccessToken`], [`ClientSecret`], ...), whose `Debug` and `Display`
//!   never show the value;
//! - injected [`Clock`], [`AsyncSleep`] and [`Env`], so tests control time and the environment;
//! - [`AuthenticationResult`], [`Account`], [`IdTokenClaims`], [`Prompt`].
//!
//! Features: `certificate` (default) adds `Certificate` client assertions and the RSA stack
//! they need; `pkcs12` adds `.pfx` files; `tokio` adds `TokioSleep`. Apps that use a secret or
//! an assertion callback can turn `certificate` off for a much smaller build.
//!
//! It must never depend on reqwest, hyper, a TLS stack or tokio networking; `cargo xtask test`
//! checks that from `cargo metadata`. Applications use the `msal` facade rather than this crate.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod account;
pub mod clock;
pub mod credential;
pub mod env;
pub mod error;
pub mod http;
pub mod id_token;
pub mod prompt;
pub mod result;
pub mod secret;
pub mod single_flight;
pub mod sleep;
pub mod striped;
pub mod token_endpoint;
pub mod token_response;

pub use account::{Account, AuthorityType};
pub use clock::{Clock, ManualClock, SystemClock};
#[cfg(feature = "certificate")]
pub use credential::Certificate;
pub use credential::{AssertionContext, AssertionProvider, AutoRefresher, ClientCredential};
pub use env::Env;
pub use error::{
    CacheError, Error, IdTokenError, InteractionReason, ManagedIdentityError, Result, ServiceError,
};
pub use id_token::IdTokenClaims;
pub use prompt::{Prompt, ResponseMode};
pub use result::{AuthenticationResult, TokenSource};
pub use secret::{
    AccessToken, AuthorizationCode, ClientSecret, IdToken, Password, PrivateKeyPem, RefreshToken,
};
#[cfg(feature = "tokio")]
pub use sleep::TokioSleep;
pub use sleep::{AsyncSleep, InstantSleep, ManualSleep};
pub use token_response::TokenResponse;

/// The SKU sent in `x-client-sku`.
pub const SKU: &str = "MSAL.Rust";
/// This library's version, sent in `x-client-ver`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
