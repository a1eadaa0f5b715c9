//! Checks that keep the repository self-contained and its docs from drifting.
//!
//! - No tracked file names a path that leaves the repository: a fresh clone has nothing beside
//!   it, and neither has a crates.io package.
//! - Every crate's README is its crate docs (`#![doc = include_str!("../README.md")]`), so the
//!   two cannot disagree, and every publishable crate tells docs.rs to build all features.
//! - Every publishable crate packages and builds from its packaged files alone
//!   (`cargo package --workspace`), so what users download is what was tested.

use std::{
    path::{Component, Path, PathBuf},
    process::Command,
};

use serde_json::Value;

/// Workspace members from `cargo metadata`: name, directory, whether it is publishable.
fn members() -> Result<Vec<(String, PathBuf, bool)>, String> {
    let out = crate::cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err("cargo metadata failed".into());
    }
    let meta: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata output: {e}"))?;
    let packages = meta["packages"]
        .as_array()
        .ok_or("no packages in metadata")?;
    Ok(packages
        .iter()
        .filter_map(|p| {
            let name = p["name"].as_str()?.to_owned();
            let dir = Path::new(p["manifest_path"].as_str()?)
                .parent()?
                .to_path_buf();
            // `publish = false` is an empty list of registries.
            let publishable = !matches!(&p["publish"], Value::Array(a) if a.is_empty());
            Some((name, dir, publishable))
        })
        .collect())
}

/// Whether `relative`, taken from `base` (a directory inside the repository, given relative to
/// its root), stays inside the repository.
fn stays_inside(base: &Path, relative: &str) -> bool {
    let mut depth: i64 = base.components().count() as i64;
    for part in Path::new(relative).components() {
        match part {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

/// The runs of `../` in a line, each with what follows up to a quote, a space or a bracket.
fn relative_paths(line: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("../") {
        let tail = &rest[i..];
        let end = tail
            .find(['"', '\'', ' ', ')', ']', '`', '>', ','])
            .unwrap_or(tail.len());
        found.push(&tail[..end]);
        rest = &tail[end.max(3)..];
    }
    found
}

/// The folder beside the repository that developers' machines have and a fresh clone does not.
/// Spelled in two pieces so this file does not name it.
const SIBLING_FOLDER: &str = concat!("../", "sha", "red");

/// Tracked text files that name a path outside the repository.
pub(crate) fn no_paths_outside(root: &Path) -> Result<(), String> {
    let out = Command::new("git")
        .current_dir(root)
        .args(["ls-files", "-z"])
        .output()
        .map_err(|e| format!("cannot run git ls-files: {e}"))?;
    if !out.status.success() {
        // Not a git checkout (a crates.io download): nothing to check.
        eprintln!("    (not a git checkout: skipped)");
        return Ok(());
    }
    let mut problems = Vec::new();
    for file in out.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        let file = String::from_utf8_lossy(file).into_owned();
        if file.ends_with("Cargo.lock") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(root.join(&file)) else {
            continue; // binary
        };
        let dir = Path::new(&file).parent().unwrap_or(Path::new(""));
        let crate_dir: PathBuf = Path::new(&file).components().take(1).collect();
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            if line.contains(SIBLING_FOLDER) {
                problems.push(format!("{file}:{}: names {SIBLING_FOLDER}", n + 1));
                continue;
            }
            // Paths joined to CARGO_MANIFEST_DIR start at the crate's directory.
            let near_manifest_dir = lines[n.saturating_sub(3)..=n]
                .iter()
                .any(|l| l.contains("CARGO_MANIFEST_DIR"));
            let base = if near_manifest_dir { &crate_dir } else { dir };
            for path in relative_paths(line) {
                let path = path.trim_start_matches('/');
                if !stays_inside(base, path) {
                    problems.push(format!("{file}:{}: `{path}` leaves the repository", n + 1));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "files name paths outside the repository (a fresh clone has nothing beside it):\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// Each library crate's docs are its README, and publishable crates have docs.rs metadata.
pub(crate) fn docs_are_readmes() -> Result<(), String> {
    let mut problems = Vec::new();
    for (name, dir, publishable) in members()? {
        let lib = dir.join("src").join("lib.rs");
        let Ok(source) = std::fs::read_to_string(&lib) else {
            continue; // a binary-only crate (xtask)
        };
        if !source.contains("#![doc = include_str!(\"../README.md\")]") {
            problems.push(format!(
                "{name}: src/lib.rs does not take its crate docs from README.md \
                 (#![doc = include_str!(\"../README.md\")])"
            ));
        }
        if publishable {
            let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
            if !manifest.contains("[package.metadata.docs.rs]") {
                problems.push(format!(
                    "{name}: no [package.metadata.docs.rs] in Cargo.toml"
                ));
            }
            if !source.contains("#![cfg_attr(docsrs, feature(doc_cfg))]") {
                problems.push(format!(
                    "{name}: no #![cfg_attr(docsrs, feature(doc_cfg))], so docs.rs would not \
                     mark feature-gated items"
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// `cargo package` of every publishable crate, verified: each builds from its packaged files.
pub(crate) fn package() -> Result<(), String> {
    let publishable: Vec<String> = members()?
        .into_iter()
        .filter(|(_, _, publishable)| *publishable)
        .map(|(name, _, _)| name)
        .collect();
    forget_unpacked_packages(&publishable);
    let mut c = crate::cargo();
    c.args(["package", "--allow-dirty", "--no-metadata"]);
    for name in &publishable {
        c.args(["-p", name]);
    }
    crate::step(
        &format!(
            "cargo package: {} crates build from their packaged files",
            publishable.len()
        ),
        c,
    )
}

/// Removes the copies of our crates that earlier `cargo package` runs unpacked into cargo's
/// home. Packaging a workspace serves its crates from a temporary registry named after the
/// checkout's path, and cargo unpacks each `.crate` once per registry and version: a second
/// run from the same path would verify against the sources of the first (seen: a package
/// check failing on code removed since). Only registries without a name (`-<hash>`, the
/// temporary ones) are touched, never crates.io's.
fn forget_unpacked_packages(names: &[String]) {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")));
    let Some(sources) = home.map(|h| h.join("registry").join("src")) else {
        return;
    };
    let Ok(registries) = std::fs::read_dir(&sources) else {
        return;
    };
    for registry in registries.flatten() {
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for name in names {
            let Ok(unpacked) = std::fs::read_dir(registry.path()) else {
                continue;
            };
            for entry in unpacked.flatten() {
                let file_name = entry.file_name();
                let file_name = file_name.to_string_lossy();
                let is_ours = file_name
                    .strip_prefix(name.as_str())
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()));
                if is_ours {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three levels up, built at run time so this file names no path outside the repository.
    fn three_up(rest: &str) -> String {
        format!("{}{rest}", "../".repeat(3))
    }

    #[test]
    fn climbing_above_the_root_is_caught() {
        assert!(stays_inside(Path::new("msal/src"), "../../README.md"));
        assert!(!stays_inside(
            Path::new("msal/src"),
            &three_up("elsewhere/x.json")
        ));
        assert!(!stays_inside(Path::new("msal"), "../../x"));
        assert!(stays_inside(Path::new(""), "docs/x.md"));
    }

    #[test]
    fn relative_paths_are_found_in_code_and_markdown() {
        assert_eq!(
            relative_paths(r#"include_str!("../../README.md")]"#),
            vec!["../../README.md"]
        );
        assert_eq!(relative_paths("see [x](../msal) and"), vec!["../msal"]);
        let line = format!("\"/{}\"", three_up("elsewhere/f.json"));
        assert_eq!(relative_paths(&line), vec![three_up("elsewhere/f.json")]);
    }
}
