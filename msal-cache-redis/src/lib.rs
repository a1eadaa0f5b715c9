#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod health;
mod l1;
mod merge;
mod store;

pub use builder::{RedisCacheStoreBuilder, RedisStoreError, RedisTarget};
pub use health::RedisCacheStats;
/// The Redis client this crate is built on, for building a [`redis::Client`] by hand.
pub use redis;
pub use store::RedisCacheStore;
