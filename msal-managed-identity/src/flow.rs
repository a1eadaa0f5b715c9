//! The token flow: cache, single-flight, throttling, IMDS retries, the Arc challenge.

use std::{sync::Arc, time::Duration};

use msal_cache::{
    AccessTokenQuery, CachedAccessToken, Freshness, TokenEvent,
    acquire::{Lookup, TokenProvider, acquire},
    results,
};
use msal_core::{
    AuthenticationResult, Error, Result, ServiceError,
    http::HttpResponse,
    token_endpoint::{
        response::retry_after,
        telemetry::CacheInfo,
        throttle::{MAX_RETRY_AFTER, ThrottleKey, ThrottledAnswer},
    },
};
use sha2::{Digest, Sha256};

use crate::{
    arc,
    client::{FlightKey, ManagedIdentityClient},
    request::{self, Prepared, RequestParts},
    response,
    source::{self, Endpoint, ManagedIdentitySource},
};

/// Managed-identity tokens are cached under this environment and realm (MSAL Python's values).
pub(crate) const CACHE_ENVIRONMENT: &str = "localhost";
pub(crate) const CACHE_REALM: &str = "managed_identity";
/// Recorded as the cache event's grant; it only matters for user accounts, which MI never has.
const CACHE_GRANT: &str = "managed_identity";

/// How long a 429/5xx without `Retry-After` holds identical requests (MSAL Python's MI value).
const DEFAULT_THROTTLE: Duration = Duration::from_secs(5);
/// IMDS retries after the first attempt.
const IMDS_MAX_RETRIES: u32 = 3;
/// The first back-off; doubled per retry.
const IMDS_FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// A `Retry-After` longer than this ends the retries: waiting inside a call that long would
/// surprise callers more than the error does.
const IMDS_MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// Statuses IMDS answers while it (or the identity) is not ready yet: Azure's guidance for IMDS.
fn imds_retryable(status: http::StatusCode) -> bool {
    matches!(status.as_u16(), 404 | 408 | 410 | 429) || status.is_server_error()
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One managed-identity request as a provider of the shared cache pipeline.
struct ManagedIdentityRequest<'a> {
    client: &'a ManagedIdentityClient,
    resource: &'a str,
    token_sha256_to_refresh: Option<&'a str>,
}

impl TokenProvider for ManagedIdentityRequest<'_> {
    type Output = AuthenticationResult;

    async fn cached(&self, token: CachedAccessToken) -> Result<AuthenticationResult> {
        tracing::debug!(target: "msal::managed_identity", resource = %self.resource, "token served from the cache");
        Ok(self.client.cached_result(&token, self.resource))
    }

    async fn fetch(&self, _reason: CacheInfo) -> Result<AuthenticationResult> {
        self.client
            .fetch(self.resource, self.token_sha256_to_refresh)
            .await
    }
}

impl ManagedIdentityClient {
    pub(crate) async fn acquire(
        &self,
        resource: String,
        claims_challenge: bool,
    ) -> Result<AuthenticationResult> {
        let cfg = &self.inner.config;
        if resource.trim().is_empty() {
            return Err(Error::InvalidArgument(
                "the resource must not be empty".into(),
            ));
        }
        let query = AccessTokenQuery::app(
            cfg.identity.cache_client_id(),
            CACHE_REALM,
            [CACHE_ENVIRONMENT],
            [resource.as_str()],
        );
        // A claims challenge means the resource rejected the cached token: the cache is
        // bypassed, and the source is told which token not to hand out again.
        let token_sha256_to_refresh = if claims_challenge {
            let now = cfg.clock.now();
            cfg.token_cache
                .find_access_token(&query, now)
                .await?
                .filter(|at| at.freshness(now) != Freshness::Expired)
                .map(|at| sha256_hex(at.secret().secret()))
        } else {
            None
        };
        let lookup = if claims_challenge {
            Lookup::bypass()
        } else {
            Lookup::cache(&query)
        };
        let key = FlightKey {
            resource: resource.clone(),
            token_sha256_to_refresh: token_sha256_to_refresh.clone(),
        };
        let request = ManagedIdentityRequest {
            client: self,
            resource: &resource,
            token_sha256_to_refresh: token_sha256_to_refresh.as_deref(),
        };
        acquire(
            &cfg.token_cache,
            lookup,
            cfg.clock.as_ref(),
            &self.inner.flights,
            key,
            &request,
        )
        .await
    }

    fn cached_result(&self, at: &CachedAccessToken, resource: &str) -> AuthenticationResult {
        let mut details =
            results::cached_details(at, None, None, Some(self.inner.config.clock.clone()));
        // The cache realm `managed_identity` names no tenant.
        details.tenant_id = None;
        details.extra.insert("resource".into(), resource.into());
        results::result_from_cache(at, Arc::new(details), None)
    }

    async fn fetch(
        &self,
        resource: &str,
        token_sha256_to_refresh: Option<&str>,
    ) -> Result<AuthenticationResult> {
        let cfg = &self.inner.config;
        let endpoint = source::resolve(&cfg.env)?;
        let source = endpoint.source();
        let correlation_id = msal_core::token_endpoint::new_correlation_id();
        let parts = RequestParts {
            resource,
            identity: &cfg.identity,
            token_sha256_to_refresh,
            capabilities: &cfg.capabilities,
            correlation_id: &correlation_id,
            timeout: cfg.timeout,
        };
        let prepared = request::prepare(&endpoint, &parts)?;
        tracing::debug!(target: "msal::managed_identity", source = %source,
            identity = %cfg.identity, resource, "requesting a managed-identity token");
        let resp = self.exchange(&endpoint, &prepared, &parts).await?;
        let now = cfg.clock.now();
        let parsed = response::parse(source, &cfg.identity, resource, &resp, now)?;

        let event = TokenEvent::new(
            cfg.identity.cache_client_id(),
            CACHE_ENVIRONMENT,
            CACHE_REALM,
            [resource],
            &parsed.response,
            CACHE_GRANT,
        )
        .correlation_id(correlation_id.clone());
        if let Err(e) = cfg.token_cache.add_token_response(event, now).await {
            // The token is good; failing the call would only make the caller ask again.
            tracing::warn!(target: "msal::managed_identity", error = %e,
                "could not cache the managed-identity token");
        }

        let mut r = results::result_from_response(
            &parsed.response,
            &[resource.to_owned()],
            parsed.expires_on,
            now,
        )
        .with_correlation_id(Some(correlation_id));
        let details = r.details_mut();
        details.clock = Some(cfg.clock.clone());
        details
            .extra
            .insert("resource".into(), parsed.resource.clone().into());
        Ok(r)
    }

    /// Sends the request with throttling, IMDS retries and the Arc challenge; returns the final
    /// answer, whatever its status.
    async fn exchange(
        &self,
        endpoint: &Endpoint,
        prepared: &Prepared,
        parts: &RequestParts<'_>,
    ) -> Result<HttpResponse> {
        let cfg = &self.inner.config;
        let body = String::from_utf8_lossy(&prepared.body);
        // MSAL Python keys MI throttling on the URL, parameters and body; the Arc key and the
        // secret headers are not part of it, so one key covers both Arc legs.
        let key = ThrottleKey::from_parts([
            "managed_identity",
            prepared.method.as_str(),
            prepared.url.as_str(),
            body.as_ref(),
        ]);
        let now = cfg.clock.now();
        if let Some((remaining, ThrottledAnswer::RetryAfter(last))) = cfg.http_cache.get(&key, now)
        {
            tracing::info!(target: "msal::throttle", retry_after_secs = remaining.as_secs(),
                "managed-identity request throttled by an earlier answer");
            return Err(Error::Throttled {
                retry_after: remaining,
                last,
            });
        }

        let mut resp = self.send_retrying(endpoint, prepared, parts, None).await?;
        if endpoint.source() == ManagedIdentitySource::AzureArc && resp.status().as_u16() == 401 {
            let path = arc::challenge_path(&resp)?;
            let dir = source::arc_key_directory(&cfg.env)?;
            let authorization = arc::read_key_file(&path, &dir)?;
            resp = self
                .send_retrying(endpoint, prepared, parts, Some(&authorization))
                .await?;
        }

        let now = cfg.clock.now();
        let status = resp.status();
        let hold = retry_after(&resp, now);
        if !status.is_success()
            && (status.as_u16() == 429 || status.is_server_error() || hold.is_some())
        {
            let last = response::service_error(endpoint.source(), &resp, now)
                .service_error()
                .cloned()
                .unwrap_or_else(|| ServiceError::new("http_error"));
            let ttl = hold.unwrap_or(DEFAULT_THROTTLE).min(MAX_RETRY_AFTER);
            cfg.http_cache
                .insert(key, ThrottledAnswer::RetryAfter(Box::new(last)), now, ttl);
        }
        Ok(resp)
    }

    async fn send_retrying(
        &self,
        endpoint: &Endpoint,
        prepared: &Prepared,
        parts: &RequestParts<'_>,
        arc_authorization: Option<&http::HeaderValue>,
    ) -> Result<HttpResponse> {
        let cfg = &self.inner.config;
        let sleep = cfg
            .sleep
            .as_ref()
            .filter(|_| endpoint.source() == ManagedIdentitySource::Imds);
        let mut attempt = 0u32;
        loop {
            let req = request::build(endpoint, prepared, parts, arc_authorization)?;
            let resp = cfg.http.send(req).await?;
            let status = resp.status();
            if let Some(sleep) = sleep
                && attempt < IMDS_MAX_RETRIES
                && imds_retryable(status)
            {
                let backoff = IMDS_FIRST_BACKOFF * 2u32.pow(attempt);
                let delay =
                    retry_after(&resp, cfg.clock.now()).map_or(backoff, |ra| ra.max(backoff));
                if delay <= IMDS_MAX_RETRY_DELAY {
                    tracing::info!(target: "msal::managed_identity", status = status.as_u16(),
                        attempt = attempt + 1, delay_ms = delay.as_millis() as u64,
                        "IMDS is not ready; retrying");
                    Arc::clone(sleep).sleep(delay).await;
                    attempt += 1;
                    continue;
                }
            }
            return Ok(resp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_statuses() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        for s in [404u16, 408, 410, 429, 500, 503, 599] {
            assert!(
                imds_retryable(http::StatusCode::from_u16(s).unwrap_or_default()),
                "{s}"
            );
        }
        for s in [200u16, 400, 401, 403] {
            assert!(
                !imds_retryable(http::StatusCode::from_u16(s).unwrap_or_default()),
                "{s}"
            );
        }
    }
}
