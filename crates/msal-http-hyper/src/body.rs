//! Reading a response body without letting the server choose how much memory it takes.

use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use msal_core::http::{HttpResponse, TransportError, TransportErrorKind};

use crate::error::transport_error;

/// The largest buffer reserved up front from a Content-Length: the announced length is the
/// server's claim, not a promise.
const MAX_PREALLOCATION: usize = 64 * 1024;

/// Reads the body frame by frame and stops as soon as it passes `limit` bytes.
pub(crate) async fn read_limited(
    response: http::Response<Incoming>,
    limit: usize,
) -> Result<HttpResponse, TransportError> {
    let (parts, mut incoming) = response.into_parts();
    // hyper sets an exact size hint from Content-Length.
    let announced = incoming.size_hint().exact();
    if let Some(length) = announced
        && length > limit as u64
    {
        return Err(too_large(limit, Some(length)));
    }
    let capacity = announced
        .and_then(|length| usize::try_from(length).ok())
        .unwrap_or(0)
        .min(MAX_PREALLOCATION);
    let mut body = Vec::with_capacity(capacity);
    while let Some(frame) = incoming.frame().await {
        let frame = frame.map_err(transport_error)?;
        // Trailers carry nothing MSAL reads.
        if let Ok(data) = frame.into_data() {
            if data.len() > limit - body.len() {
                return Err(too_large(limit, None));
            }
            body.extend_from_slice(&data);
        }
    }
    Ok(http::Response::from_parts(parts, body))
}

fn too_large(limit: usize, announced: Option<u64>) -> TransportError {
    let message = match announced {
        Some(length) => format!("the server announced {length} bytes, over the {limit}-byte limit"),
        None => format!("the body passed the {limit}-byte limit"),
    };
    TransportError::new(TransportErrorKind::BodyTooLarge, message)
}
