//! What the emulated tenant contains: users, app registrations, managed identities, and the
//! knobs tests turn (token lifetimes, device-code pacing, injected errors).
//!
//! [`EmulatorConfig::default`] reproduces the identities of `msal-test-support/fixtures/README.md`, so requests
//! and caches captured from MSAL Python line up with what the emulator issues.

use std::fmt;
use std::path::PathBuf;

/// The fixed identities of the interop fixtures, usable without an emulator instance.
pub mod ids {
    /// Tenant id (`tid`, `utid`, cache `realm`).
    pub const TENANT_ID: &str = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490";
    /// The default user's UPN.
    pub const USER_UPN: &str = "alice@contoso.example";
    /// The default user's object id (`oid`, `uid`).
    pub const USER_OID: &str = "cee0e47c-b784-51a3-b4de-b7401e7c5c67";
    /// The default user's display name.
    pub const USER_NAME: &str = "Alice Example";
    /// The default user's password (ROPC).
    pub const USER_PASSWORD: &str = "alice-fake-password-1";
    /// Public client (auth code + PKCE, refresh, device code, ROPC).
    pub const PUBLIC_CLIENT_ID: &str = "00000000-0000-4000-8000-0000000000a1";
    /// Confidential client (client credentials, confidential auth code).
    pub const CONFIDENTIAL_CLIENT_ID: &str = "00000000-0000-4000-8000-0000000000a2";
    /// The confidential client's secret (a fake test value).
    pub const CONFIDENTIAL_CLIENT_SECRET: &str = "a2-fake-client-secret~emulator";
    /// On-behalf-of middle tier (confidential).
    pub const OBO_CLIENT_ID: &str = "00000000-0000-4000-8000-0000000000a3";
    /// The middle tier's secret (a fake test value).
    pub const OBO_CLIENT_SECRET: &str = "a3-fake-client-secret~emulator";
    /// Delegated scope of the sample API.
    pub const USER_SCOPE: &str = "https://api.fake-entra.invalid/Data.Read";
    /// App-only scope of the sample API.
    pub const APP_SCOPE: &str = "https://api.fake-entra.invalid/.default";
    /// Scope the OBO middle tier asks for downstream.
    pub const OBO_DOWNSTREAM_SCOPE: &str = "https://downstream.fake-entra.invalid/.default";
    /// Redirect URI registered for the public and confidential clients.
    pub const REDIRECT_URI: &str = "http://localhost:8400/callback";
    /// Host name of the Key Vault stand-in: the https listener's certificate names
    /// `*.vault.azure.net`, so a client that resolves this name to the emulator's address
    /// reaches it as it would a real vault (see [`crate::Emulator::key_vault_url`]).
    pub const KEY_VAULT_HOST: &str = "emulator.vault.azure.net";
    /// The audience the Key Vault stand-in requires of bearer tokens, as Key Vault does.
    pub const KEY_VAULT_RESOURCE: &str = "https://vault.azure.net";
    /// Resource of the managed-identity fixtures.
    pub const MI_RESOURCE: &str = "https://management.fake-entra.invalid/";
    /// Client id of the system-assigned managed identity (not in the fixtures, which only show null).
    pub const MI_SYSTEM_ASSIGNED_CLIENT_ID: &str = "00000000-0000-4000-8000-0000000000b0";
    /// User-assigned identity used with IMDS in the fixtures.
    pub const MI_IMDS_CLIENT_ID: &str = "00000000-0000-4000-8000-0000000000b1";
    /// User-assigned identity used with App Service in the fixtures.
    pub const MI_APP_SERVICE_CLIENT_ID: &str = "00000000-0000-4000-8000-0000000000b2";
    /// User-assigned identity used with Azure ML in the fixtures.
    pub const MI_ML_CLIENT_ID: &str = "00000000-0000-4000-8000-0000000000b3";
    /// User-assigned identity used with Service Fabric in the fixtures.
    pub const MI_SERVICE_FABRIC_CLIENT_ID: &str = "00000000-0000-4000-8000-0000000000b4";
}

/// A user account of the emulated tenant.
#[derive(Clone)]
pub struct UserConfig {
    /// User principal name (`preferred_username`).
    pub upn: String,
    /// Object id (`oid`, and `uid` in `client_info`).
    pub oid: String,
    /// Display name (`name` claim).
    pub name: String,
    /// Password accepted by the ROPC grant.
    pub password: String,
    /// A federated user: user realm discovery answers `Federated`, and ROPC is refused.
    pub federated: bool,
}

impl UserConfig {
    /// A managed (cloud-only) user.
    pub fn new(
        upn: impl Into<String>,
        oid: impl Into<String>,
        name: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            upn: upn.into(),
            oid: oid.into(),
            name: name.into(),
            password: password.into(),
            federated: false,
        }
    }

    /// Marks the user as federated (its domain is answered as `Federated` by user realm discovery).
    pub fn federated(mut self) -> Self {
        self.federated = true;
        self
    }

    /// The domain part of the UPN, lower-cased.
    pub fn domain(&self) -> String {
        self.upn
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default()
    }
}

impl fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserConfig")
            .field("upn", &self.upn)
            .field("oid", &self.oid)
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .field("federated", &self.federated)
            .finish()
    }
}

/// An app registration.
#[derive(Clone)]
pub struct ClientConfig {
    /// Application (client) id.
    pub client_id: String,
    /// `Some` makes it a confidential client that authenticates with this secret.
    pub secret: Option<String>,
    /// Confidential by certificate: assertions signed with the emulator's generated client
    /// certificate ([`crate::Emulator::client_certificate`]) are accepted.
    pub uses_generated_certificate: bool,
    /// Extra certificates (PEM, RSA keys) whose assertions are accepted.
    pub certificates_pem: Vec<String>,
    /// Redirect URIs accepted besides loopback ones.
    pub redirect_uris: Vec<String>,
    /// Member of the Family of Client IDs: responses carry `foci: "1"` and its refresh tokens
    /// are redeemable by every family member.
    pub foci: bool,
    /// Audiences of tokens this app accepts as an OBO assertion (its client id always counts).
    pub app_id_uris: Vec<String>,
}

impl ClientConfig {
    /// A public client (no credential).
    pub fn public(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            secret: None,
            uses_generated_certificate: false,
            certificates_pem: Vec::new(),
            redirect_uris: vec![ids::REDIRECT_URI.to_owned()],
            foci: false,
            app_id_uris: Vec::new(),
        }
    }

    /// A confidential client authenticating with `secret`.
    pub fn confidential(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            secret: Some(secret.into()),
            ..Self::public(client_id)
        }
    }

    /// Also accept assertions signed by the emulator's generated client certificate.
    pub fn with_generated_certificate(mut self) -> Self {
        self.uses_generated_certificate = true;
        self
    }

    /// Also accept assertions signed by the key of this certificate (PEM, RSA).
    pub fn with_certificate_pem(mut self, pem: impl Into<String>) -> Self {
        self.certificates_pem.push(pem.into());
        self
    }

    /// Registers a redirect URI (loopback URIs are always accepted).
    pub fn with_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uris.push(uri.into());
        self
    }

    /// Puts the client in the Family of Client IDs.
    pub fn in_family(mut self) -> Self {
        self.foci = true;
        self
    }

    /// Accepts OBO assertions whose `aud` is this URI.
    pub fn with_app_id_uri(mut self, uri: impl Into<String>) -> Self {
        self.app_id_uris.push(uri.into());
        self
    }

    /// Whether the client must authenticate at the token endpoint.
    pub fn is_confidential(&self) -> bool {
        self.secret.is_some()
            || self.uses_generated_certificate
            || !self.certificates_pem.is_empty()
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("client_id", &self.client_id)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field(
                "uses_generated_certificate",
                &self.uses_generated_certificate,
            )
            .field("certificates_pem", &self.certificates_pem.len())
            .field("redirect_uris", &self.redirect_uris)
            .field("foci", &self.foci)
            .field("app_id_uris", &self.app_id_uris)
            .finish()
    }
}

/// A managed identity (system- or user-assigned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedIdentityConfig {
    /// Client id (`client_id`, `clientid` selectors).
    pub client_id: String,
    /// Object (principal) id (`object_id` selector).
    pub object_id: String,
    /// ARM resource id (`msi_res_id`, `mi_res_id` selectors).
    pub resource_id: String,
}

impl ManagedIdentityConfig {
    /// An identity whose object id and resource id are derived from the client id.
    pub fn from_client_id(client_id: impl Into<String>) -> Self {
        let client_id = client_id.into();
        let suffix = client_id.rsplit('-').next().unwrap_or_default().to_owned();
        Self {
            object_id: format!("11111111-1111-4111-8111-{suffix}"),
            resource_id: format!(
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/emulator/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi-{suffix}"
            ),
            client_id,
        }
    }
}

/// Everything the emulator serves. Start from [`EmulatorConfig::default`] and adjust with the
/// builder-style setters.
///
/// ```
/// use msal_emulator::EmulatorConfig;
/// let config = EmulatorConfig::default()
///     .expires_in(120)
///     .refresh_in(Some(60))
///     .device_code_polls_before_approval(Some(2));
/// assert_eq!(config.expires_in, 120);
/// ```
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Tenant id.
    pub tenant_id: String,
    /// Domain names that also address the tenant in URLs (`/contoso.example/...`).
    pub tenant_domains: Vec<String>,
    /// Users; the first is signed in when no `login_hint` says otherwise.
    pub users: Vec<UserConfig>,
    /// App registrations.
    pub clients: Vec<ClientConfig>,
    /// `expires_in` of issued access tokens, seconds.
    pub expires_in: u64,
    /// `ext_expires_in` of issued access tokens, seconds.
    pub ext_expires_in: u64,
    /// `refresh_in` sent with tokens (Entra sends it only for long-lived tokens).
    pub refresh_in: Option<u64>,
    /// How many device-code polls answer `authorization_pending` before the code is approved by
    /// itself; `None` waits for [`crate::Emulator::approve_device_code`].
    pub device_code_polls_before_approval: Option<u32>,
    /// `interval` of device-code responses, seconds. Entra uses 5; 1 keeps tests quick.
    pub device_code_interval: u64,
    /// Lifetime of a device code, seconds.
    pub device_code_expires_in: u64,
    /// Answer this (1-based) device-code poll with `slow_down` instead of `authorization_pending`.
    pub device_code_slow_down_on_poll: Option<u32>,
    /// Resources (e.g. `https://claims.fake-entra.invalid`) that demand a claims challenge: a token
    /// request for them without `claims` gets `interaction_required` with a `claims` value.
    pub claims_challenge_resources: Vec<String>,
    /// When set, every authorize request is answered with this OAuth error (e.g. `access_denied`).
    pub authorize_error: Option<String>,
    /// Extra DNS names for the TLS certificate.
    pub extra_tls_names: Vec<String>,
    /// Port of the https listener (0 = any).
    pub port: u16,
    /// Port of the plain-http managed-identity listener (0 = any).
    pub http_port: u16,
    /// Port of the Service Fabric https listener (0 = any).
    pub service_fabric_port: u16,
    /// The system-assigned managed identity.
    pub system_assigned_identity: ManagedIdentityConfig,
    /// User-assigned managed identities, accepted by every source.
    pub user_assigned_identities: Vec<ManagedIdentityConfig>,
    /// `expires_in` of managed-identity tokens, seconds.
    pub mi_expires_in: u64,
    /// Value App Service expects in `X-IDENTITY-HEADER`.
    pub app_service_identity_header: String,
    /// Value Azure ML expects in the `secret` header.
    pub ml_secret: String,
    /// Value Service Fabric expects in the `Secret` header.
    pub service_fabric_secret: String,
    /// Region answered by the IMDS location endpoint.
    pub region: String,
    /// Where Azure Arc challenge key files go; `None` = a fresh temporary directory.
    pub arc_key_dir: Option<PathBuf>,
    /// Secrets the Key Vault stand-in serves, as (name, value).
    pub key_vault_secrets: Vec<(String, String)>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        let public = ClientConfig::public(ids::PUBLIC_CLIENT_ID);
        let confidential = ClientConfig::confidential(
            ids::CONFIDENTIAL_CLIENT_ID,
            ids::CONFIDENTIAL_CLIENT_SECRET,
        )
        .with_generated_certificate();
        // The middle tier is the API the public client's user token is issued for.
        let obo = ClientConfig::confidential(ids::OBO_CLIENT_ID, ids::OBO_CLIENT_SECRET)
            .with_app_id_uri("https://api.fake-entra.invalid");
        Self {
            tenant_id: ids::TENANT_ID.to_owned(),
            tenant_domains: vec![
                "contoso.example".to_owned(),
                "contoso.onmicrosoft.com".to_owned(),
            ],
            users: vec![UserConfig::new(
                ids::USER_UPN,
                ids::USER_OID,
                ids::USER_NAME,
                ids::USER_PASSWORD,
            )],
            clients: vec![public, confidential, obo],
            expires_in: 3599,
            ext_expires_in: 3599,
            refresh_in: None,
            device_code_polls_before_approval: Some(1),
            device_code_interval: 1,
            device_code_expires_in: 900,
            device_code_slow_down_on_poll: None,
            claims_challenge_resources: Vec::new(),
            authorize_error: None,
            extra_tls_names: Vec::new(),
            port: 0,
            http_port: 0,
            service_fabric_port: 0,
            system_assigned_identity: ManagedIdentityConfig::from_client_id(
                ids::MI_SYSTEM_ASSIGNED_CLIENT_ID,
            ),
            user_assigned_identities: [
                ids::MI_IMDS_CLIENT_ID,
                ids::MI_APP_SERVICE_CLIENT_ID,
                ids::MI_ML_CLIENT_ID,
                ids::MI_SERVICE_FABRIC_CLIENT_ID,
            ]
            .into_iter()
            .map(ManagedIdentityConfig::from_client_id)
            .collect(),
            mi_expires_in: 86399,
            app_service_identity_header: "app-service-fake-identity-header".to_owned(),
            ml_secret: "azure-ml-fake-secret".to_owned(),
            service_fabric_secret: "service-fabric-fake-secret".to_owned(),
            region: "westus2".to_owned(),
            arc_key_dir: None,
            key_vault_secrets: Vec::new(),
        }
    }
}

impl EmulatorConfig {
    /// Sets `expires_in` of access tokens.
    pub fn expires_in(mut self, seconds: u64) -> Self {
        self.expires_in = seconds;
        self
    }

    /// Sets `ext_expires_in` of access tokens.
    pub fn ext_expires_in(mut self, seconds: u64) -> Self {
        self.ext_expires_in = seconds;
        self
    }

    /// Sets (or removes) `refresh_in` in token responses.
    pub fn refresh_in(mut self, seconds: Option<u64>) -> Self {
        self.refresh_in = seconds;
        self
    }

    /// Polls answered `authorization_pending` before self-approval; `None` = manual approval.
    pub fn device_code_polls_before_approval(mut self, polls: Option<u32>) -> Self {
        self.device_code_polls_before_approval = polls;
        self
    }

    /// Sets the device-code `interval`.
    pub fn device_code_interval(mut self, seconds: u64) -> Self {
        self.device_code_interval = seconds;
        self
    }

    /// Sets the device-code lifetime.
    pub fn device_code_expires_in(mut self, seconds: u64) -> Self {
        self.device_code_expires_in = seconds;
        self
    }

    /// Answers the given (1-based) poll with `slow_down`.
    pub fn device_code_slow_down_on_poll(mut self, poll: Option<u32>) -> Self {
        self.device_code_slow_down_on_poll = poll;
        self
    }

    /// Adds a user.
    pub fn with_user(mut self, user: UserConfig) -> Self {
        self.users.push(user);
        self
    }

    /// Adds a federated user (`upn` in a domain user realm discovery calls `Federated`).
    pub fn with_federated_user(self, upn: &str, oid: &str) -> Self {
        self.with_user(UserConfig::new(upn, oid, upn, "unused-federated").federated())
    }

    /// Adds an app registration.
    pub fn with_client(mut self, client: ClientConfig) -> Self {
        self.clients.push(client);
        self
    }

    /// Puts the listed (already registered) clients into the Family of Client IDs.
    pub fn foci_family<I, S>(mut self, client_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for id in client_ids {
            if let Some(c) = self.clients.iter_mut().find(|c| c.client_id == id.as_ref()) {
                c.foci = true;
            }
        }
        self
    }

    /// Makes `resource` (e.g. `https://claims.fake-entra.invalid`) demand a claims challenge.
    pub fn claims_challenge_resource(mut self, resource: impl Into<String>) -> Self {
        self.claims_challenge_resources
            .push(resource.into().trim_end_matches('/').to_owned());
        self
    }

    /// Answers every authorize request with this OAuth error.
    pub fn authorize_error(mut self, error: Option<String>) -> Self {
        self.authorize_error = error;
        self
    }

    /// Adds a DNS name to the TLS certificate.
    pub fn extra_tls_name(mut self, name: impl Into<String>) -> Self {
        self.extra_tls_names.push(name.into());
        self
    }

    /// Fixes the https port (0 = any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Fixes the plain-http port (0 = any free port).
    pub fn http_port(mut self, port: u16) -> Self {
        self.http_port = port;
        self
    }

    /// Sets where Azure Arc challenge key files are written.
    pub fn arc_key_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.arc_key_dir = Some(dir.into());
        self
    }

    /// Adds a secret to the Key Vault stand-in (`GET /secrets/{name}`); names are
    /// case-insensitive, as in Key Vault, and a later value of the same name replaces it.
    pub fn key_vault_secret(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.key_vault_secrets
            .retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        self.key_vault_secrets.push((name, value.into()));
        self
    }

    /// Sets `expires_in` of managed-identity tokens.
    pub fn mi_expires_in(mut self, seconds: u64) -> Self {
        self.mi_expires_in = seconds;
        self
    }

    /// The registration of `client_id`, if any.
    pub fn client(&self, client_id: &str) -> Option<&ClientConfig> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    /// The user with this UPN (case-insensitive), if any.
    pub fn user(&self, upn: &str) -> Option<&UserConfig> {
        self.users.iter().find(|u| u.upn.eq_ignore_ascii_case(upn))
    }

    /// The user signed in when no hint names another one.
    pub fn default_user(&self) -> Option<&UserConfig> {
        self.users.first()
    }

    /// The public client's id.
    pub fn public_client_id(&self) -> &str {
        ids::PUBLIC_CLIENT_ID
    }

    /// The confidential client's id.
    pub fn confidential_client_id(&self) -> &str {
        ids::CONFIDENTIAL_CLIENT_ID
    }

    /// The secret of a registered confidential client.
    pub fn client_secret(&self, client_id: &str) -> Option<&str> {
        self.client(client_id).and_then(|c| c.secret.as_deref())
    }

    /// Whether `segment` (first path segment) addresses this tenant or a multi-tenant alias.
    pub(crate) fn is_known_tenant(&self, segment: &str) -> bool {
        segment.eq_ignore_ascii_case(&self.tenant_id)
            || ["common", "organizations", "consumers"]
                .iter()
                .any(|t| segment.eq_ignore_ascii_case(t))
            || self
                .tenant_domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(segment))
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("tenant_id", &self.tenant_id)
            .field("users", &self.users)
            .field("clients", &self.clients)
            .field("expires_in", &self.expires_in)
            .field("ext_expires_in", &self.ext_expires_in)
            .field("refresh_in", &self.refresh_in)
            .field(
                "device_code_polls_before_approval",
                &self.device_code_polls_before_approval,
            )
            .field(
                "claims_challenge_resources",
                &self.claims_challenge_resources,
            )
            .field("system_assigned_identity", &self.system_assigned_identity)
            .field("user_assigned_identities", &self.user_assigned_identities)
            .field("region", &self.region)
            .field(
                "key_vault_secrets",
                &self
                    .key_vault_secrets
                    .iter()
                    .map(|(name, _)| (name.as_str(), "<redacted>"))
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}
