//! The shared backend conformance suite, run against `ReqwestClient`.

use msal_http_conformance::ClientOptions;
use msal_http_reqwest::ReqwestClient;

fn build(options: ClientOptions) -> Result<ReqwestClient, msal_core::Error> {
    let mut builder = ReqwestClient::builder();
    if let Some(pem) = &options.extra_root_pem {
        builder = builder.add_root_certificate_pem(pem)?;
    }
    if let Some(timeout) = options.timeout {
        builder = builder.timeout(timeout);
    }
    if let Some(limit) = options.max_response_bytes {
        builder = builder.max_response_bytes(limit);
    }
    if let Some((host, addr)) = options.resolve {
        builder = builder.resolve(host, addr);
    }
    builder.build()
}

msal_http_conformance::conformance_tests!(build);
