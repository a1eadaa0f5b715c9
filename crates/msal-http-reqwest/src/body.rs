//! Reading a response body without letting the server choose how much memory it takes.

use msal_core::http::{HttpResponse, TransportError, TransportErrorKind};

use crate::error::transport_error;

/// The largest buffer reserved up front from a Content-Length: the announced length is the
/// server's claim, not a promise.
const MAX_PREALLOCATION: usize = 64 * 1024;

/// Reads the body chunk by chunk and stops as soon as it passes `limit` bytes.
pub(crate) async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<HttpResponse, TransportError> {
    let announced = response.content_length();
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
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if chunk.len() > limit - body.len() {
            return Err(too_large(limit, None));
        }
        body.extend_from_slice(&chunk);
    }
    let mut out = http::Response::new(body);
    *out.status_mut() = response.status();
    *out.version_mut() = response.version();
    *out.headers_mut() = std::mem::take(response.headers_mut());
    Ok(out)
}

fn too_large(limit: usize, announced: Option<u64>) -> TransportError {
    let message = match announced {
        Some(length) => format!("the server announced {length} bytes, over the {limit}-byte limit"),
        None => format!("the body passed the {limit}-byte limit"),
    };
    TransportError::new(TransportErrorKind::BodyTooLarge, message)
}
