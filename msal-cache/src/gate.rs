//! [`StoreGate`]: keeps a read's load-and-apply from interleaving with a write section of the
//! same cache.
//!
//! A store remembers what it handed out (`FileCacheStore` the file's stamp, the keyring store
//! the signal file's), so `load` returns `None` when nothing changed since. Between a read's
//! `load` and the moment the cache applies what it returned, the store already counts that
//! version as seen while memory does not have it yet. A write section of the same cache that
//! ran in that window would get `None`, save memory without the other process's change, and
//! then the read would apply the older version over the write's change: both lost. Reads hold
//! the gate shared (they may run together), write sections exclusive, so the window is closed.
//!
//! Writers go first: while one waits, new readers wait too, so a stream of lookups cannot keep
//! a write out. Runtime-agnostic (only std and wakers), like `msal_core`'s single-flight.

use std::{
    future::poll_fn,
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll, Waker},
};

#[derive(Debug, Default)]
struct GateState {
    readers: usize,
    writer: bool,
    writers_waiting: usize,
    wakers: Vec<Waker>,
}

impl GateState {
    fn park(&mut self, cx: &Context<'_>) {
        if !self.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            self.wakers.push(cx.waker().clone());
        }
    }

    /// Wakes every waiter: each looks again (the gate is held for microseconds, and waiters
    /// are few, so waking all is simpler than choosing).
    fn wake_all(&mut self) {
        for waker in self.wakers.drain(..) {
            waker.wake();
        }
    }
}

/// A readers-writer gate for async code that holds no lock while waiting.
#[derive(Debug, Default)]
pub(crate) struct StoreGate {
    state: Mutex<GateState>,
}

impl StoreGate {
    fn state(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Shared: waits while a write section runs or waits.
    pub(crate) async fn read(&self) -> ReadGuard<'_> {
        poll_fn(|cx| {
            let mut state = self.state();
            if state.writer || state.writers_waiting > 0 {
                state.park(cx);
                return Poll::Pending;
            }
            state.readers += 1;
            Poll::Ready(())
        })
        .await;
        ReadGuard { gate: self }
    }

    /// Exclusive: waits for the readers inside to leave and for any other write section.
    pub(crate) async fn write(&self) -> WriteGuard<'_> {
        let waiting = WaitingWriter::new(self);
        poll_fn(|cx| {
            let mut state = self.state();
            if state.writer || state.readers > 0 {
                state.park(cx);
                return Poll::Pending;
            }
            state.writer = true;
            state.writers_waiting -= 1;
            waiting.acquired.store(true, Ordering::Relaxed);
            Poll::Ready(())
        })
        .await;
        WriteGuard { gate: self }
    }
}

/// Counts a writer as waiting until it gets in, or gives up (its future dropped): then the
/// readers it held back are let go.
struct WaitingWriter<'a> {
    gate: &'a StoreGate,
    /// Written and read under the gate's mutex (an atomic only so the future stays `Send`).
    acquired: AtomicBool,
}

impl<'a> WaitingWriter<'a> {
    fn new(gate: &'a StoreGate) -> Self {
        gate.state().writers_waiting += 1;
        Self {
            gate,
            acquired: AtomicBool::new(false),
        }
    }
}

impl Drop for WaitingWriter<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.state();
        if !self.acquired.load(Ordering::Relaxed) {
            state.writers_waiting -= 1;
            state.wake_all();
        }
    }
}

/// A reader inside the gate.
#[derive(Debug)]
pub(crate) struct ReadGuard<'a> {
    gate: &'a StoreGate,
}

impl Drop for ReadGuard<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.state();
        state.readers -= 1;
        if state.readers == 0 {
            state.wake_all();
        }
    }
}

/// The write section inside the gate.
#[derive(Debug)]
pub(crate) struct WriteGuard<'a> {
    gate: &'a StoreGate,
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.state();
        state.writer = false;
        state.wake_all();
    }
}

#[cfg(test)]
mod tests {
    use std::{future::Future, pin::pin};

    use super::*;

    /// Polls once with a waker that does nothing.
    fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn readers_share_and_a_writer_waits_for_them() {
        let gate = StoreGate::default();
        let Poll::Ready(first) = poll_once(pin!(gate.read())) else {
            panic!("the first reader waited");
        };
        let Poll::Ready(second) = poll_once(pin!(gate.read())) else {
            panic!("readers do not share");
        };
        let mut writer = pin!(gate.write());
        assert!(poll_once(writer.as_mut()).is_pending());
        drop(first);
        assert!(
            poll_once(writer.as_mut()).is_pending(),
            "one reader is still in"
        );
        drop(second);
        assert!(poll_once(writer.as_mut()).is_ready());
    }

    #[test]
    fn a_waiting_writer_holds_new_readers_back_until_it_is_done_or_gives_up() {
        let gate = StoreGate::default();
        let Poll::Ready(reader) = poll_once(pin!(gate.read())) else {
            panic!("the first reader waited");
        };
        let mut writer = Box::pin(gate.write());
        assert!(poll_once(writer.as_mut()).is_pending());
        assert!(
            poll_once(pin!(gate.read())).is_pending(),
            "a reader got in ahead of a waiting writer"
        );
        // The writer gives up: readers are let in again.
        drop(writer);
        assert!(poll_once(pin!(gate.read())).is_ready());
        drop(reader);

        let Poll::Ready(write) = poll_once(pin!(gate.write())) else {
            panic!("the gate is free");
        };
        assert!(poll_once(pin!(gate.read())).is_pending());
        assert!(poll_once(pin!(gate.write())).is_pending());
        drop(write);
        assert!(poll_once(pin!(gate.read())).is_ready());
    }
}
