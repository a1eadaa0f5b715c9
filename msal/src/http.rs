//! Transports: the `HttpClient` trait and, behind features, the reqwest and hyper backends.

use std::sync::Arc;

pub use msal_core::http::{
    BoxError, HttpClient, HttpRequest, HttpResponse, PinnedServerCertificate, RequestTimeout,
    ResponseBodyLimit, TransportError, TransportErrorKind,
};
#[cfg(feature = "hyper")]
#[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
pub use msal_http_hyper::{HyperClient, HyperClientBuilder};
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub use msal_http_reqwest::{ReqwestClient, ReqwestClientBuilder};

/// The client used when an app sets none: reqwest if enabled, else hyper, else an error.
pub(crate) fn default_client() -> Result<Arc<dyn HttpClient>, msal_core::Error> {
    #[cfg(feature = "reqwest")]
    {
        Ok(Arc::new(
            msal_http_reqwest::ReqwestClient::builder().build()?,
        ))
    }
    #[cfg(all(feature = "hyper", not(feature = "reqwest")))]
    {
        Ok(Arc::new(msal_http_hyper::HyperClient::builder().build()?))
    }
    #[cfg(not(any(feature = "reqwest", feature = "hyper")))]
    {
        Err(msal_core::Error::Configuration(
            "no HTTP transport: enable the `reqwest` or `hyper` feature, or set .http_client(..)"
                .into(),
        ))
    }
}
