//! The running emulator: its listeners and the handle tests hold.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::EmulatorConfig;
use crate::crypto::{self, Certificates, RegisteredCert, TokenSigner, sha1_hex};
use crate::error::EmulatorError;
use crate::faults::{FaultBook, FaultRule, lock};
use crate::log::LoggedRequest;
use crate::server::{spawn_listener, tls_acceptor};
use crate::state::{DeviceStatus, Grants, Shared};
use crate::wire::Listener;

/// A running emulator. Dropping it (or [`Emulator::shutdown`]) stops its listeners.
///
/// ```no_run
/// # async fn demo() -> Result<(), msal_emulator::EmulatorError> {
/// use msal_emulator::{Emulator, EmulatorConfig};
/// let emulator = Emulator::start(EmulatorConfig::default()).await?;
/// println!("authority {} (trust {} bytes of CA PEM)", emulator.authority(), emulator.ca_pem().len());
/// emulator.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    http_addr: SocketAddr,
    sf_addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
    /// A temporary Arc key directory we created and must remove.
    owned_arc_dir: Option<PathBuf>,
}

impl Emulator {
    /// Starts the https listener on `127.0.0.1` (port from the config, 0 = any), the plain-http
    /// managed-identity listener, and the Service Fabric https listener.
    ///
    /// It starts in milliseconds, in debug builds too: its RSA keys are fixed test keys compiled
    /// into the crate (see `keys/README.md`), and the per-emulator TLS certificates are ECDSA.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        crypto::warm_up()?;

        let https = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let http = TcpListener::bind(("127.0.0.1", config.http_port)).await?;
        let sf = TcpListener::bind(("127.0.0.1", config.service_fabric_port)).await?;
        let (addr, http_addr, sf_addr) =
            (https.local_addr()?, http.local_addr()?, sf.local_addr()?);

        let mut names: Vec<String> = [
            "127.0.0.1",
            "localhost",
            "login.microsoftonline.com",
            "login.microsoft.com",
            "*.login.microsoft.com",
            "login.windows.net",
            "sts.windows.net",
            // The Key Vault stand-in, reached as `ids::KEY_VAULT_HOST` resolved to loopback.
            "*.vault.azure.net",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        names.extend(config.extra_tls_names.iter().cloned());
        let certs = tokio::task::spawn_blocking({
            let names = names.clone();
            move || Certificates::generate(&names)
        })
        .await
        .map_err(|e| EmulatorError::Crypto(e.to_string()))??;

        let mut client_certs = std::collections::HashMap::new();
        for client in &config.clients {
            let mut list = Vec::new();
            if client.uses_generated_certificate {
                list.push(certs.client_cert.clone());
            }
            for pem in &client.certificates_pem {
                list.push(RegisteredCert::from_pem(pem)?);
            }
            if client_certs
                .insert(client.client_id.clone(), list)
                .is_some()
            {
                return Err(EmulatorError::Config(format!(
                    "client id {} is registered twice",
                    client.client_id
                )));
            }
        }

        let (arc_key_dir, owned_arc_dir) = match &config.arc_key_dir {
            Some(dir) => (dir.clone(), None),
            None => {
                let dir = std::env::temp_dir()
                    .join(format!("msal-emulator-arc-{}", uuid::Uuid::new_v4()));
                (dir.clone(), Some(dir))
            }
        };
        std::fs::create_dir_all(&arc_key_dir)?;

        let mut known_hosts = vec![
            format!("127.0.0.1:{}", addr.port()),
            format!("localhost:{}", addr.port()),
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
        ];
        known_hosts.extend(
            names
                .iter()
                .filter(|n| !known_hosts.contains(n))
                .cloned()
                .collect::<Vec<_>>(),
        );

        let https_tls = tls_acceptor(&certs.server_chain, &certs.server_key_der)?;
        let sf_tls = tls_acceptor(std::slice::from_ref(&certs.sf_cert_der), &certs.sf_key_der)?;
        let shared = Arc::new(Shared {
            base_url: format!("https://127.0.0.1:{}", addr.port()),
            signer: TokenSigner::new()?,
            certs,
            client_certs,
            faults: FaultBook::default(),
            log: Mutex::new(Vec::new()),
            grants: Mutex::new(Grants::default()),
            arc_key_dir,
            known_hosts,
            started_at: crate::wire::now_secs(),
            config,
        });
        let tasks = vec![
            spawn_listener(https, Some(https_tls), shared.clone(), Listener::Https),
            spawn_listener(http, None, shared.clone(), Listener::Http),
            spawn_listener(sf, Some(sf_tls), shared.clone(), Listener::ServiceFabric),
        ];
        Ok(Emulator {
            shared,
            addr,
            http_addr,
            sf_addr,
            tasks,
            owned_arc_dir,
        })
    }

    /// `https://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The tenant authority: `base_url() + "/" + tenant id`.
    pub fn authority(&self) -> String {
        format!("{}/{}", self.shared.base_url, self.shared.config.tenant_id)
    }

    /// The hosts an app must list in its builder's `known_authorities`: `["127.0.0.1"]`.
    ///
    /// An app validates any authority host that is not a Microsoft cloud by asking
    /// `login.microsoftonline.com` (instance discovery) first. `127.0.0.1` is not one, so without
    /// this the first token request goes to the real service, which is unreachable offline and
    /// would not vouch for a loopback host anyway.
    pub fn known_authorities(&self) -> Vec<String> {
        vec!["127.0.0.1".to_owned()]
    }

    /// A [`ReqwestClient`](msal_http_reqwest::ReqwestClient) (msal's default transport, also
    /// `msal::http::ReqwestClient`) for an app to use with this emulator: it trusts only this
    /// emulator's CA, so an app wired to the emulator cannot reach a real service by mistake, and
    /// it ignores `HTTPS_PROXY`, since a proxy cannot reach `127.0.0.1`.
    ///
    /// Fails with [`EmulatorError::Tls`] only if the client's TLS configuration cannot be built.
    #[cfg(feature = "reqwest")]
    pub fn http_client(&self) -> Result<msal_http_reqwest::ReqwestClient, EmulatorError> {
        msal_http_reqwest::ReqwestClient::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate_pem(self.ca_pem().as_bytes())
            .and_then(|builder| builder.no_proxy().build())
            .map_err(|e| EmulatorError::Tls(format!("cannot build the HTTP client: {e}")))
    }

    /// Like [`http_client`](Self::http_client), for apps that use msal's `hyper` transport: a
    /// [`HyperClient`](msal_http_hyper::HyperClient) that trusts only this emulator's CA.
    #[cfg(feature = "hyper-client")]
    pub fn hyper_client(&self) -> Result<msal_http_hyper::HyperClient, EmulatorError> {
        msal_http_hyper::HyperClient::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate_pem(self.ca_pem().as_bytes())
            .and_then(msal_http_hyper::HyperClientBuilder::build)
            .map_err(|e| EmulatorError::Tls(format!("cannot build the HTTP client: {e}")))
    }

    /// The token endpoint of the tenant.
    pub fn token_endpoint(&self) -> String {
        format!("{}/oauth2/v2.0/token", self.authority())
    }

    /// The plain-http listener (IMDS, App Service, Azure ML, Cloud Shell, Arc): `http://127.0.0.1:PORT`.
    pub fn http_base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_addr.port())
    }

    /// IMDS token endpoint URL.
    pub fn imds_url(&self) -> String {
        format!("{}/metadata/identity/oauth2/token", self.http_base_url())
    }

    /// App Service `IDENTITY_ENDPOINT`.
    pub fn app_service_url(&self) -> String {
        format!("{}/msi/token", self.http_base_url())
    }

    /// Azure ML `MSI_ENDPOINT`.
    pub fn machine_learning_url(&self) -> String {
        format!("{}/msi/ml", self.http_base_url())
    }

    /// Cloud Shell token endpoint.
    pub fn cloud_shell_url(&self) -> String {
        format!("{}/oauth2/token", self.http_base_url())
    }

    /// Azure Arc `IDENTITY_ENDPOINT`.
    pub fn arc_url(&self) -> String {
        format!(
            "{}/arc/metadata/identity/oauth2/token",
            self.http_base_url()
        )
    }

    /// The Key Vault stand-in's vault URL, `https://emulator.vault.azure.net:PORT`
    /// ([`ids::KEY_VAULT_HOST`](crate::ids::KEY_VAULT_HOST)) on the https listener. The name does
    /// not resolve by itself: resolve it to [`addr`](Self::addr) in the client (reqwest's
    /// `ClientBuilder::resolve`), and trust [`ca_pem`](Self::ca_pem). A real vault's name keeps
    /// Key Vault clients' check that the challenge's resource matches the vault's domain on.
    pub fn key_vault_url(&self) -> String {
        format!(
            "https://{}:{}",
            crate::config::ids::KEY_VAULT_HOST,
            self.addr.port()
        )
    }

    /// Address of the https listener.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The private CA (PEM) that signed the https listener's certificate.
    pub fn ca_pem(&self) -> &str {
        &self.shared.certs.ca_pem
    }

    /// The configuration it serves (identities and secrets).
    pub fn config(&self) -> &EmulatorConfig {
        &self.shared.config
    }

    /// The confidential client's registered certificate: (private key PEM, PKCS#8; certificate PEM).
    pub fn client_certificate(&self) -> (String, String) {
        (
            self.shared.certs.client_key_pem.clone(),
            self.shared.certs.client_cert_pem.clone(),
        )
    }

    /// SHA-1 thumbprint (lower-case hex) of the client certificate.
    pub fn client_certificate_thumbprint(&self) -> String {
        crypto::hex(&self.shared.certs.client_cert.sha1)
    }

    /// The Service Fabric `IDENTITY_ENDPOINT`: `https://127.0.0.1:PORT/msi/sf`.
    pub fn service_fabric_url(&self) -> String {
        format!("https://127.0.0.1:{}/msi/sf", self.sf_addr.port())
    }

    /// `IDENTITY_SERVER_THUMBPRINT`: SHA-1 (lower-case hex) of the Service Fabric certificate.
    pub fn service_fabric_thumbprint(&self) -> String {
        sha1_hex(&self.shared.certs.sf_cert_der)
    }

    /// Where Azure Arc challenge key files are written.
    pub fn arc_key_dir(&self) -> PathBuf {
        self.shared.arc_key_dir.clone()
    }

    /// The JWKS document the emulator serves (to verify its tokens offline).
    pub fn jwks(&self) -> serde_json::Value {
        self.shared.signer.jwks()
    }

    /// `kid` of the token-signing key.
    pub fn signing_kid(&self) -> String {
        self.shared.signer.kid().to_owned()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log).clone()
    }

    /// Forgets the logged requests.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// How many logged requests had this method and a path ending with `path_suffix`.
    pub fn count(&self, method: &str, path_suffix: &str) -> usize {
        lock(&self.shared.log)
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path.ends_with(path_suffix))
            .count()
    }

    /// Adds a fault rule (rules are consumed in the order added).
    pub fn add_fault(&self, rule: FaultRule) {
        self.shared.faults.add(rule);
    }

    /// Removes every pending fault rule.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Approves the device code with this user code; false if there is none.
    pub fn approve_device_code(&self, user_code: &str) -> bool {
        lock(&self.shared.grants).set_device_status(user_code, DeviceStatus::Approved)
    }

    /// Declines the device code with this user code; false if there is none.
    pub fn decline_device_code(&self, user_code: &str) -> bool {
        lock(&self.shared.grants).set_device_status(user_code, DeviceStatus::Declined)
    }

    /// Revokes one refresh token (its next use gets `invalid_grant`); false if unknown.
    pub fn revoke_refresh_token(&self, refresh_token: &str) -> bool {
        lock(&self.shared.grants)
            .refresh_tokens
            .remove(refresh_token)
            .is_some()
    }

    /// Revokes every refresh token issued so far.
    pub fn revoke_all_refresh_tokens(&self) {
        lock(&self.shared.grants).refresh_tokens.clear();
    }

    /// Stops the listeners and waits for them to finish.
    pub async fn shutdown(mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        if let Some(dir) = &self.owned_arc_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
