//! `cargo xtask fuzz [--minutes N]`: a long property-test campaign over every parser of outside
//! input, on stable Rust.
//!
//! The property suites that `cargo xtask test` runs with a few hundred cases each are run here
//! in release mode, round after round, each round with `PROPTEST_CASES` cases per property and
//! fresh random seeds (proptest draws a new seed per run), until the time budget is spent
//! (default 10 minutes). A failure stops the campaign; proptest prints the shrunk input and
//! records it under the crate's `proptest-regressions/`, so the next `cargo xtask test` replays
//! it.

use std::{
    process::Command,
    time::{Duration, Instant},
};

/// The suites: package and the `cargo test` target arguments that select its properties.
const SUITES: &[(&str, &[&str])] = &[
    ("msal-core", &["--test", "parsers_never_panic"]),
    ("msal-core", &["--lib", "credential::x509"]),
    ("msal-cache", &["--test", "deserialize_props"]),
    ("msal-pop", &["--test", "props"]),
    ("msal-authority", &["--lib", "authority::tests"]),
    ("msal-managed-identity", &["--lib", "props"]),
    ("msal", &["--lib", "props"]),
];

/// Cases per property per round: large enough that a round is mostly testing, not process
/// start-up, small enough that a 10-minute campaign runs several rounds with new seeds.
const CASES_PER_ROUND: &str = "20000";

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let minutes = match args.iter().position(|a| a == "--minutes") {
        Some(i) => args
            .get(i + 1)
            .and_then(|m| m.parse::<u64>().ok())
            .ok_or("--minutes needs a whole number")?,
        None => 10,
    };
    let budget = Duration::from_secs(minutes * 60);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Build every suite first so the budget is spent testing.
    for (package, target) in SUITES {
        let status = Command::new(&cargo)
            .args([
                "test",
                "--release",
                "--all-features",
                "--no-run",
                "-p",
                package,
            ])
            .args(target.iter().take(2))
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("building the {package} properties failed"));
        }
    }
    let start = Instant::now();
    let mut rounds = 0u32;
    while start.elapsed() < budget {
        rounds += 1;
        for (package, target) in SUITES {
            eprintln!(
                "==> fuzz round {rounds}: {package} {} ({:.0?} of {minutes} min)",
                target.join(" "),
                start.elapsed()
            );
            let status = Command::new(&cargo)
                .args([
                    "test",
                    "--release",
                    "--all-features",
                    "--quiet",
                    "-p",
                    package,
                ])
                .args(*target)
                .env("PROPTEST_CASES", CASES_PER_ROUND)
                .status()
                .map_err(|e| e.to_string())?;
            if !status.success() {
                return Err(format!(
                    "a property of {package} failed in round {rounds}; the shrunk input is above"
                ));
            }
            if start.elapsed() >= budget {
                break;
            }
        }
    }
    eprintln!(
        "==> fuzz: {rounds} round(s) in {:.0?}, {CASES_PER_ROUND} cases per property per round, no failure",
        start.elapsed()
    );
    Ok(())
}
