#![doc = include_str!("../README.md")]
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
pub mod sleep;
pub mod token_response;

// The machinery the other msal-rs crates share: single-flight, the per-thread memo stripes, the
// token-endpoint client (form, scopes, claims, telemetry, throttling). Public so those crates
// can use it, hidden because it is not this crate's stable API: it changes with them, as
// aws-smithy-runtime keeps its machinery apart from aws-smithy-runtime-api. What applications
// need from it is re-exported below ([`HttpCache`]).
#[doc(hidden)]
pub mod single_flight;
#[doc(hidden)]
pub mod striped;
#[doc(hidden)]
pub mod token_endpoint;

/// Throttling state (Retry-After holds, "UI required" holds), shareable between apps:
/// MSAL Python's `http_cache`.
pub use token_endpoint::throttle::HttpCache;

pub use account::{Account, AuthorityType};
pub use clock::{Clock, CoarseClock, ManualClock, SystemClock};
#[cfg(feature = "certificate")]
pub use credential::Certificate;
pub use credential::{AssertionContext, AssertionProvider, AutoRefresher, ClientCredential};
pub use env::Env;
pub use error::{
    CacheError, CertificateError, Error, IdTokenError, InteractionReason, ManagedIdentityError,
    Result, ServiceError,
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
