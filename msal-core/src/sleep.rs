//! Waiting, injected: device-code polling and retry back-off sleep through [`AsyncSleep`], so the
//! protocol crates need no async runtime and tests can run without real waits.

use std::{fmt, future::Future, pin::Pin, sync::Arc, time::Duration};

/// A boxed, `Send` future that completes after a delay.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Creates futures that complete after a delay (aws-smithy-async's pattern).
pub trait AsyncSleep: Send + Sync + fmt::Debug {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

impl<T: AsyncSleep + ?Sized> AsyncSleep for Arc<T> {
    fn sleep(&self, duration: Duration) -> Sleep {
        (**self).sleep(duration)
    }
}

/// Sleeps on tokio's timer. The default wherever tokio is available.
#[cfg(feature = "tokio")]
#[derive(Debug, Clone, Copy, Default)]
#[expect(clippy::exhaustive_structs, reason = "a unit value apps name directly")]
pub struct TokioSleep;

#[cfg(feature = "tokio")]
impl AsyncSleep for TokioSleep {
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Completes at once, whatever the duration, and records nothing: for tests that must not wait.
#[derive(Debug, Clone, Copy, Default)]
#[expect(clippy::exhaustive_structs, reason = "a unit value apps name directly")]
pub struct InstantSleep;

impl AsyncSleep for InstantSleep {
    fn sleep(&self, _duration: Duration) -> Sleep {
        Box::pin(std::future::ready(()))
    }
}

/// Sleeps by advancing a [`ManualClock`](crate::ManualClock) and completing at once: time moves
/// exactly as far as the code waited, so tests of polling and back-off run instantly yet
/// see consistent timestamps.
#[derive(Debug, Clone)]
pub struct ManualSleep {
    clock: crate::ManualClock,
}

impl ManualSleep {
    /// Sleeps advance `clock`.
    pub fn new(clock: crate::ManualClock) -> Self {
        Self { clock }
    }
}

impl AsyncSleep for ManualSleep {
    fn sleep(&self, duration: Duration) -> Sleep {
        self.clock.advance(duration);
        Box::pin(std::future::ready(()))
    }
}
