//! The dependency rule of the design: protocol crates never depend on a transport, a TLS stack,
//! tokio networking or Azure SDK's core, so they stay usable with any HTTP client and any runtime.
//!
//! Read from `cargo metadata` (the resolved graph), not from grepping manifests, so a forbidden
//! crate arriving through a transitive dependency is caught too.

use std::{
    collections::{BTreeSet, HashMap, VecDeque},
    path::Path,
    process::Command,
};

use serde_json::Value;

/// Crates that must stay transport- and TLS-free.
const PROTOCOL_CRATES: &[&str] = &[
    "msal-core",
    "msal-authority",
    "msal-cache",
    "msal-pop",
    "msal-managed-identity",
];

/// What they must never reach through normal (non-dev) dependencies.
const FORBIDDEN: &[&str] = &[
    "reqwest",
    "hyper",
    "hyper-util",
    "hyper-rustls",
    "h2",
    "rustls",
    "tokio-rustls",
    "native-tls",
    "openssl",
    "openssl-sys",
    "aws-lc-rs",
    "aws-lc-sys",
    "ring",
    // Azure SDK's credential trait belongs in the facade (`msal::azure`, feature `azure-core`):
    // the protocol crates stay usable without Azure SDK's dependency tree.
    "azure_core",
    "typespec_client_core",
];

/// tokio features that mean networking.
const TOKIO_NETWORKING: &[&str] = &["net", "full"];

pub(crate) fn check(root: &Path) -> Result<(), String> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--all-features"])
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let meta: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata output: {e}"))?;
    let violations = violations(&meta)?;
    if violations.is_empty() {
        eprintln!(
            "    protocol crates are free of transports and TLS: {}",
            PROTOCOL_CRATES.join(", ")
        );
        Ok(())
    } else {
        Err(format!(
            "dependency rule broken:\n  {}",
            violations.join("\n  ")
        ))
    }
}

fn name_of(packages: &HashMap<&str, &Value>, id: &str) -> String {
    packages
        .get(id)
        .and_then(|p| p["name"].as_str())
        .unwrap_or(id)
        .to_owned()
}

fn violations(meta: &Value) -> Result<Vec<String>, String> {
    let packages: HashMap<&str, &Value> = meta["packages"]
        .as_array()
        .ok_or("no packages in cargo metadata")?
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let nodes: HashMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .ok_or("no resolve graph in cargo metadata")?
        .iter()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let mut found = Vec::new();
    for krate in PROTOCOL_CRATES {
        let Some((start, pkg)) = packages
            .iter()
            .find(|(_, p)| p["name"] == *krate && p["source"].is_null())
        else {
            return Err(format!("{krate} is not in the workspace"));
        };
        // Declared tokio features.
        for dep in pkg["dependencies"].as_array().into_iter().flatten() {
            if dep["name"] == "tokio" && dep["kind"].is_null() {
                for f in dep["features"].as_array().into_iter().flatten() {
                    if let Some(f) = f.as_str().filter(|f| TOKIO_NETWORKING.contains(f)) {
                        found.push(format!("{krate} enables tokio feature `{f}`"));
                    }
                }
            }
        }
        // Transitive normal dependencies, with the path that reaches each forbidden crate.
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([(start.to_string(), vec![krate.to_string()])]);
        while let Some((id, path)) = queue.pop_front() {
            if !seen.insert(id.clone()) {
                continue;
            }
            let Some(node) = nodes.get(id.as_str()) else {
                continue;
            };
            for dep in node["deps"].as_array().into_iter().flatten() {
                let normal = dep["dep_kinds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|k| k["kind"].is_null());
                let Some(dep_id) = dep["pkg"].as_str() else {
                    continue;
                };
                if !normal {
                    continue;
                }
                let name = name_of(&packages, dep_id);
                let mut next = path.clone();
                next.push(name.clone());
                if FORBIDDEN.contains(&name.as_str()) {
                    found.push(format!("{krate} reaches {name}: {}", next.join(" -> ")));
                    continue;
                }
                queue.push_back((dep_id.to_owned(), next));
            }
        }
    }
    Ok(found)
}
