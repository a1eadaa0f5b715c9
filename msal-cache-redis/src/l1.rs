//! The in-process L1: recently read or written partitions, for a short TTL.
//!
//! Every cache read (each `acquire_token_*` call) loads its partition; the L1 turns a burst of
//! calls for one tenant into one Redis round trip per TTL. It is write-through (a save updates
//! it), so an instance always reads its own writes; what it can miss for up to one TTL is another
//! instance's write, which costs at most one extra token request.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

/// A partition as Redis holds it: `None` when the key does not exist.
pub(crate) type Blob = Option<Arc<str>>;

#[derive(Debug)]
pub(crate) struct L1 {
    ttl: Duration,
    capacity: usize,
    /// Held only for a lookup or an insert, never across an `.await`.
    entries: Mutex<HashMap<String, (Instant, Blob)>>,
}

impl L1 {
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<String, (Instant, Blob)>> {
        // Every critical section is a single map operation, so a poisoned map is still whole.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn enabled(&self) -> bool {
        !self.ttl.is_zero() && self.capacity > 0
    }

    /// The partition if it was stored less than a TTL ago.
    pub(crate) fn get(&self, key: &str) -> Option<Blob> {
        if !self.enabled() {
            return None;
        }
        let entries = self.entries();
        let (at, blob) = entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| blob.clone())
    }

    pub(crate) fn put(&self, key: &str, blob: Blob) {
        if !self.enabled() {
            return;
        }
        let now = Instant::now();
        let mut entries = self.entries();
        if entries.len() >= self.capacity && !entries.contains_key(key) {
            // Expired entries go first; if the L1 is full of live ones (more hot partitions than
            // its capacity), dropping arbitrary ones only costs their next read a round trip.
            entries.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
            while entries.len() >= self.capacity {
                let Some(victim) = entries.keys().next().cloned() else {
                    break;
                };
                entries.remove(&victim);
            }
        }
        match entries.get_mut(key) {
            Some(slot) => *slot = (now, blob),
            None => {
                entries.insert(key.to_owned(), (now, blob));
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_and_stays_bounded() {
        let l1 = L1::new(Duration::from_millis(30), 2);
        l1.put("a", Some("1".into()));
        l1.put("b", None);
        assert_eq!(l1.get("a"), Some(Some("1".into())));
        assert_eq!(l1.get("b"), Some(None));
        l1.put("c", Some("3".into()));
        assert!(l1.len() <= 2);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(l1.get("c"), None);

        let off = L1::new(Duration::ZERO, 10);
        off.put("a", None);
        assert_eq!(off.get("a"), None);
    }
}
