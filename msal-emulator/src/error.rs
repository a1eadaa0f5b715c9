//! The one error type of the emulator's own API (starting it, generating its keys).

use std::fmt;

/// Why the emulator could not start or perform an operation.
///
/// Request-level failures are never surfaced here: the emulator answers them on the wire with
/// Entra-style JSON errors, as the real service does.
#[derive(Debug)]
#[non_exhaustive]
pub enum EmulatorError {
    /// Binding or configuring a listening socket failed.
    Io(std::io::Error),
    /// Generating keys or certificates failed.
    Crypto(String),
    /// Setting up TLS failed.
    Tls(String),
    /// The configuration is inconsistent (for example, a duplicate client id).
    Config(String),
}

impl fmt::Display for EmulatorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "emulator I/O error: {e}"),
            Self::Crypto(m) => write!(f, "emulator key or certificate generation failed: {m}"),
            Self::Tls(m) => write!(f, "emulator TLS setup failed: {m}"),
            Self::Config(m) => write!(f, "invalid emulator configuration: {m}"),
        }
    }
}

impl std::error::Error for EmulatorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for EmulatorError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}
