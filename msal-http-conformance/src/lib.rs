#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![expect(
    clippy::exhaustive_structs,
    clippy::exhaustive_enums,
    reason = "a test suite: its options and scripted replies are built field by field"
)]
// A test harness reports failures by panicking, and its inputs are all generated here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod checks;
pub mod pki;
pub mod server;

use std::{net::SocketAddr, time::Duration};

/// What a check asks of the client under test; the factory maps each field to the backend's
/// builder method of the same name.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// `add_root_certificate_pem`: a CA to trust on top of the built-in roots.
    pub extra_root_pem: Option<Vec<u8>>,
    /// `timeout`: the default whole-request timeout.
    pub timeout: Option<Duration>,
    /// `max_response_bytes`: the default body limit.
    pub max_response_bytes: Option<usize>,
    /// `resolve`: send this host name to this address.
    pub resolve: Option<(String, SocketAddr)>,
}

/// Expands to one `#[tokio::test]` per check, each calling the check with `$factory`, a closure
/// `Fn(ClientOptions) -> Result<impl HttpClient, msal_core::Error>`.
///
/// The calling crate needs `tokio` with the `macros` and `rt-multi-thread` features.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests!(@each $factory;
            post_form_round_trips,
            error_status_is_a_response,
            redirect_is_returned_not_followed,
            oversize_body_with_content_length_is_body_too_large,
            endless_chunked_body_is_body_too_large,
            body_at_the_limit_is_returned,
            builder_body_limit_applies,
            connection_refused_is_connect,
            connect_failure_names_host_and_port,
            request_timeout_is_honoured,
            builder_timeout_applies,
            unknown_ca_is_tls,
            pinned_certificate_is_accepted,
            wrong_pin_is_tls,
            plain_http_to_loopback_works,
            resolve_overrides_dns,
            errors_do_not_leak_query_or_body,
        );
    };
    (@each $factory:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                $crate::checks::$check($factory).await;
            }
        )*
    };
}
