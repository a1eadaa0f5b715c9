//! What `cargo xtask test` needs on the machine besides cargo, installed where it can be.
//!
//! The suite drives a real headless Chromium, real `redis-server`s, a real gnome-keyring and
//! MSAL Python in a venv.
//! On a machine without them those tests cannot run, and a test that cannot run must not look
//! like a pass: so this installs what is missing when it can (Debian's packages, as root, which
//! is how CI and a fresh container run), and otherwise prints the exact command. Whatever still
//! could not run is named in the closing summary (see [`crate::skipped`]).

use std::process::{Command, Stdio};

/// One system requirement: how to tell it is there, and the Debian package that brings it.
struct Requirement {
    what: &'static str,
    present: fn() -> bool,
    /// The Debian packages that bring it, separated by spaces.
    package: &'static str,
}

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether `program` is a file on `PATH` (for programs without a `--version`).
fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

const REQUIREMENTS: &[Requirement] = &[
    Requirement {
        what: "redis-server (distributed cache tests)",
        present: || runs("redis-server", &["--version"]),
        package: "redis-server",
    },
    Requirement {
        what: "chromium (the interactive flow in a real browser)",
        present: || {
            ["chromium", "chromium-browser", "google-chrome"]
                .iter()
                .any(|b| runs(b, &["--version"]))
        },
        package: "chromium",
    },
    Requirement {
        what: "gnome-keyring (the Secret Service the keyring store is tested against)",
        present: || runs("gnome-keyring-daemon", &["--version"]),
        package: "gnome-keyring",
    },
    Requirement {
        what: "dbus-run-session (a private session bus for the Secret Service tests)",
        present: || runs("dbus-run-session", &["--version"]),
        package: "dbus",
    },
    Requirement {
        what: "secret-tool (libsecret's client, reading what the keyring store wrote)",
        present: || which("secret-tool"),
        package: "libsecret-tools",
    },
    Requirement {
        what: "PyGObject with libsecret (msal-extensions' LibsecretPersistence, for the interop test)",
        present: || {
            runs(
                "/usr/bin/python3",
                &["-c", "import gi; gi.require_version('Secret', '1')"],
            )
        },
        package: "python3-gi gir1.2-secret-1",
    },
    Requirement {
        what: "pkg-config (the native-tls feature in --all-features builds)",
        present: || runs("pkg-config", &["--version"]),
        package: "pkg-config",
    },
    Requirement {
        what: "OpenSSL headers (the native-tls feature in --all-features builds)",
        present: || std::path::Path::new("/usr/include/openssl/ssl.h").exists(),
        package: "libssl-dev",
    },
    Requirement {
        what: "python3 with venv (the MSAL Python interop check)",
        present: crate::interop::python_available,
        package: "python3-venv",
    },
];

/// Installs the missing requirements with apt-get when running as root on Debian or Ubuntu;
/// otherwise prints the command that would. Never fails: what is still missing shows up as
/// named skipped tests (or as a build error for the OpenSSL headers, with the command above it).
pub(crate) fn ensure_system_packages() {
    let missing: Vec<&Requirement> = REQUIREMENTS.iter().filter(|r| !(r.present)()).collect();
    if missing.is_empty() {
        return;
    }
    let packages: Vec<&str> = missing
        .iter()
        .flat_map(|r| r.package.split_whitespace())
        .collect();
    for r in &missing {
        eprintln!("==> missing: {}", r.what);
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if is_root && runs("apt-get", &["--version"]) {
        eprintln!("==> apt-get install {}", packages.join(" "));
        let updated = Command::new("apt-get")
            .args(["update", "-qq"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success());
        let installed = updated
            && Command::new("apt-get")
                .args(["install", "-y", "-qq"])
                .args(&packages)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status()
                .is_ok_and(|s| s.success());
        if installed {
            return;
        }
        eprintln!("==> apt-get could not install everything");
    }
    eprintln!(
        "==> to run every test, install: sudo apt-get install -y {}\n    \
         (tests that need what is missing are skipped and named at the end)",
        packages.join(" ")
    );
}

/// Installs cargo-nextest when it is missing (`cargo install`, from crates.io).
pub(crate) fn ensure_nextest() -> bool {
    if crate::has_nextest() {
        return true;
    }
    eprintln!("==> cargo install cargo-nextest --locked");
    let installed = crate::cargo()
        .args(["install", "cargo-nextest", "--locked"])
        .status()
        .is_ok_and(|s| s.success());
    installed && crate::has_nextest()
}
