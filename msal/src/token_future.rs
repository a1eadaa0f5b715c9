//! [`TokenRequestFuture`]: what `.await` on `acquire_token_for_client` and
//! `acquire_token_silent` builders runs.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use msal_core::{AuthenticationResult, Error, Result};

use crate::{AcquireTokenForClient, AcquireTokenSilent, request::BoxedResult};

/// The future of awaiting an [`AcquireTokenForClient`] or [`AcquireTokenSilent`] builder
/// (`app.acquire_token_for_client(scopes).await`), which is also what their `send()` returns.
/// It is `Unpin` and polling it again after it completed gives an `InvalidArgument` error.
///
/// These two calls are the ones a busy service makes on every request, and most of them are
/// answered from the cache. A repeat of the thread's last plain hit completes on the first poll
/// without allocating and before any request future exists; anything else continues in a boxed
/// future. Other builders' `.await` is a boxed `send()`.
#[must_use = "futures do nothing unless polled"]
pub struct TokenRequestFuture<'a> {
    state: State<'a>,
}

enum State<'a> {
    ForClient(AcquireTokenForClient<'a>),
    Silent(AcquireTokenSilent<'a>),
    Network(BoxedResult<'a>),
    Done,
}

impl<'a> From<AcquireTokenForClient<'a>> for TokenRequestFuture<'a> {
    fn from(request: AcquireTokenForClient<'a>) -> Self {
        Self {
            state: State::ForClient(request),
        }
    }
}

impl<'a> From<AcquireTokenSilent<'a>> for TokenRequestFuture<'a> {
    fn from(request: AcquireTokenSilent<'a>) -> Self {
        Self {
            state: State::Silent(request),
        }
    }
}

impl fmt::Debug for TokenRequestFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::ForClient(_) | State::Silent(_) => "not started",
            State::Network(_) => "waiting for the network",
            State::Done => "done",
        };
        f.debug_struct("TokenRequestFuture")
            .field("state", &state)
            .finish()
    }
}

impl Future for TokenRequestFuture<'_> {
    type Output = Result<AuthenticationResult>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Every state is `Unpin` (the network future is boxed), so the future is too.
        let this = self.get_mut();
        // A hit is answered from the request where it lies: moving it out first would copy the
        // whole builder on every call.
        let repeated = match &mut this.state {
            State::ForClient(request) => request.repeat_hit(),
            State::Silent(request) => request.repeat_hit(),
            State::Network(_) | State::Done => None,
        };
        if let Some(result) = repeated {
            this.state = State::Done;
            return Poll::Ready(Ok(result));
        }
        let mut network = match std::mem::replace(&mut this.state, State::Done) {
            State::ForClient(request) => request.send_to_network(),
            State::Silent(request) => request.send_to_network(),
            State::Network(network) => network,
            State::Done => {
                return Poll::Ready(Err(Error::InvalidArgument(
                    "a token request future was polled after it completed".into(),
                )));
            }
        };
        let poll = network.as_mut().poll(cx);
        if poll.is_pending() {
            this.state = State::Network(network);
        }
        poll
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>() {}

    #[test]
    fn the_future_is_send_and_small() {
        assert_send::<TokenRequestFuture<'static>>();
        // The builders it starts from, not a request future: a hit moves little.
        // A runtime's `block_on` moves it a few times per call.
        assert!(std::mem::size_of::<TokenRequestFuture<'static>>() <= 256);
    }
}
