#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod builder;
mod client;
mod error;
mod tls;

pub use builder::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, ReqwestClientBuilder};
pub use client::ReqwestClient;
/// The reqwest version this crate is built on, for [`ReqwestClient::from_client`] and
/// [`ReqwestClientBuilder::proxy`].
pub use reqwest;
