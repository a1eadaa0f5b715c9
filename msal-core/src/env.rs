//! The process environment, injected.
//!
//! Region detection (`MSAL_FORCE_REGION`, `REGION_NAME`) and managed-identity source detection
//! read environment variables and a few well-known files. Reading them through [`Env`] lets tests
//! describe a machine without touching the process-wide environment, which is shared by every
//! test thread.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    sync::Arc,
};

/// Where environment variables and well-known files are read from.
///
/// `Debug` shows variable names only: values include managed-identity secrets
/// (`IDENTITY_HEADER`, `MSI_SECRET`).
#[derive(Clone)]
pub struct Env {
    inner: Arc<EnvInner>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.inner {
            EnvInner::Process => f.write_str("Env::Process"),
            EnvInner::Fixed { vars, files } => f
                .debug_struct("Env::Fixed")
                .field("vars", &vars.keys().collect::<Vec<_>>())
                .field("files", files)
                .finish(),
        }
    }
}

enum EnvInner {
    Process,
    Fixed {
        vars: BTreeMap<String, String>,
        files: BTreeSet<PathBuf>,
    },
}

impl Default for Env {
    fn default() -> Self {
        Self::process()
    }
}

impl Env {
    /// The real process environment and file system.
    pub fn process() -> Self {
        Self {
            inner: Arc::new(EnvInner::Process),
        }
    }

    /// A fixed set of variables and no files.
    ///
    /// ```
    /// let env = msal_core::Env::from_vars([("REGION_NAME", "westus2")]);
    /// assert_eq!(env.var("REGION_NAME").as_deref(), Some("westus2"));
    /// assert_eq!(env.var("HOME"), None);
    /// ```
    pub fn from_vars<I, K, V>(vars: I) -> Env
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            inner: Arc::new(EnvInner::Fixed {
                vars: vars
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
                files: BTreeSet::new(),
            }),
        }
    }

    /// Adds a file that [`file_exists`](Self::file_exists) reports as present (fixed environments
    /// only; the process environment asks the file system).
    pub fn with_file(self, path: impl Into<PathBuf>) -> Env {
        match &*self.inner {
            EnvInner::Process => self,
            EnvInner::Fixed { vars, files } => {
                let mut files = files.clone();
                files.insert(path.into());
                Self {
                    inner: Arc::new(EnvInner::Fixed {
                        vars: vars.clone(),
                        files,
                    }),
                }
            }
        }
    }

    /// A variable's value; empty values count as unset, as MSAL Python treats them.
    pub fn var(&self, name: &str) -> Option<String> {
        let v = match &*self.inner {
            EnvInner::Process => std::env::var(name).ok(),
            EnvInner::Fixed { vars, .. } => vars.get(name).cloned(),
        };
        v.filter(|v| !v.is_empty())
    }

    /// A test hook's value: a variable that only an injected environment
    /// ([`from_vars`](Self::from_vars)) can set. [`process`](Self::process) never has one, so
    /// whoever controls the real process environment cannot turn a hook on in production.
    ///
    /// ```
    /// let env = msal_core::Env::from_vars([("SOME_HOOK_FOR_TESTS", "/tmp/x")]);
    /// assert_eq!(env.test_hook("SOME_HOOK_FOR_TESTS").as_deref(), Some("/tmp/x"));
    /// assert_eq!(msal_core::Env::process().test_hook("PATH"), None);
    /// ```
    pub fn test_hook(&self, name: &str) -> Option<String> {
        match &*self.inner {
            // Fails closed: the process environment is exactly what a hook must not come from.
            EnvInner::Process => None,
            EnvInner::Fixed { vars, .. } => vars.get(name).filter(|v| !v.is_empty()).cloned(),
        }
    }

    /// Whether a well-known file exists (no content is read).
    pub fn file_exists(&self, path: &Path) -> bool {
        match &*self.inner {
            EnvInner::Process => path.exists(),
            EnvInner::Fixed { files, .. } => files.contains(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_names_not_values() {
        let env = Env::from_vars([("IDENTITY_HEADER", "very-secret")]);
        let shown = format!("{env:?}");
        assert!(shown.contains("IDENTITY_HEADER") && !shown.contains("very-secret"));
    }

    #[test]
    fn fixed_env_has_only_its_vars_and_files() {
        let env = Env::from_vars([("A", "1"), ("EMPTY", "")]).with_file("/opt/x");
        assert_eq!(env.var("A").as_deref(), Some("1"));
        assert_eq!(env.var("EMPTY"), None);
        assert!(env.file_exists(Path::new("/opt/x")));
        assert!(!env.file_exists(Path::new("/etc/passwd")));
    }

    #[test]
    fn test_hooks_come_only_from_an_injected_env() {
        let fixed = Env::from_vars([("HOOK", "on"), ("EMPTY", "")]);
        assert_eq!(fixed.test_hook("HOOK").as_deref(), Some("on"));
        assert_eq!(fixed.test_hook("EMPTY"), None);
        // PATH is set in any process that runs tests; it must still not be a hook's value.
        assert!(Env::process().var("PATH").is_some());
        assert_eq!(Env::process().test_hook("PATH"), None);
    }
}
