//! At most one in-flight computation per key; everyone else waits for its result.
//!
//! A thousand callers asking for the same token (or the same discovery document) at once must
//! cause one request, not a thousand. The leader runs the work; followers wait without holding
//! any lock. If the leader is cancelled (its future dropped), the flight is abandoned and one of
//! the followers takes over, so a cancelled caller never cancels the others. Runtime-agnostic:
//! only std and wakers.

use std::{
    collections::HashMap,
    fmt,
    future::{Future, poll_fn},
    hash::Hash,
    sync::{Arc, Mutex},
    task::{Poll, Waker},
};

use crate::Error;

enum FlightState<V> {
    Pending(Vec<Waker>),
    // `None`: the leader was dropped before finishing.
    Done(Option<Result<V, Error>>),
}

struct Flight<V> {
    state: Mutex<FlightState<V>>,
}

impl<V: Clone> Flight<V> {
    fn finish(&self, outcome: Option<Result<V, Error>>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let FlightState::Pending(wakers) =
            std::mem::replace(&mut *state, FlightState::Done(outcome))
        {
            for w in wakers {
                w.wake();
            }
        }
    }

    async fn wait(&self) -> Option<Result<V, Error>> {
        poll_fn(|cx| {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            match &mut *state {
                FlightState::Done(outcome) => Poll::Ready(outcome.clone()),
                FlightState::Pending(wakers) => {
                    if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                        wakers.push(cx.waker().clone());
                    }
                    Poll::Pending
                }
            }
        })
        .await
    }
}

/// Deduplicates concurrent work by key.
pub struct SingleFlight<K, V> {
    flights: Mutex<HashMap<K, Arc<Flight<V>>>>,
}

impl<K, V> fmt::Debug for SingleFlight<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.flights.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("SingleFlight")
            .field("in_flight", &n)
            .finish()
    }
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        Self {
            flights: Mutex::new(HashMap::new()),
        }
    }
}

/// Removes the flight and releases followers when the leader finishes or is dropped.
struct LeaderGuard<'a, K: Hash + Eq, V: Clone> {
    owner: &'a SingleFlight<K, V>,
    key: Option<K>,
    flight: Arc<Flight<V>>,
}

impl<K: Hash + Eq, V: Clone> LeaderGuard<'_, K, V> {
    fn complete(mut self, outcome: Result<V, Error>) {
        self.release(Some(outcome));
    }

    fn release(&mut self, outcome: Option<Result<V, Error>>) {
        if let Some(key) = self.key.take() {
            self.owner
                .flights
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&key);
            self.flight.finish(outcome);
        }
    }
}

impl<K: Hash + Eq, V: Clone> Drop for LeaderGuard<'_, K, V> {
    fn drop(&mut self) {
        self.release(None);
    }
}

impl<K: Hash + Eq + Clone, V: Clone> SingleFlight<K, V> {
    /// A new, empty group.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `work` unless a run for `key` is already in flight, in which case waits for that
    /// run's result. Followers get a clone of the leader's result, errors included.
    pub async fn run<F, Fut>(&self, key: K, work: F) -> Result<V, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, Error>>,
    {
        let mut work = Some(work);
        loop {
            let (flight, leader) = {
                let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
                match flights.get(&key) {
                    Some(f) => (f.clone(), false),
                    None => {
                        let f = Arc::new(Flight {
                            state: Mutex::new(FlightState::Pending(Vec::new())),
                        });
                        flights.insert(key.clone(), f.clone());
                        (f, true)
                    }
                }
            };
            if leader {
                let guard = LeaderGuard {
                    owner: self,
                    key: Some(key.clone()),
                    flight,
                };
                let Some(work) = work.take() else {
                    // Unreachable: a caller leads at most once, and returns when it does.
                    return Err(Error::Configuration("single-flight work ran twice".into()));
                };
                let outcome = work().await;
                guard.complete(outcome.clone());
                return outcome;
            }
            if let Some(outcome) = flight.wait().await {
                return outcome;
            }
            // The leader was cancelled: try to lead (or follow a new leader).
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "current_thread")]
    async fn concurrent_callers_share_one_run() {
        let sf = Arc::new(SingleFlight::<&str, usize>::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for _ in 0..50 {
            let (sf, runs) = (sf.clone(), runs.clone());
            handles.push(tokio::spawn(async move {
                sf.run("k", || async move {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    Ok(runs.fetch_add(1, Ordering::SeqCst) + 1)
                })
                .await
            }));
        }
        for h in handles {
            assert_eq!(h.await.unwrap().unwrap(), 1);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_cancelled_leader_hands_over() {
        let sf = Arc::new(SingleFlight::<&str, u8>::new());
        let leader = {
            let sf = sf.clone();
            tokio::spawn(async move { sf.run("k", std::future::pending).await })
        };
        tokio::task::yield_now().await;
        let follower = {
            let sf = sf.clone();
            tokio::spawn(async move { sf.run("k", || async { Ok(7) }).await })
        };
        tokio::task::yield_now().await;
        leader.abort();
        assert_eq!(follower.await.unwrap().unwrap(), 7);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn errors_reach_followers_too() {
        let sf = SingleFlight::<u8, u8>::new();
        let e = sf.run(1, || async { Err(Error::Cancelled) }).await;
        assert!(matches!(e, Err(Error::Cancelled)));
        assert_eq!(sf.run(1, || async { Ok(1) }).await.unwrap(), 1);
    }
}
