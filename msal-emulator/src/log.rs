//! The request log tests read for wire-parity assertions.

/// One request the emulator received, with the status it answered (0 when the connection was
/// dropped by a fault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// HTTP method.
    pub method: String,
    /// `Host` header (regional hosts show up here).
    pub host: Option<String>,
    /// Path without the query.
    pub path: String,
    /// Query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// Form body parameters, decoded, in order (empty unless a form was posted).
    pub form: Vec<(String, String)>,
    /// Headers in the order and name case they were sent.
    pub headers: Vec<(String, String)>,
    /// Status answered.
    pub status: u16,
}

impl LoggedRequest {
    /// The first query parameter named `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        find(&self.query, name)
    }

    /// The first form parameter named `name`.
    pub fn form_param(&self, name: &str) -> Option<&str> {
        find(&self.form, name)
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Sorted form keys (the shape `fixtures/msal-python-1.39.0-requests.json` records).
    pub fn form_keys(&self) -> Vec<String> {
        sorted_keys(&self.form)
    }

    /// Sorted query keys.
    pub fn query_keys(&self) -> Vec<String> {
        sorted_keys(&self.query)
    }
}

fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn sorted_keys(pairs: &[(String, String)]) -> Vec<String> {
    let mut keys: Vec<String> = pairs.iter().map(|(k, _)| k.clone()).collect();
    keys.sort();
    keys.dedup();
    keys
}
