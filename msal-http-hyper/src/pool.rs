//! Idle HTTP/1.1 connections kept for reuse, per origin.
//!
//! No background task: an idle connection is checked when it is taken (closed by the server,
//! or idle too long, and it is dropped). The lock is held only to push or pop, never across I/O.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::{connect::Sender, origin::Origin};

/// How long an idle connection is kept: token requests come in bursts minutes apart, and servers
/// drop idle connections after a minute or two anyway.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// At most this many idle connections per origin; more concurrent requests than that still
/// work, their connections are just not kept.
const MAX_IDLE_PER_ORIGIN: usize = 8;

#[derive(Debug, Default)]
pub(crate) struct Pool {
    idle: Mutex<HashMap<Origin, Vec<(Sender, Instant)>>>,
}

impl Pool {
    /// An idle connection to `origin` that is not known to be closed, most recently used
    /// first. The caller still awaits `ready()`: the server may have closed it a moment ago.
    pub(crate) fn take(&self, origin: &Origin) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let list = idle.get_mut(origin)?;
        let now = Instant::now();
        while let Some((sender, since)) = list.pop() {
            if now.duration_since(since) < IDLE_TIMEOUT && !sender.is_closed() {
                return Some(sender);
            }
        }
        None
    }

    /// Keeps `sender` for the next request to `origin`. Called once its response body has been
    /// read to the end, when the connection is about to be idle again (hyper's connection task
    /// may not have said so yet, so `is_ready` would be too early to ask).
    pub(crate) fn put(&self, origin: Origin, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let list = idle.entry(origin).or_default();
        list.retain(|(s, _)| !s.is_closed());
        if list.len() < MAX_IDLE_PER_ORIGIN {
            list.push((sender, Instant::now()));
        }
    }
}
