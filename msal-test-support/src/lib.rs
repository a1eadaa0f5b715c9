#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
// Test support: a helper that cannot build its fixture should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::{prelude::*, test_runner::Config};
use serde_json::{Map, Value};

/// A proptest configuration with `cases` cases, unless the `PROPTEST_CASES` environment variable
/// sets the count (how `cargo xtask fuzz` runs long campaigns).
pub fn proptest_config(cases: u32) -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config
}

/// JSON values up to three levels deep: `leaf` values, arrays of values, and objects whose keys
/// come from `field_name` (give it the names the parser reads, plus some noise).
pub fn json_tree(
    leaf: BoxedStrategy<Value>,
    field_name: BoxedStrategy<String>,
) -> impl Strategy<Value = Value> {
    leaf.prop_recursive(3, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((field_name.clone(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// An HTTP response with `status`, the `content-type` and `retry-after` headers when given (and
/// valid as header values; invalid ones are dropped, as no server could send them), and `body`.
///
/// `status` must be within 100..=999.
pub fn http_answer(
    status: u16,
    content_type: Option<&str>,
    retry_after: Option<&str>,
    body: Vec<u8>,
) -> http::Response<Vec<u8>> {
    let mut builder = http::Response::builder().status(status);
    if let Some(ct) = content_type.filter(|c| http::HeaderValue::from_str(c).is_ok()) {
        builder = builder.header("content-type", ct);
    }
    if let Some(ra) = retry_after.filter(|c| http::HeaderValue::from_str(c).is_ok()) {
        builder = builder.header("retry-after", ra);
    }
    builder.body(body).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_header_values_are_dropped() {
        let answer = http_answer(503, Some("bad\nvalue"), Some("5"), Vec::new());
        assert!(answer.headers().get("content-type").is_none());
        assert_eq!(answer.headers()["retry-after"], "5");
    }
}

/// The interop fixtures: caches and request shapes that MSAL Python 1.39.0 and msal-node 7.2.3
/// produced (`fixtures/README.md` in this crate says how each was made). Compiled in, so a test
/// never depends on where it runs from.
pub mod fixtures {
    /// The token cache MSAL Python 1.39.0 serialized after every flow (`indent=4`).
    pub const PYTHON_CACHE: &str = include_str!("../fixtures/msal-python-1.39.0-cache.json");
    /// The token cache msal-node 7.2.3 serialized after its five flows (one line).
    pub const NODE_CACHE: &str = include_str!("../fixtures/msal-node-7.2.3-cache.json");
    /// Per flow, the requests MSAL Python 1.39.0 sent, as the server saw them.
    pub const PYTHON_REQUESTS: &str = include_str!("../fixtures/msal-python-1.39.0-requests.json");

    /// [`PYTHON_REQUESTS`] parsed: flow name to the list of its requests, in order.
    pub fn python_requests() -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(PYTHON_REQUESTS).expect("the request fixture is JSON")
    }

    /// The `index`th request MSAL Python sent in `flow` (`Null` when there is none).
    pub fn python_request(flow: &str, index: usize) -> serde_json::Value {
        python_requests()
            .get(flow)
            .and_then(|requests| requests.get(index))
            .cloned()
            .unwrap_or(serde_json::Value::Null)
    }
}

/// Tests that need a program this machine may lack (redis-server, chromium) call
/// [`skip_or_fail`] instead of passing silently: `cargo xtask test` installs what it can, and
/// names every test that still could not run in its closing summary.
///
/// When the environment variable `require_var` is `1` (CI sets them), a missing program fails
/// the test. Otherwise the test is recorded as skipped: a line on stderr (libtest captures
/// `eprintln!` of passing tests, so it goes straight to the stream) and a line appended to the
/// file named by `MSAL_SKIPPED_TESTS_LOG`, which `cargo xtask test` reads back.
pub fn skip_or_fail(test: &str, missing: &str, install: &str, require_var: &str) {
    use std::io::Write as _;
    if std::env::var(require_var).as_deref() == Ok("1") {
        panic!("{test}: {missing} is not installed and {require_var}=1 ({install})");
    }
    let line = format!("{test}: {missing} is not installed ({install})");
    let _ = writeln!(std::io::stderr(), "\n*** SKIPPED {line} ***\n");
    if let Some(log) = std::env::var_os("MSAL_SKIPPED_TESTS_LOG") {
        // O_APPEND: concurrent test processes each add whole lines.
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
        {
            let _ = writeln!(file, "{line}");
        }
    }
}

/// Whether `program --version` runs and succeeds.
pub fn program_runs(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The Chromium binary on this machine, if any (Debian's `chromium`, Ubuntu's
/// `chromium-browser`, or Google Chrome), for the tests that drive a real browser.
pub fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| program_runs(b))
}
