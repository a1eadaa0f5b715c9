//! `GET|POST /{tenant}/oauth2/v2.0/logout`: the end-session endpoint the OpenID configuration
//! names. The emulator keeps no browser session, so signing out only sends the browser back to
//! `post_logout_redirect_uri`, checked as Entra checks redirect URIs (registered for the client,
//! or loopback), or shows a "signed out" page.

use crate::routes::{authorize::is_loopback, check_tenant, oauth_prefix};
use crate::state::Shared;
use crate::wire::{AadError, Reply, Req};

pub(super) fn logout(shared: &Shared, req: &Req) -> Reply {
    let segments = oauth_prefix(&req.path, "logout");
    if let Err(reply) = check_tenant(shared, req, &segments) {
        return reply;
    }
    let Some(target) = req.param("post_logout_redirect_uri") else {
        return Reply::html(
            200,
            "<!doctype html><title>Signed out</title><p>You signed out of your account.</p>"
                .to_owned(),
        );
    };
    let registered = req
        .param("client_id")
        .and_then(|id| shared.config.client(id))
        .is_some_and(|c| c.redirect_uris.iter().any(|r| r == target));
    if !registered && !is_loopback(target) {
        // Entra refuses to redirect to an unregistered address rather than open a redirector.
        return AadError::invalid_request(
            50011,
            format!(
                "The post_logout_redirect_uri '{target}' does not match the redirect URIs configured for the application."
            ),
        )
        .reply(req);
    }
    let mut location = target.to_owned();
    if let Some(state) = req.param("state") {
        let sep = if location.contains('?') { '&' } else { '?' };
        location.push(sep);
        location.push_str(
            &form_urlencoded::Serializer::new(String::new())
                .append_pair("state", state)
                .finish(),
        );
    }
    Reply::redirect(location)
}
