//! Shared helpers for the end-to-end tests: an emulator, a transport, and an `Env` per source.
// Test-only helpers: not every test binary uses every helper.
#![allow(dead_code, unreachable_pub, missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use msal_core::{Env, InstantSleep};
use msal_emulator::{Emulator, EmulatorConfig, LoggedRequest};
use msal_http_reqwest::ReqwestClient;
use msal_managed_identity::{ARC_KEY_DIRECTORY_VAR, ManagedIdentity, ManagedIdentityClient};

pub use msal_emulator::ids;

pub async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default()).await.unwrap()
}

pub async fn emulator_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.unwrap()
}

pub fn http() -> ReqwestClient {
    ReqwestClient::builder().no_proxy().build().unwrap()
}

pub fn imds_env(em: &Emulator) -> Env {
    Env::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", em.http_base_url())])
}

pub fn app_service_env(em: &Emulator) -> Env {
    Env::from_vars([
        ("IDENTITY_ENDPOINT", em.app_service_url()),
        (
            "IDENTITY_HEADER",
            em.config().app_service_identity_header.clone(),
        ),
    ])
}

pub fn ml_env(em: &Emulator) -> Env {
    Env::from_vars([
        ("MSI_ENDPOINT", em.machine_learning_url()),
        ("MSI_SECRET", em.config().ml_secret.clone()),
    ])
}

pub fn cloud_shell_env(em: &Emulator) -> Env {
    Env::from_vars([("MSI_ENDPOINT", em.cloud_shell_url())])
}

pub fn service_fabric_env(em: &Emulator, thumbprint: &str) -> Env {
    Env::from_vars([
        ("IDENTITY_ENDPOINT", em.service_fabric_url()),
        ("IDENTITY_HEADER", em.config().service_fabric_secret.clone()),
        ("IDENTITY_SERVER_THUMBPRINT", thumbprint.to_owned()),
    ])
}

pub fn arc_env(em: &Emulator, key_dir: &Path) -> Env {
    Env::from_vars([
        ("IDENTITY_ENDPOINT", em.arc_url()),
        ("IMDS_ENDPOINT", em.http_base_url()),
        (ARC_KEY_DIRECTORY_VAR, key_dir.display().to_string()),
    ])
}

pub fn client(identity: impl Into<ManagedIdentity>, env: Env) -> ManagedIdentityClient {
    client_builder(identity, env).build()
}

/// The builder behind [`client`], for tests that set more (a clock, a sleep).
pub fn client_builder(
    identity: impl Into<ManagedIdentity>,
    env: Env,
) -> msal_managed_identity::ManagedIdentityClientBuilder {
    ManagedIdentityClient::builder(identity, http())
        .env(env)
        .sleep_impl(InstantSleep)
}

/// The managed-identity requests the emulator logged (path ends with one of the MI paths).
pub fn mi_requests(em: &Emulator) -> Vec<LoggedRequest> {
    em.requests()
        .into_iter()
        .filter(|r| {
            ["/oauth2/token", "/msi/token", "/msi/ml", "/msi/sf"]
                .iter()
                .any(|p| r.path.ends_with(p))
        })
        .collect()
}

/// Header names, lower-cased and sorted (HTTP names are case-insensitive; the `http` crate
/// sends them lower-case), without the transport's own headers.
pub fn header_names(r: &LoggedRequest) -> Vec<String> {
    let mut names: Vec<String> = r
        .headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .filter(|k| {
            !matches!(
                k.as_str(),
                "host" | "content-length" | "connection" | "accept-encoding" | "user-agent"
            )
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The fixture's header names for a flow, lower-cased and sorted.
pub fn fixture_headers(flow: &str) -> Vec<String> {
    let fixture = fixture_request(flow);
    let mut names: Vec<String> = fixture["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_ascii_lowercase())
        .collect();
    names.sort();
    names
}

pub fn fixture_query_keys(flow: &str) -> Vec<String> {
    fixture_request(flow)["query_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect()
}

/// The first request of an `mi_*` flow of MSAL Python's request fixture.
pub fn fixture_request(flow: &str) -> serde_json::Value {
    msal_test_support::fixtures::python_request(flow, 0)
}

/// One scripted answer: status, headers, body.
type Answer = (u16, Vec<(String, String)>, String);

/// A scripted transport: answers requests in order from a list, and records them.
#[derive(Debug, Default, Clone)]
pub struct Scripted {
    answers: std::sync::Arc<std::sync::Mutex<Vec<Answer>>>,
    pub seen: std::sync::Arc<std::sync::Mutex<Vec<msal_core::http::HttpRequest>>>,
}

impl Scripted {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn answer(self, status: u16, headers: &[(&str, &str)], body: impl Into<String>) -> Self {
        self.answers.lock().unwrap().push((
            status,
            headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body.into(),
        ));
        self
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

#[async_trait::async_trait]
impl msal_core::http::HttpClient for Scripted {
    async fn send(
        &self,
        request: msal_core::http::HttpRequest,
    ) -> Result<msal_core::http::HttpResponse, msal_core::http::TransportError> {
        self.seen.lock().unwrap().push(request);
        let mut answers = self.answers.lock().unwrap();
        if answers.is_empty() {
            return Err(msal_core::http::TransportError::new(
                msal_core::http::TransportErrorKind::Connect,
                "no scripted answer left",
            ));
        }
        let (status, headers, body) = answers.remove(0);
        let mut b = http::Response::builder().status(status);
        for (k, v) in headers {
            b = b.header(k, v);
        }
        Ok(b.body(body.into_bytes()).unwrap())
    }
}
