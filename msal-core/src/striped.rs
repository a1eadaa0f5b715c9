//! State kept once per thread slot, so that threads updating it do not fight over one cache
//! line.
//!
//! A cache hit is a few hundred nanoseconds of work; one write to a line that another core also
//! writes (a shared counter, a mutex word, a reference count) costs as much again while both
//! cores miss on it. Hot per-application state, the cache-hit counter of telemetry and the memo
//! of the last hit, is therefore striped: each thread uses its own slot, padded to its own cache
//! line, and the rare reader that needs the whole picture (the telemetry header) visits every
//! slot.

use std::{
    num::NonZeroUsize,
    sync::{
        OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
};

/// One `T` per thread slot.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use msal_core::striped::Striped;
///
/// let hits: Striped<AtomicU32> = Striped::new();
/// hits.local().fetch_add(1, Ordering::Relaxed);
/// let total: u32 = hits.iter().map(|h| h.load(Ordering::Relaxed)).sum();
/// assert_eq!(total, 1);
/// ```
pub struct Striped<T> {
    slots: Box<[Padded<T>]>,
}

/// Two cache lines: adjacent-line prefetching pairs lines on common x86 parts.
#[repr(align(128))]
#[derive(Default)]
struct Padded<T>(T);

impl<T: Default> Striped<T> {
    /// Twice as many slots as the machine has hardware threads (at least 4, at most 128), each
    /// `T::default()`: threads are given slots in turn, so collisions stay rare without one slot
    /// per thread.
    pub fn new() -> Self {
        Self {
            slots: (0..slot_count()).map(|_| Padded::default()).collect(),
        }
    }
}

impl<T: Default> Default for Striped<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Striped<T> {
    /// The calling thread's slot.
    #[inline]
    pub fn local(&self) -> &T {
        // `slots.len()` is a power of two, so the mask is a modulo.
        &self.slots[thread_slot() & (self.slots.len() - 1)].0
    }

    /// Every slot, for readers that combine them.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().map(|p| &p.0)
    }
}

impl<T> std::fmt::Debug for Striped<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Striped")
            .field("slots", &self.slots.len())
            .finish_non_exhaustive()
    }
}

/// The number of slots, worked out once per process: `available_parallelism` reads cgroup files
/// on Linux, and apps (each with a few striped values) may be built often.
fn slot_count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| {
        let parallelism = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
        (parallelism * 2).next_power_of_two().clamp(4, 128)
    })
}

/// This thread's slot number, handed out in turn on first use.
#[inline]
fn thread_slot() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    SLOT.with(|slot| *slot)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use super::*;

    #[test]
    fn slots_are_padded_powers_of_two_and_threads_spread() {
        let s: Striped<AtomicU32> = Striped::new();
        assert!(s.slots.len().is_power_of_two() && s.slots.len() >= 4);
        assert_eq!(std::mem::align_of::<Padded<AtomicU32>>(), 128);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..1000 {
                        s.local().fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        let total: u32 = s.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        assert_eq!(total, 8000);
        assert!(s.iter().filter(|c| c.load(Ordering::Relaxed) > 0).count() > 1);
    }
}
