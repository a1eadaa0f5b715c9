//! OpenID Connect `prompt` and OAuth `response_mode` values.

use serde::{Deserialize, Serialize};

/// The `prompt` parameter of an authorization request (Python's `msal.Prompt`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    /// Show the account picker.
    SelectAccount,
    /// No UI at all; fail if interaction is needed.
    None,
    /// Ask for consent even if already granted.
    Consent,
    /// Ask for credentials even if a session exists.
    Login,
    /// Offer sign-up.
    Create,
}

impl Prompt {
    /// The wire value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::SelectAccount => "select_account",
            Self::None => "none",
            Self::Consent => "consent",
            Self::Login => "login",
            Self::Create => "create",
        }
    }
}

/// How the authorization server returns the response to the redirect URI.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    /// In the query string of a GET.
    Query,
    /// In the body of a POST (keeps the code out of logs and history).
    FormPost,
    /// In the URL fragment (SPAs).
    Fragment,
}

impl ResponseMode {
    /// The wire value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::FormPost => "form_post",
            Self::Fragment => "fragment",
        }
    }
}
