//! # msal-authority
//!
//! Where tokens come from: parsing authority URLs into a typed [`Authority`] (Entra ID, AD FS,
//! B2C, CIAM, generic OpenID Connect), finding their endpoints (instance discovery and the OpenID
//! configuration, cached for 24 hours and fetched once however many callers ask), validating
//! issuers, knowing which hosts are aliases of one cloud (so tokens cached under
//! `login.windows.net` serve `login.microsoftonline.com`), and regional endpoints (ESTS-R).
//!
//! It speaks only through `msal_core`'s `HttpClient`; it must never depend on reqwest, hyper, a
//! TLS stack or tokio networking.
#![forbid(unsafe_code)]

pub mod authority;
pub mod discovery;
pub mod hosts;
pub mod issuer;
pub mod region;

pub use authority::{Authority, AuthorityKind, IntoAuthority};
pub use discovery::{AuthorityMetadata, AuthorityResolver, DiscoveryCache, InstanceDiscovery};
pub use hosts::{
    AZURE_GOV_DE, AZURE_GOV_FR, AZURE_GOV_SG, AZURE_PUBLIC, AZURE_US_GOVERNMENT,
    DEPRECATED_AZURE_CHINA, WELL_KNOWN_AUTHORITY_HOSTS,
};
pub use region::Region;
