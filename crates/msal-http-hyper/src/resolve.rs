//! DNS with per-host overrides, for `HyperClientBuilder::resolve`.

use std::{
    collections::HashMap,
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use msal_core::http::BoxError;

/// Answers overridden host names from a table and asks the system resolver for the others.
#[derive(Clone, Debug)]
pub(crate) struct OverrideResolver {
    overrides: Arc<HashMap<String, SocketAddr>>,
    system: GaiResolver,
}

impl OverrideResolver {
    /// `overrides` keys are host names; they are matched case-insensitively, as DNS is.
    pub(crate) fn new(overrides: &[(String, SocketAddr)]) -> Self {
        let overrides = overrides
            .iter()
            .map(|(host, addr)| (host.to_ascii_lowercase(), *addr))
            .collect();
        Self {
            overrides: Arc::new(overrides),
            system: GaiResolver::new(),
        }
    }
}

type Addrs = std::vec::IntoIter<SocketAddr>;

impl tower_service::Service<Name> for OverrideResolver {
    type Response = Addrs;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Addrs, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.system.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, name: Name) -> Self::Future {
        if let Some(addr) = self.overrides.get(&name.as_str().to_ascii_lowercase()) {
            let addr = *addr;
            return Box::pin(async move { Ok(vec![addr].into_iter()) });
        }
        let lookup = self.system.call(name);
        Box::pin(async move {
            let addrs = lookup.await?;
            Ok(addrs.collect::<Vec<_>>().into_iter())
        })
    }
}
