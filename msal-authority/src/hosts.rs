//! Microsoft's cloud hosts and the suffixes that identify authority kinds.

/// Azure public cloud.
pub const AZURE_PUBLIC: &str = "login.microsoftonline.com";
/// Azure US Government.
pub const AZURE_US_GOVERNMENT: &str = "login.microsoftonline.us";
/// Azure operated by 21Vianet (the old host; kept for parity with MSAL Python).
pub const DEPRECATED_AZURE_CHINA: &str = "login.chinacloudapi.cn";
/// France sovereign cloud.
pub const AZURE_GOV_FR: &str = "login.sovcloud-identity.fr";
/// Germany sovereign cloud.
pub const AZURE_GOV_DE: &str = "login.sovcloud-identity.de";
/// Singapore sovereign cloud.
pub const AZURE_GOV_SG: &str = "login.sovcloud-identity.sg";

/// Hosts MSAL trusts without instance discovery (MSAL Python's `WELL_KNOWN_AUTHORITY_HOSTS`).
pub const WELL_KNOWN_AUTHORITY_HOSTS: &[&str] = &[
    "login.microsoftonline.com",
    "login.microsoft.com",
    "login.windows.net",
    "sts.windows.net",
    "login.chinacloudapi.cn",
    "login.partner.microsoftonline.cn",
    "login.microsoftonline.de",
    "login-us.microsoftonline.com",
    "login.microsoftonline.us",
    "login.usgovcloudapi.net",
    "login.sovcloud-identity.fr",
    "login.sovcloud-identity.de",
    "login.sovcloud-identity.sg",
];

/// Hosts whose regional form is `{region}.login.microsoft.com`.
pub(crate) const PUBLIC_CLOUD_HOSTS: &[&str] = &[
    "login.microsoftonline.com",
    "login.microsoft.com",
    "login.windows.net",
    "sts.windows.net",
];

/// Host suffixes of B2C (and CIAM) authorities.
pub(crate) const B2C_HOST_SUFFIXES: &[&str] = &[
    ".b2clogin.com",
    ".b2clogin.cn",
    ".b2clogin.us",
    ".b2clogin.de",
    ".ciamlogin.com",
];

/// The alias groups Entra's instance discovery returns for the public and national clouds. Used
/// when discovery is not allowed to run, so tokens cached under `login.windows.net` are still
/// found by an app configured with `login.microsoftonline.com`.
pub(crate) const KNOWN_ALIAS_GROUPS: &[&[&str]] = &[
    &[
        "login.microsoftonline.com",
        "login.windows.net",
        "login.microsoft.com",
        "sts.windows.net",
    ],
    &["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
    &["login.microsoftonline.de"],
    &["login.microsoftonline.us", "login.usgovcloudapi.net"],
    &["login-us.microsoftonline.com"],
];

/// Whether `host` is a well-known Microsoft authority host.
pub fn is_well_known(host: &str) -> bool {
    WELL_KNOWN_AUTHORITY_HOSTS.contains(&host)
}
