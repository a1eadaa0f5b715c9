//! # msal-managed-identity
//!
//! Managed identity for msal-rs, the Microsoft Authentication Library for Rust: tokens for the
//! identity of the Azure resource the code runs on, without any secret in the app's
//! configuration. It follows MSAL Python 1.39's `ManagedIdentityClient` (`msal/managed_identity.py`) and sends
//! the same requests (`fixtures/msal-python-1.39.0-requests.json`, flows `mi_*`).
//!
//! Sources, detected from the environment in this order ([`ManagedIdentitySource`]):
//!
//! | source | detected by | request |
//! |---|---|---|
//! | Service Fabric | `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` + `IDENTITY_SERVER_THUMBPRINT` | `GET` api-version `2019-07-01-preview`, header `Secret`, the server certificate pinned to the thumbprint |
//! | App Service, Functions | `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` | `GET` api-version `2019-08-01`, headers `X-IDENTITY-HEADER`, `Metadata: true` |
//! | Azure Machine Learning | `MSI_ENDPOINT` + `MSI_SECRET` | `GET` api-version `2017-09-01`, header `secret`, selector `clientid` |
//! | Cloud Shell | `MSI_ENDPOINT` alone | `POST` form `resource`, header `Metadata: true` |
//! | Azure Arc | `IDENTITY_ENDPOINT` + `IMDS_ENDPOINT`, or the agent's `himds` | `GET` api-version `2020-06-01`, then the key-file challenge |
//! | IMDS (VMs, AKS) | otherwise; `AZURE_POD_IDENTITY_AUTHORITY_HOST` replaces the host | `GET` api-version `2018-02-01`, `Metadata: true`, `x-client-SKU`/`x-client-Ver`/`x-ms-client-request-id` |
//!
//! Tokens are cached in a [`msal_cache::TokenCache`] in MSAL Python's format (`environment`
//! `localhost`, `realm` `managed_identity`), so a cache file is shared with Python services.
//!
//! ## Example
//! ```no_run
//! use msal_managed_identity::{ManagedIdentityClient, SystemAssignedManagedIdentity};
//! # async fn demo(http: impl msal_core::http::HttpClient + 'static) -> msal_core::Result<()> {
//! let client = ManagedIdentityClient::new(SystemAssignedManagedIdentity, http);
//! let token = client.acquire_token_for_client("https://vault.azure.net").await?;
//! let header = token.authorization_header(); // "Bearer …", marked sensitive
//! # let _ = header; Ok(()) }
//! ```
//!
//! ## Differences from MSAL Python 1.39
//! - Cloud Shell is implemented (Python detects it but falls through to IMDS).
//! - IMDS answers of 404, 408, 410, 429 and 5xx are retried three times with exponential
//!   back-off (Python leaves retries to the caller's HTTP adapter).
//! - Azure ML refuses user-assigned object and resource ids with
//!   [`ManagedIdentityError::SourceRejectsUserAssignedId`](msal_core::ManagedIdentityError):
//!   its API understands only `clientid`, so Python's extra parameters would silently yield
//!   the system-assigned identity. Cloud Shell refuses every user-assigned id.
//! - The Azure Arc key file is read only if, after resolving `..` and symbolic links, it lies
//!   directly in the agent's token directory (Python keeps only the file name's stem).
//! - A failed proactive refresh returns the cached token for any error (as Python), and a
//!   failure to write the cache is logged rather than failing a call that got a token.
//! - Header names go out lower-case (`x-client-sku`): the `http` crate normalises them and HTTP
//!   compares them case-insensitively.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod arc;
mod client;
mod flow;
mod identity;
mod request;
mod response;
mod source;

pub use client::{AcquireManagedIdentityToken, DEFAULT_TIMEOUT, ManagedIdentityClient};
pub use identity::{
    ManagedIdentity, SystemAssignedManagedIdentity, UserAssignedId, UserAssignedManagedIdentity,
};
pub use source::{ARC_KEY_DIRECTORY_VAR, ManagedIdentitySource};
