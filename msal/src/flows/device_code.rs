//! The device code flow (RFC 8628): for devices without a browser. The user signs in elsewhere
//! with a short code while the app polls.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    task::Poll,
    time::{Duration, SystemTime},
};

use msal_core::{
    AuthenticationResult, Error, Result,
    token_endpoint::{
        DEVICE_CODE_GRANT, Form, response::lenient_u64_field, scopes, telemetry::ApiId,
    },
};
use serde::{Deserialize, Serialize};

use crate::{
    app::core::AppCore,
    request::{RequestOptions, into_future},
};

/// The `slow_down` penalty (RFC 8628 §3.5).
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Defaults when the service omits them (MSAL Python's).
const DEFAULT_INTERVAL: u64 = 5;
const DEFAULT_EXPIRES_IN: u64 = 1800;
/// Never poll faster than this, whatever the service says.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// A started device-code sign-in: show [`message`](Self::message) to the user, then poll.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeviceFlow {
    /// The code the user types.
    pub user_code: String,
    /// The code the app polls with (secret).
    pub device_code: String,
    /// Where the user goes.
    pub verification_uri: String,
    /// The URL with the code filled in, if the service gave one.
    pub verification_uri_complete: Option<String>,
    /// What to show the user.
    pub message: String,
    /// How long to wait between polls.
    pub interval: Duration,
    /// When the device code expires.
    pub expires_at: SystemTime,
    /// The correlation id used for every poll.
    pub correlation_id: String,
    #[serde(default)]
    pub(crate) scopes: Vec<String>,
}

impl fmt::Debug for DeviceFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceFlow")
            .field("user_code", &self.user_code)
            .field("device_code", &"[redacted]")
            .field("verification_uri", &self.verification_uri)
            .field("message", &self.message)
            .field("interval", &self.interval)
            .field("expires_at", &self.expires_at)
            .field("correlation_id", &self.correlation_id)
            .finish()
    }
}

/// `initiate_device_flow`: see [`PublicClientApplication::initiate_device_flow`](crate::PublicClientApplication::initiate_device_flow).
#[must_use = "a request does nothing until it is sent or awaited"]
#[derive(Debug)]
pub struct InitiateDeviceFlow<'a> {
    pub(crate) core: &'a AppCore,
    pub(crate) scopes: Vec<String>,
    pub(crate) options: RequestOptions,
}

impl<'a> InitiateDeviceFlow<'a> {
    /// A claims challenge to satisfy.
    pub fn claims_challenge(mut self, claims: impl Into<String>) -> Self {
        self.options.claims_challenge = Some(claims.into());
        self
    }

    /// The correlation id for the request and every poll.
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.options.correlation_id = Some(id.into());
        self
    }

    /// An extra form field for the device authorization request (`/devicecode`) (Python's `data=`).
    pub fn extra_body_param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.extra_body.push((key.into(), value.into()));
        self
    }

    /// An extra query parameter for the device authorization request (`/devicecode`) (Python's `params=`).
    pub fn extra_query_param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.extra_query.push((key.into(), value.into()));
        self
    }

    /// Requests a device code.
    pub async fn send(self) -> Result<DeviceFlow> {
        initiate(self.core, &self.scopes, &self.options).await
    }
}

into_future!(InitiateDeviceFlow, DeviceFlow);

async fn initiate(
    core: &AppCore,
    requested: &[String],
    options: &RequestOptions,
) -> Result<DeviceFlow> {
    options.validate()?;
    let decorated = scopes::decorate(requested, &core.exclude_scopes)?;
    let metadata = core.metadata().await?;
    let endpoint = metadata
        .device_authorization_endpoint
        .clone()
        .ok_or_else(|| {
            Error::Configuration(format!(
                "the authority {} has no device authorization endpoint",
                core.authority
            ))
        })?;
    let correlation_id = options.correlation_id();
    let mut form = Form::new();
    // The caller's fields first, so that ours win, as MSAL Python merges `data=` under them.
    for (k, v) in &options.extra_body {
        form.set(k.clone(), v.clone());
    }
    form.set("client_id", core.client_id.clone())
        .set("scope", scopes::join(&decorated));
    form.set_opt("claims", options.claims(&core.client_capabilities)?);
    let body = core
        .client
        .post_form_with_query(
            &endpoint,
            &options.extra_query,
            &form,
            &correlation_id,
            None,
        )
        .await?;
    let status = http::StatusCode::OK;
    let text = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let missing = |k: &str| Error::InvalidResponse {
        status,
        reason: format!("the device code response lacks {k}"),
    };
    let interval = lenient_u64_field(&body, "interval").unwrap_or(DEFAULT_INTERVAL);
    let expires_in = lenient_u64_field(&body, "expires_in").unwrap_or(DEFAULT_EXPIRES_IN);
    let verification_uri = text("verification_uri")
        .or_else(|| text("verification_url"))
        .ok_or_else(|| missing("verification_uri"))?;
    let user_code = text("user_code").ok_or_else(|| missing("user_code"))?;
    // A lifetime past what `SystemTime` can hold is a broken answer, not a reason to panic.
    let expires_at = core
        .now()
        .checked_add(Duration::from_secs(expires_in))
        .ok_or_else(|| Error::InvalidResponse {
            status,
            reason: "the device code response's expires_in is out of range".into(),
        })?;
    let message = text("message").unwrap_or_else(|| {
        format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate.")
    });
    Ok(DeviceFlow {
        device_code: text("device_code").ok_or_else(|| missing("device_code"))?,
        user_code,
        verification_uri,
        verification_uri_complete: text("verification_uri_complete"),
        message,
        interval: Duration::from_secs(interval).max(MIN_INTERVAL),
        expires_at,
        correlation_id,
        scopes: requested.to_vec(),
    })
}

type ExitCondition<'a> = Box<dyn Fn(&DeviceFlow) -> bool + Send + Sync + 'a>;
type CancelFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
type DeviceCodeCallback<'a> = Box<dyn Fn(&DeviceFlow) + Send + Sync + 'a>;

/// `acquire_token_by_device_flow`: see [`PublicClientApplication::acquire_token_by_device_flow`](crate::PublicClientApplication::acquire_token_by_device_flow).
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct AcquireTokenByDeviceFlow<'a> {
    pub(crate) core: &'a AppCore,
    pub(crate) flow: DeviceFlow,
    pub(crate) options: RequestOptions,
    pub(crate) exit_condition: Option<ExitCondition<'a>>,
    pub(crate) cancel: Option<CancelFuture<'a>>,
}

impl fmt::Debug for AcquireTokenByDeviceFlow<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireTokenByDeviceFlow")
            .field("flow", &self.flow)
            .finish_non_exhaustive()
    }
}

impl<'a> AcquireTokenByDeviceFlow<'a> {
    /// A claims challenge to satisfy.
    pub fn claims_challenge(mut self, claims: impl Into<String>) -> Self {
        self.options.claims_challenge = Some(claims.into());
        self
    }

    /// An extra form field for the token requests that poll (Python's `data=`).
    pub fn extra_body_param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.extra_body.push((key.into(), value.into()));
        self
    }

    /// An extra query parameter for the token requests that poll (Python's `params=`).
    pub fn extra_query_param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.extra_query.push((key.into(), value.into()));
        self
    }

    /// Stop polling (with [`Error::Cancelled`]) when this returns true; checked before each poll.
    pub fn exit_condition(mut self, f: impl Fn(&DeviceFlow) -> bool + Send + Sync + 'a) -> Self {
        self.exit_condition = Some(Box::new(f));
        self
    }

    /// Stop polling (with [`Error::Cancelled`]) when `fut` completes, e.g. `tokio::signal::ctrl_c()`.
    /// Dropping the request's future cancels too.
    pub fn cancel_on<F>(mut self, fut: F) -> Self
    where
        F: Future + Send + 'a,
    {
        self.cancel = Some(Box::pin(async move {
            let _ = fut.await;
        }));
        self
    }

    /// Polls until the user finishes, declines, or the code expires.
    pub async fn send(mut self) -> Result<AuthenticationResult> {
        let cancel = self.cancel.take();
        let poll = self.poll_loop();
        match cancel {
            None => poll.await,
            Some(cancel) => race(poll, cancel).await,
        }
    }

    async fn poll_loop(mut self) -> Result<AuthenticationResult> {
        let core = self.core;
        self.options.validate()?;
        let metadata = core.metadata().await?;
        loop {
            if self.exit_condition.as_ref().is_some_and(|f| f(&self.flow)) {
                return Err(Error::Cancelled);
            }
            if core.now() >= self.flow.expires_at {
                return Err(Error::DeviceCodeExpired(None));
            }
            let outcome = core
                .grant(
                    ApiId::AcquireTokenByDeviceFlow,
                    DEVICE_CODE_GRANT,
                    &self.options,
                    &self.flow.correlation_id,
                )
                .field("device_code", self.flow.device_code.clone())
                // MSAL Python also sends `code`: older service versions read it.
                .field("code", self.flow.device_code.clone())
                .endpoint(metadata.token_endpoint.clone())
                .send()
                .await;
            match outcome {
                Ok(response) => {
                    let event = core.event(
                        &response,
                        &self.flow.scopes,
                        DEVICE_CODE_GRANT,
                        &self.flow.correlation_id,
                    );
                    return crate::flows::pop::finish_with_scheme(core, event, &self.options).await;
                }
                Err(e) => {
                    let code = e
                        .service_error()
                        .map(|s| s.error.clone())
                        .unwrap_or_default();
                    match code.as_str() {
                        "authorization_pending" => {}
                        "slow_down" => {
                            self.flow.interval = self.flow.interval.saturating_add(SLOW_DOWN_STEP);
                        }
                        "expired_token" | "code_expired" => {
                            return Err(Error::DeviceCodeExpired(
                                e.service_error().cloned().map(Box::new),
                            ));
                        }
                        "authorization_declined" | "access_denied" => {
                            return Err(Error::AuthorizationDeclined(Box::new(
                                e.service_error().cloned().unwrap_or_default(),
                            )));
                        }
                        _ => return Err(e),
                    }
                }
            }
            let remaining = self
                .flow
                .expires_at
                .duration_since(core.now())
                .unwrap_or(Duration::ZERO);
            core.sleep
                .sleep(self.flow.interval.min(remaining).max(MIN_INTERVAL))
                .await;
        }
    }
}

/// Runs `work` until `cancel` completes first.
async fn race<T>(work: impl Future<Output = Result<T>>, cancel: CancelFuture<'_>) -> Result<T> {
    let mut work = std::pin::pin!(work);
    let mut cancel = cancel;
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(r) = work.as_mut().poll(cx) {
            return Poll::Ready(r);
        }
        if cancel.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(Error::Cancelled));
        }
        Poll::Pending
    })
    .await
}

into_future!(AcquireTokenByDeviceFlow, AuthenticationResult);

/// `acquire_token_with_device_code`: both legs, with a callback to show the message.
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct AcquireTokenWithDeviceCode<'a> {
    pub(crate) core: &'a AppCore,
    pub(crate) scopes: Vec<String>,
    pub(crate) options: RequestOptions,
    pub(crate) on_device_code: Option<DeviceCodeCallback<'a>>,
    pub(crate) cancel: Option<CancelFuture<'a>>,
}

impl fmt::Debug for AcquireTokenWithDeviceCode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireTokenWithDeviceCode")
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl<'a> AcquireTokenWithDeviceCode<'a> {
    /// Called once with the flow, to show [`DeviceFlow::message`]. Default: print it to stderr.
    pub fn on_device_code(mut self, f: impl Fn(&DeviceFlow) + Send + Sync + 'a) -> Self {
        self.on_device_code = Some(Box::new(f));
        self
    }

    /// A claims challenge to satisfy.
    pub fn claims_challenge(mut self, claims: impl Into<String>) -> Self {
        self.options.claims_challenge = Some(claims.into());
        self
    }

    /// An extra form field for the device authorization request and the token requests that poll (both legs) (Python's `data=`).
    pub fn extra_body_param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.extra_body.push((key.into(), value.into()));
        self
    }

    /// An extra query parameter for the device authorization request and the token requests that poll (both legs) (Python's `params=`).
    pub fn extra_query_param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.extra_query.push((key.into(), value.into()));
        self
    }

    /// Stop (with [`Error::Cancelled`]) when `fut` completes.
    pub fn cancel_on<F>(mut self, fut: F) -> Self
    where
        F: Future + Send + 'a,
    {
        self.cancel = Some(Box::pin(async move {
            let _ = fut.await;
        }));
        self
    }

    /// Runs both legs.
    pub async fn send(self) -> Result<AuthenticationResult> {
        let flow = initiate(self.core, &self.scopes, &self.options).await?;
        match &self.on_device_code {
            Some(f) => f(&flow),
            None => eprintln!("{}", flow.message),
        }
        AcquireTokenByDeviceFlow {
            core: self.core,
            flow,
            options: self.options,
            exit_condition: None,
            cancel: self.cancel,
        }
        .send()
        .await
    }
}

into_future!(AcquireTokenWithDeviceCode, AuthenticationResult);

#[cfg(test)]
mod props;
