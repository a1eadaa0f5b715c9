//! Azure SDK clients on msal's transport: azure_core's `HttpClient` over any
//! `msal::http::HttpClient` (here a `ReqwestClient`), so an app that builds its Azure SDK
//! clients with `default-features = false` has one HTTP stack, one TLS configuration (the
//! emulator's CA in the examples and tests) and one connection pool for tokens and service calls.
//!
//! Shared by copy with `tests/azure_keyvault.rs` (`#[path]`), as `target.rs` is.

// Each user needs only part of this module.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use azure_core::{
    error::{Error, ErrorKind},
    http::{
        AsyncRawResponse, Body, HttpClient as AzureHttpClient, Request, StatusCode, Transport,
        headers::Headers,
    },
};
use msal::http::HttpClient;

/// azure_core's `HttpClient` sending through an msal transport.
#[derive(Debug, Clone)]
pub struct MsalTransport(pub Arc<dyn HttpClient>);

impl MsalTransport {
    /// The `ClientOptions::transport` value for Azure SDK clients.
    pub fn transport(http: impl HttpClient + 'static) -> Transport {
        Transport::new(Arc::new(Self(Arc::new(http))))
    }
}

#[async_trait::async_trait]
impl AzureHttpClient for MsalTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let body = match request.body() {
            Body::Bytes(bytes) => bytes.to_vec(),
            // Key Vault's secret calls carry JSON bodies; streaming uploads are for Storage.
            Body::SeekableStream(_) => {
                return Err(Error::with_message(
                    ErrorKind::Io,
                    "MsalTransport sends whole bodies only, not streams",
                ));
            }
        };
        let mut builder = http::Request::builder()
            .method(request.method().as_str())
            .uri(request.url().as_str());
        for (name, value) in request.headers().iter() {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let outgoing = builder
            .body(body)
            .map_err(|e| Error::with_error(ErrorKind::DataConversion, e, "invalid request"))?;
        // A transport failure is `Io`, which azure_core's retry policy retries.
        let response = self
            .0
            .send(outgoing)
            .await
            .map_err(|e| Error::new(ErrorKind::Io, e))?;
        let (parts, body) = response.into_parts();
        let mut headers = Headers::new();
        for (name, value) in &parts.headers {
            if let Ok(value) = value.to_str() {
                headers.insert(name.as_str().to_owned(), value.to_owned());
            }
        }
        Ok(AsyncRawResponse::from_bytes(
            StatusCode::from(parts.status.as_u16()),
            headers,
            body,
        ))
    }
}
