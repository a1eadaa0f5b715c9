//! The dependency rule of the design: protocol crates never depend on a transport, a TLS stack,
//! tokio networking or Azure SDK's core, so they stay usable with any HTTP client and any runtime.
//!
//! Read from `cargo tree` per crate (the graph a build of that crate resolves), not from
//! grepping manifests, so a forbidden crate arriving through a transitive dependency is caught
//! too.

use std::{
    collections::{BTreeSet, HashMap},
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

fn violations(meta: &Value) -> Result<Vec<String>, String> {
    let packages: HashMap<&str, &Value> = meta["packages"]
        .as_array()
        .ok_or("no packages in cargo metadata")?
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let mut found = Vec::new();
    for krate in PROTOCOL_CRATES {
        let Some((_, pkg)) = packages
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
        // Transitive normal dependencies, resolved for this crate alone with all its features,
        // as a user's build resolves them. (`cargo metadata`'s graph unifies features across
        // the whole workspace, dev-dependencies included, and so reports edges no build of the
        // crate has.)
        for name in normal_dependencies(krate)? {
            if FORBIDDEN.contains(&name.as_str()) {
                found.push(format!(
                    "{krate} reaches {name} (see `cargo tree -p {krate} --all-features -e normal -i {name}`)"
                ));
            }
        }
    }
    Ok(found)
}

/// The names of every crate `krate` depends on through normal dependencies, with all of its
/// features on.
fn normal_dependencies(krate: &str) -> Result<BTreeSet<String>, String> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "tree",
            "-p",
            krate,
            "--all-features",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo tree -p {krate} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != krate)
        .map(str::to_owned)
        .collect())
}
