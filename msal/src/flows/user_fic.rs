//! User federated identity credential (`user_fic`, MSAL Python's
//! `acquire_token_by_user_federated_identity_credential`): an agent presents a federated
//! credential to act as a user identified by object id or UPN.

use msal_core::{
    AuthenticationResult, Error, Result,
    token_endpoint::{
        Form, scopes,
        telemetry::{ApiId, CacheInfo},
    },
};

use crate::{
    app::core::{AppCore, Redeemed},
    request::{RequestOptions, into_future, request_options},
};

/// Which user: exactly one of a UPN or an object id (the type enforces Python's "exactly one").
#[derive(Debug, Clone, PartialEq, Eq)]
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
        let metadata = core.metadata().await?;
        let correlation_id = self.options.correlation_id();
        let mut form = Form::new();
        form.set("client_id", core.client_id.clone())
            .set("grant_type", "user_fic")
            .set(
                "user_federated_identity_credential",
                self.assertion.secret(),
            )
            .set("scope", scopes::join(&decorated));
        let (anchor, username) = match &self.user {
            UserIdentifier::Username(u) => {
                form.set("username", u.clone());
                (format!("upn:{u}"), Some(u.clone()))
            }
            UserIdentifier::ObjectId(oid) => {
                form.set("user_id", oid.clone());
                (format!("Oid:{oid}@{}", core.authority.tenant()), None)
            }
        };
        let response = core
            .send_grant(
                &metadata.token_endpoint,
                form,
                &self.options,
                ApiId::AcquireTokenByUserFic,
                CacheInfo::NotApplicable,
                &correlation_id,
                Some(anchor),
                None,
            )
            .await?;
        let mut redeemed = Redeemed::new(response, &self.scopes, "user_fic", correlation_id);
        redeemed.username = username;
        crate::flows::pop::finish_with_scheme(core, redeemed, &self.options).await
    }
}

into_future!(AcquireTokenByUserFic, AuthenticationResult);
