//! The hyper-util legacy client and its connector: plain TCP with the override resolver, wrapped
//! in rustls when the `rustls` feature is on.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::{TokioExecutor, TokioTimer},
};

use crate::{builder::Settings, resolve::OverrideResolver};

/// How long an idle pooled connection is kept: token requests come in bursts minutes apart, and
/// servers drop idle connections after a minute or two anyway.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

#[cfg(feature = "rustls")]
pub(crate) type Connector = hyper_rustls::HttpsConnector<HttpConnector<OverrideResolver>>;
#[cfg(not(feature = "rustls"))]
pub(crate) type Connector = HttpConnector<OverrideResolver>;

/// The hyper-util client every [`HyperClient`](crate::HyperClient) wraps.
pub(crate) type LegacyClient = Client<Connector, Full<Bytes>>;

/// TCP with the builder's resolver overrides and connect timeout.
fn tcp_connector(settings: &Settings) -> HttpConnector<OverrideResolver> {
    let mut tcp = HttpConnector::new_with_resolver(OverrideResolver::new(&settings.resolve));
    // With TLS the rustls layer decides per scheme; without it, `https` URLs must be refused
    // here rather than sent in clear text.
    tcp.enforce_http(!cfg!(feature = "rustls"));
    tcp.set_connect_timeout(Some(settings.connect_timeout));
    tcp.set_nodelay(true);
    tcp
}

fn legacy_client(connector: Connector) -> LegacyClient {
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build(connector)
}

/// A client with `config` for `https` (ALPN set by hyper-rustls) and plain `http` allowed:
/// managed identity talks plain HTTP to loopback and link-local endpoints.
#[cfg(feature = "rustls")]
pub(crate) fn build(settings: &Settings, config: rustls::ClientConfig) -> LegacyClient {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(tcp_connector(settings));
    legacy_client(connector)
}

/// A plain-HTTP client (no TLS feature).
#[cfg(not(feature = "rustls"))]
pub(crate) fn build(settings: &Settings) -> LegacyClient {
    legacy_client(tcp_connector(settings))
}
