//! Opening the sign-in page: the [`BrowserOpener`] hook and the default [`SystemBrowser`].

use std::{fmt, io, process::Command};

/// The user interface about to be shown, passed to `on_before_launching_ui`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ui {
    /// The system browser (MSAL Python's `ui="browser"`).
    Browser,
}

/// Opens a URL for the user. Implement it to use a specific browser, an embedded web view, or to
/// drive the sign-in page in tests.
///
/// `open` is called once per sign-in, on the task running the request: it must return promptly
/// (launch the browser and return, as a real browser does) rather than wait for the sign-in.
pub trait BrowserOpener: Send + Sync + fmt::Debug {
    /// Opens `url`. After an error the request calls `on_auth_uri` with the URL, or, when none
    /// is set, prints it on stderr for the user to open elsewhere; either way it keeps waiting
    /// for the answer until its timeout (MSAL Python's behaviour without a browser).
    fn open(&self, url: &str) -> io::Result<()>;
}

/// The platform's default browser, through the `webbrowser` crate (which honours `$BROWSER`),
/// then `wslview` and `explorer.exe` on WSL, as MSAL Python does.
#[derive(Debug, Clone, Copy, Default)]
#[expect(clippy::exhaustive_structs, reason = "a unit value apps name directly")]
pub struct SystemBrowser;

impl SystemBrowser {
    /// The system browser.
    pub fn new() -> Self {
        Self
    }
}

impl BrowserOpener for SystemBrowser {
    fn open(&self, url: &str) -> io::Result<()> {
        check_url(url)?;
        let first = webbrowser::open(url);
        if first.is_ok() {
            return Ok(());
        }
        if is_wsl() {
            // WSL has no Linux browser more often than not; the Windows one is reachable through
            // these helpers. explorer.exe exits with 1 even when it opened the URL.
            for (program, ok_codes) in [("wslview", &[0][..]), ("explorer.exe", &[0, 1][..])] {
                if let Ok(status) = Command::new(program).arg(url).status()
                    && status.code().is_some_and(|c| ok_codes.contains(&c))
                {
                    return Ok(());
                }
            }
        }
        first
    }
}

/// Only http(s) URLs without control characters go to a browser: the URL ends up on a command
/// line on some platforms, and a CR/LF/TAB there could smuggle extra arguments.
fn check_url(url: &str) -> io::Result<()> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "only http and https URLs are opened",
        ));
    }
    if url.chars().any(char::is_control) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the URL contains control characters",
        ));
    }
    Ok(())
}

/// Whether this is Linux running under the Windows Subsystem for Linux.
fn is_wsl() -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    std::env::var_os("WSL_DISTRO_NAME").is_some()
        || std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .is_ok_and(|r| r.to_ascii_lowercase().contains("microsoft"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_are_opened() {
        assert!(check_url("https://login.example/authorize?x=1").is_ok());
        assert!(check_url("HTTP://localhost:1234").is_ok());
        assert!(check_url("file:///etc/passwd").is_err());
        assert!(check_url("javascript:alert(1)").is_err());
        assert!(check_url("https://a.example/\r\n--arg").is_err());
        assert!(check_url("https://a.example/\tx").is_err());
        assert!(check_url("").is_err());
    }
}
