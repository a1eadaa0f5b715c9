#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod config;
mod extract;
#[cfg(feature = "redis")]
mod redis_store;
mod routes;
mod session;

pub use auth::{MsalAuth, MsalLayer};
pub use config::{ConfigError, MsalAuthBuilder, Setting};
pub use extract::{AuthRejection, SignedInUser, TokenAcquirer};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_store::RedisSessionStore;

/// The session store for a single instance (re-exported from tower-sessions): sessions live in
/// this process's memory and end with it.
pub use tower_sessions::MemoryStore;
/// Re-exported so apps name the same tower-sessions the layer uses.
pub use tower_sessions::{self, Session, SessionStore};
