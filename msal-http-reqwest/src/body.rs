//! Reading a response body without letting the server choose how much memory it takes.

use msal_core::http::{HttpResponse, LimitedBody, TransportError};

use crate::error::transport_error;

/// Reads the body chunk by chunk and stops as soon as it passes `limit` bytes.
pub(crate) async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<HttpResponse, TransportError> {
    let mut body = LimitedBody::new(limit, response.content_length())?;
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        body.push(&chunk)?;
    }
    let mut out = http::Response::new(body.into_bytes());
    *out.status_mut() = response.status();
    *out.version_mut() = response.version();
    *out.headers_mut() = std::mem::take(response.headers_mut());
    Ok(out)
}
