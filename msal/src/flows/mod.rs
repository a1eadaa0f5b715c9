//! One module per flow; each defines the request builder its app method returns.

pub(crate) mod accounts;
pub(crate) mod auth_code;
pub(crate) mod client_credentials;
pub(crate) mod device_code;
pub(crate) mod legacy_auth_code;
pub(crate) mod obo;
pub(crate) mod pop;
pub(crate) mod refresh_token;
pub(crate) mod silent;
pub(crate) mod user_fic;
pub(crate) mod username_password;
