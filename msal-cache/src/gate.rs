//! [`StoreGate`]: one load-and-apply or write section of a cache's store at a time.
//!
//! A store remembers what it handed out (`FileCacheStore` the file's stamp, the keyring store
//! the signal file's), so `load` returns `None` when nothing changed since. Between a `load` and
//! the moment the cache applies what it returned, the store already counts that version as seen
//! while memory does not have it yet. Anything else that ran in that window could lose a
//! change for good:
//!
//! - a write section got `None`, saved memory without the other process's change, and the read
//!   then applied the older version over the write's change;
//! - a second read loaded a newer version and applied it first, and the older one applied last
//!   left memory behind a version the store counts as seen, which the next write saved over.
//!
//! So loads with their apply, and write sections, take turns. Lookups themselves still run in
//! parallel on the state's lock; only the store's `load` (a `stat` for a file) waits its turn.
//! Runtime-agnostic (only std and wakers), like `msal_core`'s single-flight; a future dropped
//! while waiting leaves nothing behind.

use std::{
    future::poll_fn,
    sync::{Mutex, MutexGuard},
    task::{Poll, Waker},
};

#[derive(Debug, Default)]
struct GateState {
    held: bool,
    wakers: Vec<Waker>,
}

/// An async mutex without data: the turn to load-and-apply or write.
#[derive(Debug, Default)]
pub(crate) struct StoreGate {
    state: Mutex<GateState>,
}

impl StoreGate {
    fn state(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for the turn; it is held until the guard drops.
    pub(crate) async fn enter(&self) -> GateGuard<'_> {
        poll_fn(|cx| {
            let mut state = self.state();
            if state.held {
                if !state.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    state.wakers.push(cx.waker().clone());
                }
                return Poll::Pending;
            }
            state.held = true;
            Poll::Ready(())
        })
        .await;
        GateGuard { gate: self }
    }
}

/// The turn, given back when dropped.
#[derive(Debug)]
pub(crate) struct GateGuard<'a> {
    gate: &'a StoreGate,
}

impl Drop for GateGuard<'_> {
    fn drop(&mut self) {
        let waiting = {
            let mut state = self.gate.state();
            state.held = false;
            std::mem::take(&mut state.wakers)
        };
        // Every waiter looks again (one gets the turn, the others park again), woken outside
        // the mutex so that a waker that runs its task at once cannot deadlock on it.
        for waker in waiting {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{
        future::Future,
        pin::pin,
        sync::{
            Arc,
            atomic::{AtomicUsize, Ordering},
        },
        task::{Context, Wake},
    };

    use super::*;

    /// Counts its wakes.
    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll_with<F: Future>(future: std::pin::Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn one_turn_at_a_time_and_waiters_are_woken_when_it_ends() {
        let gate = StoreGate::default();
        let counter = Arc::new(CountingWaker::default());
        let waker = Waker::from(counter.clone());
        let Poll::Ready(first) = poll_with(pin!(gate.enter()), &waker) else {
            panic!("a free gate made the first caller wait");
        };
        let mut second = pin!(gate.enter());
        assert!(poll_with(second.as_mut(), &waker).is_pending());
        assert_eq!(counter.0.load(Ordering::SeqCst), 0);
        drop(first);
        assert_eq!(
            counter.0.load(Ordering::SeqCst),
            1,
            "the waiter was not woken"
        );
        assert!(poll_with(second.as_mut(), &waker).is_ready());
    }

    #[test]
    fn a_waiter_that_gives_up_leaves_the_gate_usable() {
        let gate = StoreGate::default();
        let waker = Waker::noop();
        let Poll::Ready(held) = poll_with(pin!(gate.enter()), waker) else {
            panic!("a free gate made the first caller wait");
        };
        {
            let abandoned = pin!(gate.enter());
            assert!(poll_with(abandoned, waker).is_pending());
        }
        drop(held);
        assert!(poll_with(pin!(gate.enter()), waker).is_ready());
    }
}
