//! Reading a response body without letting the server choose how much memory it takes.

use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use msal_core::http::{HttpResponse, LimitedBody, TransportError};

use crate::error::transport_error;

/// Reads the body frame by frame and stops as soon as it passes `limit` bytes.
pub(crate) async fn read_limited(
    response: http::Response<Incoming>,
    limit: usize,
) -> Result<HttpResponse, TransportError> {
    let (parts, mut incoming) = response.into_parts();
    // hyper sets an exact size hint from Content-Length.
    let mut body = LimitedBody::new(limit, incoming.size_hint().exact())?;
    while let Some(frame) = incoming.frame().await {
        let frame = frame.map_err(transport_error)?;
        // Trailers carry nothing MSAL reads.
        if let Ok(data) = frame.into_data() {
            body.push(&data)?;
        }
    }
    Ok(http::Response::from_parts(parts, body.into_bytes()))
}
