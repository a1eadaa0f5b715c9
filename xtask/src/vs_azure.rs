//! `cargo xtask bench --vs-azure`: msal-rs's client-credentials cache hit against azure_identity
//! 1.0's `ClientSecretCredential::get_token`, directly and with both behind azure_core's
//! `TokenCredential` (`msal::azure::MsalCredential`), measured in one process with the same harnesses
//! (the probe is `xtask/vs_azure/main.rs`). The probe is a throwaway crate under
//! `target/vs-azure`, outside the workspace, so azure_identity never enters our lock file; its
//! first build downloads and compiles azure_identity's tree (a few minutes).

use std::{fs, path::Path, process::Command};

pub(crate) fn run(root: &Path) -> Result<(), String> {
    let dir = root.join("target").join("vs-azure");
    fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    let manifest = format!(
        "[package]\nname = \"vs-azure\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [workspace]\n\n[profile.release]\ndebug = false\n\n[dependencies]\n\
         msal = {{ path = {:?}, features = [\"azure-core\"] }}\nazure_identity = \"=1.0.0\"\nazure_core = \"1\"\n\
         http = \"1\"\nasync-trait = \"0.1\"\n\
         tokio = {{ version = \"1\", features = [\"rt\", \"rt-multi-thread\"] }}\n",
        root.join("msal").display().to_string()
    );
    fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    fs::copy(
        root.join("xtask").join("vs_azure").join("main.rs"),
        dir.join("src").join("main.rs"),
    )
    .map_err(|e| e.to_string())?;
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&dir)
        .args(["run", "--release", "--quiet"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("the azure_identity comparison failed".into());
    }
    eprintln!("BENCHMARKS.md records these numbers with the machine they came from");
    Ok(())
}
