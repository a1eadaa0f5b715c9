//! User federated identity credential (`user_fic`, MSAL Python's
//! `acquire_token_by_user_federated_identity_credential`): an agent presents a federated
//! credential to act as a user identified by object id or UPN.

use msal_core::{
    AuthenticationResult, Error, Result,
    token_endpoint::{scopes, telemetry::ApiId},
};

use crate::{
    app::core::AppCore,
    request::{RequestOptions, into_future, request_options},
};

/// Which user: exactly one of a UPN or an object id (the type enforces Python's "exactly one").
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_enums,
    reason = "exactly one of a username or an object id, as MSAL Python takes"
)]
pub enum UserIdentifier {
    /// The user principal name.
    Username(String),
    /// The user's object id in the authority's tenant.
    ObjectId(String),
}

/// `acquire_token_by_user_federated_identity_credential`.
#[must_use = "a request does nothing until it is sent or awaited"]
#[derive(Debug)]
pub struct AcquireTokenByUserFic<'a> {
    pub(crate) core: &'a AppCore,
    pub(crate) scopes: Vec<String>,
    pub(crate) assertion: msal_core::ClientSecret,
    pub(crate) user: UserIdentifier,
    pub(crate) options: RequestOptions,
}

impl<'a> AcquireTokenByUserFic<'a> {
    request_options!();

    /// Sends the request.
    pub async fn send(self) -> Result<AuthenticationResult> {
        let core = self.core;
        self.options.validate()?;
        if self.assertion.is_empty() {
            return Err(Error::InvalidArgument(
                "the federated identity credential is empty".into(),
            ));
        }
        let decorated = scopes::decorate(&self.scopes, &core.exclude_scopes)?;
        let correlation_id = self.options.correlation_id();
        let grant = core
            .grant(
                ApiId::AcquireTokenByUserFic,
                "user_fic",
                &self.options,
                &correlation_id,
            )
            .field(
                "user_federated_identity_credential",
                self.assertion.secret(),
            )
            .scopes(&decorated);
        let (grant, username) = match &self.user {
            UserIdentifier::Username(u) => (
                grant
                    .field("username", u.clone())
                    .anchor_mailbox(format!("upn:{u}")),
                Some(u.clone()),
            ),
            UserIdentifier::ObjectId(oid) => (
                grant
                    .field("user_id", oid.clone())
                    .anchor_mailbox(format!("Oid:{oid}@{}", core.authority.tenant())),
                None,
            ),
        };
        let response = grant.send().await?;
        let mut event = core.event(&response, &self.scopes, "user_fic", &correlation_id);
        event.username = username;
        crate::flows::pop::finish_with_scheme(core, event, &self.options).await
    }
}

into_future!(AcquireTokenByUserFic, AuthenticationResult);
