//! Tests that could not run, counted and named.
//!
//! nextest shows a skipping test as passed and hides its output, so a test that cannot run
//! (no `redis-server`, no chromium) records itself with `msal_test_support::skip_or_fail` in
//! the file `MSAL_SKIPPED_TESTS_LOG` names; `cargo xtask test` points that at
//! `target/skipped-tests.log`, empties it first, and reads it back for the closing summary.

use std::path::{Path, PathBuf};

/// The log file under the workspace's `target/`.
pub(crate) fn log_path(root: &Path) -> PathBuf {
    root.join("target").join("skipped-tests.log")
}

/// Empties the log before a run.
pub(crate) fn reset(root: &Path) -> Result<(), String> {
    let path = log_path(root);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&path, "").map_err(|e| format!("{}: {e}", path.display()))
}

/// The skipped tests recorded since [`reset`], one line each, deduplicated, plus the steps
/// xtask itself skipped.
pub(crate) fn collect(root: &Path, own: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_to_string(log_path(root))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .chain(own.iter().cloned())
        .collect();
    lines.sort();
    lines.dedup();
    lines
}
