//! What every token request accepts, and the glue that makes request builders awaitable.

use std::collections::BTreeMap;

use msal_cache::keys::EXT_KEY_EXCLUDED;
use msal_core::{Error, token_endpoint::claims};

mod scope_list;

pub(crate) use scope_list::RequestedScopes;

/// Options common to every token request (see [`crate::guide`]), allocated by the first setter.
///
/// Most requests set none, and the builders a busy service makes per call
/// (`acquire_token_for_client`, `acquire_token_silent`) become the future a runtime moves and
/// drops on every call, so they carry one pointer rather than the five fields (and a PoP
/// scheme) that a hit never reads. Reads go through `Deref` to the values, or to an empty set
/// when none were given; writes through `DerefMut`, which allocates them then.
#[derive(Clone, Default)]
pub(crate) struct RequestOptions(Option<Box<OptionValues>>);

impl std::fmt::Debug for RequestOptions {
    // The values as they read, whether or not a setter ever allocated them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

/// The values behind [`RequestOptions`].
#[derive(Debug, Clone, Default)]
pub(crate) struct OptionValues {
    pub(crate) claims_challenge: Option<String>,
    pub(crate) correlation_id: Option<String>,
    pub(crate) extra_body: Vec<(String, String)>,
    pub(crate) extra_query: Vec<(String, String)>,
    pub(crate) forwarded_client_claims: Option<String>,
    #[cfg(feature = "pop")]
    pub(crate) auth_scheme: Option<msal_pop::PopAuthScheme>,
}

/// What a request that set no option reads.
static NO_OPTIONS: OptionValues = OptionValues {
    claims_challenge: None,
    correlation_id: None,
    extra_body: Vec::new(),
    extra_query: Vec::new(),
    forwarded_client_claims: None,
    #[cfg(feature = "pop")]
    auth_scheme: None,
};

impl std::ops::Deref for RequestOptions {
    type Target = OptionValues;

    fn deref(&self) -> &OptionValues {
        self.0.as_deref().unwrap_or(&NO_OPTIONS)
    }
}

impl std::ops::DerefMut for RequestOptions {
    fn deref_mut(&mut self) -> &mut OptionValues {
        self.0.get_or_insert_default()
    }
}

impl RequestOptions {
    /// The caller's correlation id, taken without allocating the options when none were set
    /// (a cache hit answers with it).
    pub(crate) fn take_correlation_id(&mut self) -> Option<String> {
        self.0.as_mut().and_then(|o| o.correlation_id.take())
    }
}

impl OptionValues {
    /// The correlation id of this call: the caller's, or a new one.
    pub(crate) fn correlation_id(&self) -> String {
        self.correlation_id
            .clone()
            .unwrap_or_else(msal_core::token_endpoint::new_correlation_id)
    }

    /// Extra request data that isolates cache entries (MSAL Python's `_compute_ext_cache_key`
    /// in `msal/token_cache.py`): non-standard body fields and
    /// the forwarded client claims (under Python's pseudo-field `client_claims`).
    pub(crate) fn ext_cache_data(&self, fmi_path: Option<&str>) -> BTreeMap<String, String> {
        let mut data: BTreeMap<String, String> = self
            .extra_body
            .iter()
            .filter(|(k, v)| !v.is_empty() && !EXT_KEY_EXCLUDED.contains(&k.as_str()))
            .cloned()
            .collect();
        if let Some(p) = fmi_path.filter(|p| !p.is_empty()) {
            data.insert("fmi_path".into(), p.to_owned());
        }
        if let Some(c) = self
            .forwarded_client_claims
            .as_ref()
            .filter(|c| !c.is_empty())
        {
            data.insert("client_claims".into(), c.clone());
        }
        data
    }

    /// The `claims` parameter: challenge + capabilities, deep-merged with forwarded claims.
    pub(crate) fn claims(&self, capabilities: &[String]) -> Result<Option<String>, Error> {
        let merged = claims::merge_challenge_and_capabilities(
            self.claims_challenge.as_deref(),
            capabilities,
        )?;
        claims::merge_forwarded(merged, self.forwarded_client_claims.as_deref())
    }

    /// The key an extra-field token is bound to (`token_type` other than bearer, with `key_id`):
    /// SSH certificates, or PoP with an external key. Such tokens are cached apart from bearer
    /// tokens, under their key id.
    pub(crate) fn bound_key(&self) -> Result<Option<(String, String)>, Error> {
        let field = |k: &str| {
            self.extra_body
                .iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let Some(token_type) = field("token_type").filter(|t| !t.eq_ignore_ascii_case("bearer"))
        else {
            return Ok(None);
        };
        match (field("key_id"), field("req_cnf")) {
            (Some(key_id), Some(_)) if !key_id.is_empty() => Ok(Some((key_id, token_type))),
            _ => Err(Error::InvalidArgument(format!(
                "token_type={token_type} needs both `req_cnf` and `key_id` extra body parameters"
            ))),
        }
    }

    /// Whether nothing but the correlation id is set: the request is a plain bearer lookup.
    pub(crate) fn is_plain(&self) -> bool {
        let Self {
            claims_challenge,
            correlation_id: _,
            extra_body,
            extra_query: _,
            forwarded_client_claims,
            ..
        } = self;
        #[cfg(feature = "pop")]
        if self.auth_scheme.is_some() {
            return false;
        }
        claims_challenge.is_none() && extra_body.is_empty() && forwarded_client_claims.is_none()
    }

    /// Whether the cache must be skipped (a claims challenge or PoP).
    pub(crate) fn bypasses_cache(&self) -> bool {
        self.claims_challenge
            .as_ref()
            .is_some_and(|c| !c.is_empty())
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        self.bound_key()?;
        if let Some(f) = &self.forwarded_client_claims {
            claims::parse_object(f, "forwarded client claims")?;
        }
        if let Some(c) = &self.claims_challenge
            && !c.is_empty()
        {
            claims::parse_object(c, "claims challenge")?;
        }
        Ok(())
    }
}

/// Adds the common request options (see [`crate::guide`]) to a builder with an `options: RequestOptions` field.
macro_rules! request_options {
    () => {
        /// A claims challenge (JSON) from Conditional Access or a resource's `WWW-Authenticate`.
        /// Skips the token cache.
        pub fn claims_challenge(mut self, claims: impl Into<String>) -> Self {
            self.options.claims_challenge = Some(claims.into());
            self
        }

        /// The `client-request-id` to send (a new UUID by default).
        pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
            self.options.correlation_id = Some(id.into());
            self
        }

        /// An extra form field for the token request (Python's `data=`). Non-standard fields also
        /// isolate the cached token (MSAL Python's `_compute_ext_cache_key`).
        pub fn extra_body_param(
            mut self,
            key: impl Into<String>,
            value: impl Into<String>,
        ) -> Self {
            self.options.extra_body.push((key.into(), value.into()));
            self
        }

        /// An extra query parameter for the token request (Python's `params=`).
        pub fn extra_query_param(
            mut self,
            key: impl Into<String>,
            value: impl Into<String>,
        ) -> Self {
            self.options.extra_query.push((key.into(), value.into()));
            self
        }

        /// Claims (a JSON object) forwarded into the request's `claims`, confidential clients only.
        pub fn forwarded_client_claims(mut self, claims: impl Into<String>) -> Self {
            self.options.forwarded_client_claims = Some(claims.into());
            self
        }

        /// Requests a Proof-of-Possession token bound to the app's PoP key, signed for one HTTP
        /// request. The result's `access_token` is then the SHR.
        #[cfg(feature = "pop")]
        #[cfg_attr(docsrs, doc(cfg(feature = "pop")))]
        pub fn auth_scheme(mut self, scheme: msal_pop::PopAuthScheme) -> Self {
            self.options.auth_scheme = Some(scheme);
            self
        }
    };
}
pub(crate) use request_options;

/// A boxed, `Send` future of a token request.
pub(crate) type BoxedResult<'a> = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = msal_core::Result<msal_core::AuthenticationResult>>
            + Send
            + 'a,
    >,
>;

/// Makes a request builder awaitable: `.await` runs `send()`.
macro_rules! into_future {
    ($builder:ident, $output:ty) => {
        impl<'a> std::future::IntoFuture for $builder<'a> {
            type Output = msal_core::Result<$output>;
            type IntoFuture =
                std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send + 'a>>;

            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}
pub(crate) use into_future;
