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
        crate::step("pip install msal==1.39.0", {
            let mut c = Command::new(&python);
            c.args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "msal==1.39.0",
            ]);
            c
        })?;
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
