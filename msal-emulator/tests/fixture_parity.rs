//! Replays the request shapes MSAL Python 1.39.0 sent (`fixtures/msal-python-1.39.0-requests.json`)
//! and checks the emulator answers with the status the fixture service gave, and that the request
//! log records the same header names (case included) and form keys, as wire-parity tests need.
// Helpers outside #[test] functions unwrap too: a failed setup should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Request, http, https, start};
use msal_emulator::{Emulator, EmulatorConfig, ids};
use serde_json::Value;

fn fixture() -> Value {
    Value::Object(msal_test_support::fixtures::python_requests())
}

/// A value for a key the fixture leaves out (secrets, ids, random values).
fn filler(flow: &str, key: &str) -> String {
    let client = if flow.starts_with("cc_") || flow.starts_with("fault_") {
        ids::CONFIDENTIAL_CLIENT_ID
    } else {
        ids::PUBLIC_CLIENT_ID
    };
    let defaults = EmulatorConfig::default();
    match key {
        "client_id" if flow == "mi_app_service" => ids::MI_APP_SERVICE_CLIENT_ID.to_owned(),
        "client_id" if flow.starts_with("mi_") => ids::MI_IMDS_CLIENT_ID.to_owned(),
        "clientid" => ids::MI_ML_CLIENT_ID.to_owned(),
        "X-IDENTITY-HEADER" => defaults.app_service_identity_header,
        "secret" => defaults.ml_secret,
        "client_id" => client.to_owned(),
        "client_secret" => ids::CONFIDENTIAL_CLIENT_SECRET.to_owned(),
        "username" => ids::USER_UPN.to_owned(),
        "password" if flow.ends_with("_wrong") => "not-the-password".to_owned(),
        "password" => ids::USER_PASSWORD.to_owned(),
        "resource" => ids::MI_RESOURCE.to_owned(),
        "client-request-id" | "x-ms-client-request-id" => {
            "9b5b2c7e-0000-4000-8000-000000000001".to_owned()
        }
        "X-AnchorMailbox" => format!("upn:{}", ids::USER_UPN),
        other => format!("filler-{other}"),
    }
}

fn build(flow: &str, entry: &Value) -> Request {
    let values = &entry["values"];
    let value = |key: &str| {
        values
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| filler(flow, key))
    };
    let path = entry["path"].as_str().unwrap();
    let query: Vec<(String, String)> = entry["query_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .map(|k| (k.to_owned(), value(k)))
        .collect();
    let target = if query.is_empty() {
        path.to_owned()
    } else {
        let q = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&query)
            .finish();
        format!("{path}?{q}")
    };
    let mut req = match entry["method"].as_str().unwrap() {
        "POST" => {
            let mut r = Request::post_form(target, &[]);
            r.form = Some(
                entry["form_keys"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k.as_str().unwrap())
                    .map(|k| (k.to_owned(), value(k)))
                    .collect(),
            );
            r
        }
        _ => Request::get(target),
    };
    for name in entry["headers"].as_array().unwrap() {
        let name = name.as_str().unwrap();
        // The test client writes Content-Type itself for forms.
        if name != "Content-Type" {
            req = req.header(name, &value(name));
        }
    }
    req
}

async fn replay(emu: &Emulator, flow: &str, fixture: &Value) {
    for entry in fixture[flow].as_array().unwrap() {
        emu.clear_requests();
        let req = build(flow, entry);
        let resp = match entry["endpoint"].as_str().unwrap() {
            "imds" | "appservice" | "ml" => http(emu, req).await,
            _ => https(emu, req).await,
        }
        .unwrap();
        let expected = entry["status"].as_u64().unwrap();
        assert_eq!(u64::from(resp.status), expected, "{flow}: {}", resp.text());

        let logged = emu.requests().pop().unwrap();
        let mut names: Vec<&str> = logged
            .headers
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !["Host", "Content-Length", "Connection"].contains(k))
            .collect();
        names.sort_unstable();
        let mut fixture_names: Vec<&str> = entry["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        fixture_names.sort_unstable();
        assert_eq!(names, fixture_names, "{flow}: header names");
        let form_keys: Vec<String> = entry["form_keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(logged.form_keys(), form_keys, "{flow}: form keys");
    }
}

#[tokio::test]
async fn msal_python_request_shapes_get_the_fixture_statuses() {
    let fixture = fixture();
    let emu = start().await;
    for flow in [
        "cc_secret",
        "username_password",
        "username_password_wrong",
        "mi_imds_system",
        "mi_imds_user_assigned",
        "mi_app_service",
        "mi_machine_learning",
    ] {
        replay(&emu, flow, &fixture).await;
    }
}
