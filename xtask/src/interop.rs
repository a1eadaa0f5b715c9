//! `cargo xtask interop`: the real proof of cache compatibility. MSAL Python 1.39.0, installed
//! from PyPI into a private venv, reads a cache that msal-rs wrote and must find the same
//! account and tokens.

use std::{path::Path, process::Command};

pub(crate) fn run(root: &Path) -> Result<(), String> {
    let venv = root.join("target").join("interop-venv");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        crate::step("create venv", {
            let mut c = Command::new("python3");
            c.args(["-m", "venv"]).arg(&venv);
            c
        })?;
    }
    let has_msal = Command::new(&python)
        .args(["-c", "import msal, sys; sys.exit(0 if msal.__version__ == '1.39.0' else 1)"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !has_msal {
        crate::step("pip install msal==1.39.0", {
            let mut c = Command::new(&python);
            c.args(["-m", "pip", "install", "--quiet", "msal==1.39.0"]);
            c
        })?;
    }
    let cache = root.join("target").join("interop-cache.json");
    crate::step("msal-rs writes a cache", {
        let mut c = crate::cargo();
        c.args(["run", "--quiet", "-p", "msal-cache", "--example", "write_interop_cache", "--"]).arg(&cache);
        c
    })?;
    crate::step("MSAL Python 1.39.0 reads it", {
        let mut c = Command::new(&python);
        c.arg(root.join("xtask").join("interop").join("read_cache.py")).arg(&cache);
        c
    })
}
