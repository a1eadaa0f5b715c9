//! Instance discovery, tenant (OpenID) discovery and cloud aliases (MSAL Python's `msal/authority.py`: `_instance_discovery`, `tenant_discovery`, and `WORLD_WIDE`/`_KNOWN_AUTHORITY_ALIASES` in `msal/application.py`).
//!
//! Discovery results are cached for 24 hours (as MSAL Python's `http_cache` does) in a
//! [`DiscoveryCache`] that every application in the process shares by default, and concurrent
//! first uses of an authority make one request (single-flight).
//!
//! Entries are keyed by the authority *and* by what decided how it was checked (whether instance
//! discovery ran, at which endpoint, and whether loopback http was allowed): an application that
//! skips validation must not fill the cache for one that asked for it.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex, OnceLock},
    time::{Duration, SystemTime},
};

use msal_core::{Error, single_flight::SingleFlight, token_endpoint::TokenEndpointClient};
use serde_json::{Map, Value};
use tracing::Instrument as _;

use crate::{Authority, AuthorityKind, hosts, issuer::is_valid_issuer};

/// How long a discovery document is trusted.
pub const DISCOVERY_TTL: Duration = Duration::from_secs(24 * 3600);

/// Entra's instance-discovery endpoint.
pub const DEFAULT_INSTANCE_DISCOVERY_ENDPOINT: &str =
    "https://login.microsoftonline.com/common/discovery/instance";

/// Whether (and where) to validate unknown hosts with instance discovery.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum InstanceDiscovery {
    /// Validate unknown hosts at Entra's endpoint (the default).
    #[default]
    Enabled,
    /// Never call instance discovery (private clouds, Azure Stack, tests); no alias lookups either.
    Disabled,
    /// Use this instance-discovery endpoint instead of Entra's.
    Endpoint(String),
}

/// The endpoints an authority's OpenID configuration names.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorityMetadata {
    /// Where the browser goes to sign in.
    pub authorization_endpoint: String,
    /// Where grants are redeemed.
    pub token_endpoint: String,
    /// Where device codes are requested, if the authority supports the device flow.
    pub device_authorization_endpoint: Option<String>,
    /// The issuer the authority claims.
    pub issuer: Option<String>,
    /// Where to sign out.
    pub end_session_endpoint: Option<String>,
}

impl AuthorityMetadata {
    /// The realm (tenant) the cache uses: the first path segment of the token endpoint, as MSAL
    /// Python re-derives it after discovery.
    pub fn realm(&self) -> Option<String> {
        url::Url::parse(&self.token_endpoint)
            .ok()?
            .path_segments()?
            .find(|s| !s.is_empty())
            .map(str::to_owned)
    }

    fn from_json(
        doc: &Map<String, Value>,
        source: &str,
        allow_http_loopback: bool,
    ) -> Result<Self, Error> {
        let endpoint = |k: &str, required: bool| -> Result<Option<String>, Error> {
            match doc.get(k) {
                Some(Value::String(s)) => {
                    let ok = url::Url::parse(s).is_ok_and(|u| {
                        u.scheme() == "https"
                            || (allow_http_loopback
                                && u.scheme() == "http"
                                && u.host_str().is_some_and(msal_core::http::is_loopback_host))
                    });
                    if ok {
                        Ok(Some(s.clone()))
                    } else {
                        Err(Error::Configuration(format!(
                            "the OpenID configuration of {source} has a non-https {k}"
                        )))
                    }
                }
                None | Some(Value::Null) if !required => Ok(None),
                _ => Err(Error::Configuration(format!(
                    "the OpenID configuration of {source} lacks {k}"
                ))),
            }
        };
        Ok(Self {
            authorization_endpoint: endpoint("authorization_endpoint", true)?.unwrap_or_default(),
            token_endpoint: endpoint("token_endpoint", true)?.unwrap_or_default(),
            device_authorization_endpoint: endpoint("device_authorization_endpoint", false)?,
            issuer: doc.get("issuer").and_then(Value::as_str).map(str::to_owned),
            end_session_endpoint: endpoint("end_session_endpoint", false)?,
        })
    }
}

type MetadataEntry = (SystemTime, Arc<AuthorityMetadata>);

/// What a cached discovery result depends on besides the authority: two resolvers share an entry
/// only when they would have checked the authority the same way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct MetadataKey {
    authority: String,
    /// The instance-discovery endpoint that validated the host; `None` when the resolver's policy
    /// (validation off, discovery disabled, a known authority or a well-known host) skipped it.
    validated_at: Option<String>,
    /// Loopback http endpoints are accepted only by resolvers that allow them.
    allow_http_loopback: bool,
}

/// Aliases are learned from one instance-discovery endpoint and only used by resolvers that
/// trust that endpoint: (endpoint, host).
type AliasKey = (String, String);

/// Discovery results, shared by clones. [`DiscoveryCache::shared`] is the process-wide default.
#[derive(Clone, Default)]
pub struct DiscoveryCache {
    inner: Arc<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    metadata: Mutex<HashMap<MetadataKey, MetadataEntry>>,
    aliases: Mutex<HashMap<AliasKey, Vec<String>>>,
    flights: SingleFlight<MetadataKey, Arc<AuthorityMetadata>>,
}

impl fmt::Debug for DiscoveryCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.inner.metadata.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("DiscoveryCache")
            .field("authorities", &n)
            .finish()
    }
}

impl DiscoveryCache {
    /// A new, empty cache (tests, or apps that want their own).
    pub fn new() -> Self {
        Self::default()
    }

    /// The process-wide cache every application uses unless given another.
    pub fn shared() -> Self {
        static SHARED: OnceLock<DiscoveryCache> = OnceLock::new();
        SHARED.get_or_init(DiscoveryCache::new).clone()
    }
}

/// Resolves authorities to their endpoints, validating unknown hosts.
#[derive(Clone)]
pub struct AuthorityResolver {
    client: TokenEndpointClient,
    instance_discovery: InstanceDiscovery,
    known_authorities: Vec<String>,
    validate_authority: bool,
    allow_http_loopback: bool,
    cache: DiscoveryCache,
}

impl fmt::Debug for AuthorityResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorityResolver")
            .field("instance_discovery", &self.instance_discovery)
            .field("known_authorities", &self.known_authorities)
            .field("validate_authority", &self.validate_authority)
            .finish_non_exhaustive()
    }
}

impl AuthorityResolver {
    /// A resolver sending through `client`.
    pub fn new(client: TokenEndpointClient) -> Self {
        Self {
            client,
            instance_discovery: InstanceDiscovery::Enabled,
            known_authorities: Vec::new(),
            validate_authority: true,
            allow_http_loopback: false,
            cache: DiscoveryCache::shared(),
        }
    }

    /// Sets instance discovery.
    pub fn instance_discovery(mut self, d: InstanceDiscovery) -> Self {
        self.instance_discovery = d;
        self
    }

    /// Hosts the developer vouches for: no instance discovery for them.
    pub fn known_authorities(mut self, hosts: Vec<String>) -> Self {
        self.known_authorities = hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect();
        self
    }

    /// `validate_authority(false)`: the authority is known to the developer.
    pub fn validate_authority(mut self, yes: bool) -> Self {
        self.validate_authority = yes;
        self
    }

    /// Accept http endpoints on loopback hosts (tests only).
    pub fn allow_http_loopback(mut self, yes: bool) -> Self {
        self.allow_http_loopback = yes;
        self
    }

    /// Uses `cache` instead of the process-wide one.
    pub fn cache(mut self, cache: DiscoveryCache) -> Self {
        self.cache = cache;
        self
    }

    fn known_to_developer(&self, authority: &Authority) -> bool {
        authority.is_known_by_kind()
            || !self.validate_authority
            || self.instance_discovery == InstanceDiscovery::Disabled
            || self.known_authorities.iter().any(|h| h == authority.host())
    }

    fn needs_instance_discovery(&self, authority: &Authority) -> bool {
        !self.known_to_developer(authority) && !hosts::is_well_known(authority.host())
    }

    /// The cache key for `authority` under this resolver's policy.
    fn metadata_key(&self, authority: &Authority) -> MetadataKey {
        MetadataKey {
            authority: authority.url(),
            validated_at: self
                .needs_instance_discovery(authority)
                .then(|| self.instance_discovery_endpoint().to_owned()),
            allow_http_loopback: self.allow_http_loopback,
        }
    }

    /// The authority's endpoints: cached for 24 h, fetched once however many callers ask.
    ///
    /// The cache is shared with every resolver using the same [`DiscoveryCache`], but an entry
    /// is reused only by resolvers with the same validation policy, so each policy is applied at
    /// least once (a resolver that validates never trusts a result fetched without validation).
    pub async fn metadata(&self, authority: &Authority) -> Result<Arc<AuthorityMetadata>, Error> {
        let key = self.metadata_key(authority);
        let now = self.client.clock().now();
        if let Some((fetched, m)) = self
            .cache
            .inner
            .metadata
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            && now
                .duration_since(*fetched)
                .is_ok_and(|age| age < DISCOVERY_TTL)
        {
            return Ok(m.clone());
        }
        let flights = &self.cache.inner.flights;
        flights
            .run(key.clone(), || async {
                // A span entered across an `.await` would be left entered on this thread while
                // the task is suspended; the span follows the future instead.
                let span = tracing::debug_span!(target: "msal::authority", "discovery", authority = %authority);
                let m = Arc::new(self.fetch_metadata(authority).instrument(span).await?);
                self.cache
                    .inner
                    .metadata
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key.clone(), (self.client.clock().now(), m.clone()));
                Ok(m)
            })
            .await
    }

    async fn fetch_metadata(&self, authority: &Authority) -> Result<AuthorityMetadata, Error> {
        let discovery_url = if self.needs_instance_discovery(authority) {
            self.discover_instance(authority).await?
        } else {
            authority.discovery_url()
        };
        let doc = self.client.get_json(&discovery_url, &[]).await.map_err(|e| match e {
            Error::InvalidResponse { status, .. } if status.is_client_error() => Error::Configuration(format!(
                "unable to get the authority configuration for {authority} (HTTP {}); check the tenant name or GUID",
                status.as_u16()
            )),
            Error::Service(se) if se.status.is_some_and(|s| s.is_client_error()) => Error::Configuration(format!(
                "unable to get the authority configuration for {authority}: {se}; check the tenant name or GUID"
            )),
            other => other,
        })?;
        let metadata =
            AuthorityMetadata::from_json(&doc, &authority.url(), self.allow_http_loopback)?;
        if authority.kind() == AuthorityKind::Oidc {
            let issuer = metadata.issuer.as_deref().unwrap_or_default();
            if !is_valid_issuer(authority, issuer) {
                return Err(Error::Configuration(format!(
                    "the issuer {issuer:?} in the OpenID configuration does not belong to the authority {authority}"
                )));
            }
        }
        Ok(metadata)
    }

    fn instance_discovery_endpoint(&self) -> &str {
        match &self.instance_discovery {
            InstanceDiscovery::Endpoint(url) => url,
            _ => DEFAULT_INSTANCE_DISCOVERY_ENDPOINT,
        }
    }

    /// Validates the host with Entra and returns the tenant discovery URL it names.
    async fn discover_instance(&self, authority: &Authority) -> Result<String, Error> {
        let endpoint = self.instance_discovery_endpoint();
        let query = form_query(&[
            ("api-version", "1.0"),
            (
                "authorization_endpoint",
                &authority.discovery_authorize_endpoint(),
            ),
        ]);
        let url = format!("{endpoint}?{query}");
        let doc = match self.client.get_json(&url, &[]).await {
            Ok(doc) => doc,
            Err(e)
                if e.service_error()
                    .is_some_and(|s| s.error == "invalid_instance") =>
            {
                return Err(Error::Configuration(format!(
                    "the authority {authority} is not known to Microsoft Entra ID; if it is yours, list its host in \
                     known_authorities or turn instance discovery off"
                )));
            }
            Err(e) => return Err(e),
        };
        self.remember_aliases(&doc);
        doc.get("tenant_discovery_endpoint")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                Error::Configuration(
                    "instance discovery answered without tenant_discovery_endpoint".into(),
                )
            })
    }

    fn remember_aliases(&self, doc: &Map<String, Value>) {
        let Some(groups) = doc.get("metadata").and_then(Value::as_array) else {
            return;
        };
        let endpoint = self.instance_discovery_endpoint();
        let mut aliases = self
            .cache
            .inner
            .aliases
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for group in groups {
            let members: Vec<String> = group
                .get("aliases")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_ascii_lowercase)
                        .collect()
                })
                .unwrap_or_default();
            for m in &members {
                aliases.insert((endpoint.to_owned(), m.clone()), members.clone());
            }
        }
    }

    /// Whether [`environment_aliases`](Self::environment_aliases) can no longer change for this
    /// authority (it can only grow when instance discovery teaches new aliases for an unknown
    /// host), so callers may compute it once.
    pub fn environment_aliases_are_final(&self, authority: &Authority) -> bool {
        self.known_to_developer(authority) || hosts::is_well_known(authority.host())
    }

    /// The hosts whose cache entries belong to this authority: its own host first, then its cloud
    /// aliases (`login.windows.net` for `login.microsoftonline.com`, ...). No network request:
    /// well-known clouds use the published alias groups, other hosts what instance discovery said.
    pub fn environment_aliases(&self, authority: &Authority) -> Vec<String> {
        let host = authority.host().to_owned();
        let mut out = vec![host.clone()];
        if authority.is_known_by_kind()
            || self.instance_discovery == InstanceDiscovery::Disabled
            || !self.validate_authority
        {
            return out;
        }
        let learned = self
            .cache
            .inner
            .aliases
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(self.instance_discovery_endpoint().to_owned(), host.clone()))
            .cloned();
        let group: Vec<String> = learned.unwrap_or_else(|| {
            hosts::KNOWN_ALIAS_GROUPS
                .iter()
                .find(|g| g.contains(&host.as_str()))
                .map(|g| g.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default()
        });
        for h in group {
            if !out.contains(&h) {
                out.push(h);
            }
        }
        out
    }
}

fn form_query(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}
