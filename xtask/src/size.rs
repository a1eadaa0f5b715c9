//! `cargo xtask size`: what a client-credentials-only program costs to build and ship, on three
//! dependency sets: `msal-core` + `msal-http-hyper` (the minimal build), the facade's defaults,
//! and every feature. Each probe is a throwaway crate built cold (its own target directory) in
//! release mode on one job (as the issue's azure_identity comparison was); the numbers go to
//! BENCHMARKS.md by hand, with the machine.

use std::{fs, path::Path, process::Command, time::Instant};

struct Probe {
    name: &'static str,
    dependencies: String,
    main: &'static str,
}

const MINIMAL_MAIN: &str = r#"
use std::sync::Arc;
use msal_core::{ClientCredential, SystemClock, TokioSleep, credential::AssertionContext,
    token_endpoint::{Form, TokenEndpointClient, TokenEndpointConfig, TokenEndpointRequest, telemetry::ApiId}};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = std::env::args().nth(1).unwrap_or_else(|| "https://login.microsoftonline.com/t/oauth2/v2.0/token".into());
    let http = msal_http_hyper::HyperClient::builder().build()?;
    let client = TokenEndpointClient::new(Arc::new(http), Arc::new(SystemClock), Arc::new(TokioSleep), TokenEndpointConfig::default());
    let mut form = Form::new();
    form.set("client_id", "c").set("grant_type", "client_credentials").set("scope", "https://graph.microsoft.com/.default");
    ClientCredential::secret("s").apply(&mut form, AssertionContext::new("c", endpoint.as_str()), None, &SystemClock, false).await?;
    let result = client.obtain_token(TokenEndpointRequest::new(endpoint, form, ApiId::AcquireTokenForClient, msal_core::token_endpoint::new_correlation_id())).await;
    println!("{}", result.is_ok());
    Ok(())
}
"#;

const FACADE_MAIN: &str = r#"
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = msal::ConfidentialClientApplication::builder("c", msal::ClientCredential::secret("s"))
        .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")?
        .build()?;
    let result = app.acquire_token_for_client(["https://graph.microsoft.com/.default"]).await;
    println!("{}", result.is_ok());
    Ok(())
}
"#;

fn probes(root: &Path) -> Vec<Probe> {
    let path = |c: &str| root.join(c).display().to_string();
    let tokio = r#"tokio = { version = "1", features = ["macros", "rt"] }"#;
    vec![
        Probe {
            name: "minimal (msal-core + msal-http-hyper)",
            dependencies: format!(
                "msal-core = {{ path = {:?}, default-features = false, features = [\"tokio\"] }}\n\
                 msal-http-hyper = {{ path = {:?}, default-features = false, features = [\"webpki-roots\"] }}\n{tokio}\n",
                path("msal-core"),
                path("msal-http-hyper")
            ),
            main: MINIMAL_MAIN,
        },
        Probe {
            name: "facade defaults (reqwest + rustls)",
            dependencies: format!("msal = {{ path = {:?} }}\n{tokio}\n", path("msal")),
            main: FACADE_MAIN,
        },
        Probe {
            name: "facade, every feature but native-tls",
            dependencies: format!(
                "msal = {{ path = {:?}, features = [\"full\"] }}\n{tokio}\n",
                path("msal")
            ),
            main: FACADE_MAIN,
        },
    ]
}

pub(crate) fn run(root: &Path) -> Result<(), String> {
    let base = root.join("target").join("size-probes");
    let mut rows = Vec::new();
    for (i, probe) in probes(root).into_iter().enumerate() {
        let dir = base.join(format!("probe{i}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
        let manifest = format!(
            "[package]\nname = \"probe{i}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n\
             [profile.release]\nstrip = true\n\n[dependencies]\n{}",
            probe.dependencies
        );
        fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
        fs::write(dir.join("src").join("main.rs"), probe.main).map_err(|e| e.to_string())?;
        // Same lock as the workspace, so the probe measures the versions we ship with.
        let _ = fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"));
        let start = Instant::now();
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&dir)
            .args(["build", "--release", "--quiet", "--jobs", "1"])
            .env("CARGO_TARGET_DIR", dir.join("target"))
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("building the {} probe failed", probe.name));
        }
        let seconds = start.elapsed().as_secs_f64();
        let binary = dir.join("target").join("release").join(format!("probe{i}"));
        let size = fs::metadata(&binary).map_err(|e| e.to_string())?.len();
        let tree = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&dir)
            .args([
                "tree",
                "--prefix",
                "none",
                "--edges",
                "normal,build",
                "--format",
                "{p}",
            ])
            .output()
            .map_err(|e| e.to_string())?;
        let mut crates: Vec<String> = String::from_utf8_lossy(&tree.stdout)
            .lines()
            .map(|l| l.trim_end_matches(" (*)").to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        crates.sort();
        crates.dedup();
        rows.push((probe.name, size, crates.len(), seconds));
    }
    println!("\n| build | release binary (stripped) | crates | cold release build |");
    println!("|---|---|---|---|");
    for (name, size, crates, seconds) in rows {
        println!(
            "| {name} | {:.1} MiB | {crates} | {seconds:.0} s |",
            size as f64 / (1024.0 * 1024.0)
        );
    }
    Ok(())
}
