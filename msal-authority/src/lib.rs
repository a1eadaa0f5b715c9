#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

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
