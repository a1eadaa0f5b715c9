//! `cargo xtask interop`: the real proof of cache compatibility. MSAL Python 1.39.0, installed
//! from PyPI into a private venv, reads a cache that msal-rs wrote and must answer from it.

use std::{path::Path, process::Command};

pub(crate) fn run(root: &Path) -> Result<(), String> {
    let python = ensure_msal_python(root)?;
    crate::step("MSAL Python 1.39.0 reads a cache msal-rs wrote", {
        let mut c = crate::cargo();
        c.args(["run", "--quiet", "-p", "msal", "--example", "interop", "--"])
            .arg(&python)
            .arg(root.join("xtask").join("interop").join("read_cache.py"));
        c
    })
}

/// `cargo xtask bench --vs-python`: msal-rs and MSAL Python 1.39.0 on the same cache files at
/// 20, 2k, 20k and 200k tokens, in one run (`msal/examples/vs_python.rs` says what is timed).
/// `--sizes 20,2000` measures only those sizes.
pub(crate) fn vs_python(root: &Path, sizes: Option<&str>) -> Result<(), String> {
    let python = ensure_msal_python(root)?;
    let interop = root.join("xtask").join("interop");
    crate::step(
        "msal-rs vs MSAL Python: deserialize, serialize, cache hits, peak memory",
        {
            let mut c = crate::cargo();
            c.args([
                "run",
                "--quiet",
                "--release",
                "-p",
                "msal",
                "--example",
                "vs_python",
                "--",
            ])
            .arg(&python)
            .arg(interop.join("bench_sizes.py"));
            c.args(sizes);
            c
        },
    )
}

/// A venv with msal==1.39.0, made on first use.
fn ensure_msal_python(root: &Path) -> Result<std::path::PathBuf, String> {
    let venv = root.join("target").join("interop-venv");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        crate::step("create a venv for MSAL Python", {
            let mut c = Command::new("python3");
            c.args(["-m", "venv"]).arg(&venv);
            c
        })?;
    }
    let has_msal = Command::new(&python)
        .args([
            "-c",
            "import msal, sys; sys.exit(0 if msal.__version__ == '1.39.0' else 1)",
        ])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !has_msal {
        pip_install(&python, &["msal==1.39.0"])?;
    }
    Ok(python)
}

/// Whether python3 is available (interop is skipped, loudly, without it).
pub(crate) fn python_available() -> bool {
    // The venv module and ensurepip: Debian splits them into python3-venv.
    Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A venv with msal-extensions 1.3.1 that sees PyGObject and libsecret's GObject bindings
/// (Debian's `python3-gi`, `gir1.2-secret-1`), for the keyring store's test against
/// msal-extensions' `LibsecretPersistence`. PyGObject is not pip-installable without a C
/// toolchain and GNOME headers, so the venv is made from the system Python with
/// `--system-site-packages`. `None` (and a line on stderr) when no such Python exists; the test
/// then reports itself as not run.
pub(crate) fn msal_extensions_python(root: &Path) -> Option<std::path::PathBuf> {
    let system = ["/usr/bin/python3", "python3"].into_iter().find(|python| {
        imports(
            Path::new(python),
            "import gi; gi.require_version('Secret', '1')",
        )
    })?;
    let venv = root.join("target").join("keyring-interop-venv");
    let python = venv.join("bin").join("python");
    let check = "import gi, msal, msal_extensions, sys; \
                 sys.exit(0 if (msal.__version__, msal_extensions.__version__) == ('1.39.0', '1.3.1') else 1)";
    if imports(&python, check) {
        return Some(python);
    }
    let made = crate::step(
        "create a venv for msal-extensions with the system PyGObject",
        {
            let mut c = Command::new(system);
            c.args(["-m", "venv", "--system-site-packages"]).arg(&venv);
            c
        },
    )
    .and_then(|()| pip_install(&python, &["msal==1.39.0", "msal-extensions==1.3.1"]));
    match made {
        Ok(()) if imports(&python, check) => Some(python),
        _ => {
            eprintln!("==> no Python with msal-extensions 1.3.1 and PyGObject");
            None
        }
    }
}

/// `pip install` of exact versions into the venv of `python`, as a named step.
fn pip_install(python: &Path, packages: &[&str]) -> Result<(), String> {
    crate::step(&format!("pip install {}", packages.join(" ")), {
        let mut c = Command::new(python);
        c.args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(packages);
        c
    })
}

fn imports(python: &Path, code: &str) -> bool {
    Command::new(python)
        .args(["-c", code])
        .output()
        .is_ok_and(|o| o.status.success())
}
