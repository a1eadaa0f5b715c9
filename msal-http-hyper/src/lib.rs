#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod builder;
mod client;
mod connect;
mod error;
mod origin;
mod pool;

pub use builder::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, HyperClientBuilder};
pub use client::HyperClient;
