//! `cargo xtask <command>`: the project's automation, in Rust so it runs wherever cargo does.
//!
//! - `test`: everything CI checks (format, lints, feature matrix, dependency rules, tests, docs,
//!   packaging), after installing what the tests need where it can.
//! - `doc [--open]`: the workspace's docs with every feature.
//! - `demo`: starts the embedded emulator and runs every scenario against it.
//! - `bench`: runs the criterion benchmarks and summarises them in `BENCHMARKS.md`.
//! - `interop`: has MSAL Python 1.39.0 read a cache msal-rs wrote (needs python3 and PyPI).
//! - `size`: binary size, crate count and cold build time of a client-credentials program.
//! - `fuzz`: a long property-test campaign over every parser of outside input.

mod deps;
mod fuzz;
mod hygiene;
mod interop;
mod setup;
mod size;
mod skipped;
mod vs_azure;

use std::{
    env,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    time::Instant,
};

/// The facade's features; each must build alone.
const FACADE_FEATURES: &[&str] = &[
    "reqwest",
    "rustls",
    "native-tls",
    "hyper",
    "interactive",
    "pop",
    "managed-identity",
    "persistence",
    "keyring",
    "blocking",
    "azure-core",
    "pkcs12",
    "full",
];

/// The trimmed builds of the smaller crates (the minimal client-credentials build of
/// `cargo xtask size` among them): package and features, with default features off.
const TRIMMED_BUILDS: &[(&str, &str)] = &[
    ("msal-core", ""),
    ("msal-core", "tokio"),
    ("msal-core", "pkcs12"),
    ("msal-http-rustls", ""),
    ("msal-http-hyper", ""),
    ("msal-http-hyper", "webpki-roots"),
    ("msal-http-hyper", "native-roots"),
];

/// The examples `cargo xtask test` runs: package, example, and the features it needs.
const EXAMPLES: &[(&str, &str, &str)] = &[
    ("msal", "daemon", "reqwest"),
    ("msal", "device_code", "reqwest"),
    ("msal", "desktop_interactive", "reqwest,interactive"),
    ("msal", "web_app_hyper", "reqwest"),
    ("msal", "managed_identity", "reqwest,managed-identity"),
    ("msal", "pop", "reqwest,pop"),
    ("msal", "cache_file", "reqwest,persistence"),
    ("msal", "cache_keyring", "reqwest,keyring"),
    ("msal", "azure_keyvault", "reqwest,azure-core"),
    ("msal", "demo", "full"),
    ("msal-axum", "web_app", ""),
];

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("demo") => demo(),
        Some("doc") => doc(args.iter().any(|a| a == "--open")),
        Some("hygiene") => {
            hygiene::no_paths_outside(&root()).and_then(|()| hygiene::docs_are_readmes())
        }
        Some("bench") if args.iter().any(|a| a.starts_with("--vs-")) => vs(&args[1..]),
        Some("bench") => bench(),
        Some("interop") => interop::run(&root()),
        Some("size") => size::run(&root()),
        Some("deps") => deps::check(&root()),
        Some("fuzz") => fuzz::run(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <test [--quick] | demo | doc [--open] | hygiene | bench [--vs-python [--sizes N,N]] [--vs-azure] | interop | size | deps | fuzz [--minutes N]>\n\n\
                 test     everything CI checks (--quick: skip the feature matrix and docs)\n\
                 demo     run every scenario against the embedded emulator\n\
                 doc      the workspace's docs with every feature (--open: in a browser)\n\
                 hygiene  no path leaves the repository; each crate's docs are its README\n\
                 bench    run the criterion benchmarks (--vs-python: MSAL Python on the same caches at\n\
                          20/2k/20k/200k tokens; --vs-azure: azure_identity 1.0's cache hit in-process)\n\
                 interop  MSAL Python 1.39.0 reads a cache written by msal-rs\n\
                 size     binary size, crate count and cold build time of a client-credentials program\n\
                 deps     check that protocol crates never depend on a transport or TLS stack\n\
                 fuzz     property tests of every parser, release mode, many cases, for N minutes (default 10)"
            );
            Err("no command given".into())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives one level below it).
fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

fn cargo() -> Command {
    let mut c = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Runs a step, timing it; fails with the step's name.
fn step(name: &str, mut cmd: Command) -> Result<(), String> {
    eprintln!("==> {name}");
    let start = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("{name}: cannot start: {e}"))?;
    eprintln!("    {name}: {:.1}s", start.elapsed().as_secs_f64());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{name} failed ({status})"))
    }
}

fn has_nextest() -> bool {
    cargo()
        .args(["nextest", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn test(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    let started = Instant::now();
    let root = root();
    // Steps xtask itself could not run, for the closing summary.
    let mut not_run: Vec<String> = Vec::new();

    setup::ensure_system_packages();
    let nextest = setup::ensure_nextest();
    skipped::reset(&root)?;
    let skip_log = skipped::log_path(&root);

    eprintln!("==> repository hygiene");
    hygiene::no_paths_outside(&root)?;
    hygiene::docs_are_readmes()?;

    let mut c = cargo();
    c.args(["fmt", "--all", "--", "--check"]);
    step("cargo fmt --check", c)?;

    step("dependency rules (cargo metadata)", {
        let mut c = cargo();
        c.args(["xtask", "deps"]);
        c
    })?;

    let mut c = cargo();
    c.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]);
    step("cargo clippy -D warnings", c)?;

    // msal-extensions' LibsecretPersistence, for the keyring store's interop test.
    let extensions_python = interop::msal_extensions_python(&root);
    if nextest {
        let mut c = cargo();
        c.args([
            "nextest",
            "run",
            "--workspace",
            "--all-features",
            "--no-fail-fast",
        ]);
        c.env("MSAL_SKIPPED_TESTS_LOG", &skip_log);
        if let Some(python) = &extensions_python {
            c.env("MSAL_EXTENSIONS_PYTHON", python);
        }
        step("cargo nextest run", c)?;
        let mut c = cargo();
        c.args(["test", "--workspace", "--all-features", "--doc"]);
        step("cargo test --doc", c)?;
    } else {
        let mut c = cargo();
        c.args(["test", "--workspace", "--all-features", "--no-fail-fast"]);
        c.env("MSAL_SKIPPED_TESTS_LOG", &skip_log);
        if let Some(python) = &extensions_python {
            c.env("MSAL_EXTENSIONS_PYTHON", python);
        }
        step("cargo test", c)?;
    }

    // Every scenario's example, against the emulator it starts itself.
    for (package, example, features) in EXAMPLES {
        let mut c = cargo();
        c.args(["run", "--quiet", "-p", package, "--example", example]);
        if !features.is_empty() {
            c.args(["--features", features]);
        }
        step(
            &format!("example `{package}::{example}` against the emulator"),
            c,
        )?;
    }

    if interop::python_available() {
        interop::run(&root)?;
    } else {
        not_run.push(
            "interop with MSAL Python 1.39.0: python3 with venv is not installed \
             (apt-get install python3-venv)"
                .into(),
        );
    }

    if !quick {
        let mut c = cargo();
        c.args(["check", "-p", "msal", "--no-default-features"]);
        step("msal with no default features", c)?;
        for feature in FACADE_FEATURES {
            let mut c = cargo();
            c.args([
                "check",
                "-p",
                "msal",
                "--no-default-features",
                "--features",
                feature,
            ]);
            step(&format!("msal with only `{feature}`"), c)?;
        }
        for (package, features) in TRIMMED_BUILDS {
            let mut c = cargo();
            c.args(["check", "-p", package, "--no-default-features"]);
            if !features.is_empty() {
                c.args(["--features", features]);
            }
            step(&format!("{package} with features [{features}] only"), c)?;
        }
        let mut c = cargo();
        c.args(["doc", "--workspace", "--no-deps", "--all-features"]);
        c.env("RUSTDOCFLAGS", "-D warnings");
        step("cargo doc -D warnings", c)?;
        hygiene::package()?;
    }
    let skipped = skipped::collect(&root, &not_run);
    eprintln!(
        "xtask test: all checks passed in {:.0}s; {} test(s) could not run{}",
        started.elapsed().as_secs_f64(),
        skipped.len(),
        if skipped.is_empty() { "" } else { ":" }
    );
    for line in &skipped {
        eprintln!("  - {line}");
    }
    Ok(())
}

fn doc(open: bool) -> Result<(), String> {
    let mut c = cargo();
    c.args(["doc", "--workspace", "--no-deps", "--all-features"]);
    if open {
        c.arg("--open");
    }
    step("cargo doc --all-features", c)
}

fn demo() -> Result<(), String> {
    let mut c = cargo();
    c.args([
        "run",
        "--quiet",
        "-p",
        "msal",
        "--example",
        "demo",
        "--features",
        "full",
    ]);
    step("demo", c)
}

/// `bench --vs-python [--sizes 20,2000] --vs-azure`: the comparisons asked for, in one run.
fn vs(args: &[String]) -> Result<(), String> {
    let root = root();
    if let Some(unknown) = args
        .iter()
        .find(|a| a.starts_with("--vs-") && !["--vs-python", "--vs-azure"].contains(&a.as_str()))
    {
        return Err(format!(
            "unknown comparison {unknown}: --vs-python or --vs-azure"
        ));
    }
    if args.iter().any(|a| a == "--vs-python") {
        let sizes = match args.iter().position(|a| a == "--sizes") {
            Some(i) => Some(
                args.get(i + 1)
                    .filter(|s| !s.starts_with("--"))
                    .ok_or("--sizes needs a list, such as --sizes 20,2000")?,
            ),
            None => None,
        };
        interop::vs_python(&root, sizes.map(String::as_str))?;
    }
    if args.iter().any(|a| a == "--vs-azure") {
        vs_azure::run(&root)?;
    }
    Ok(())
}

fn bench() -> Result<(), String> {
    let mut c = cargo();
    c.args([
        "bench",
        "--workspace",
        "--",
        "--warm-up-time",
        "1",
        "--measurement-time",
        "3",
    ]);
    step("cargo bench", c)?;
    eprintln!(
        "criterion reports are under target/criterion; BENCHMARKS.md records the numbers and the machine"
    );
    Ok(())
}
