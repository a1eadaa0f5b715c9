//! The handlers behind [`MsalAuth::router`]: sign-in, the redirect URI, sign-out.

use axum::{
    body::Bytes,
    extract::RawQuery,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use msal::{AuthResponse, ClientApplication as _, ResponseMode};
use tower_sessions::Session;

use crate::{
    MsalAuth,
    session::{self, MAX_PENDING, PendingSignIn, SessionUser},
};

/// The field the bounce page adds, so a second miss fails instead of looping.
const BOUNCED: &str = "msal_bounce";

/// The longest `scope` or `claims` the sign-in route passes on; anything longer is not a real
/// incremental-consent request.
const MAX_PARAM_LEN: usize = 4096;

/// `GET {sign_in}?return_to=/path[&scope=..][&claims=..]`: starts the auth code flow with PKCE
/// and sends the browser to the identity provider.
pub(crate) async fn sign_in(auth: MsalAuth, session: Session, query: RawQuery) -> Response {
    let mut return_to = None;
    let mut extra_scopes = Vec::new();
    let mut claims = None;
    for (key, value) in form_urlencoded::parse(query.0.as_deref().unwrap_or_default().as_bytes()) {
        match &*key {
            "return_to" => return_to = Some(value.into_owned()),
            "scope" if value.len() <= MAX_PARAM_LEN => {
                extra_scopes.extend(
                    value
                        .split(' ')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned),
                );
            }
            "claims" if value.len() <= MAX_PARAM_LEN => claims = Some(value.into_owned()),
            _ => {}
        }
    }
    let return_to = session::safe_return_to(return_to.as_deref());
    let inner = &auth.inner;
    let mut scopes = inner.scopes.clone();
    for scope in extra_scopes {
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }

    // Asking a signed-in user for more (incremental consent, a claims challenge) should not make
    // them pick their account again.
    let signed_in = match session.get::<SessionUser>(session::USER).await {
        Ok(user) => user,
        Err(e) => return session_failure(&e),
    };
    let mut request = inner
        .app
        .initiate_auth_code_flow(&scopes)
        .redirect_uri(&inner.redirect_uri)
        // The code arrives in a POST body instead of the URL, so it stays out of browser history,
        // proxies and access logs.
        .response_mode(ResponseMode::FormPost);
    if let Some(claims) = claims {
        request = request.claims_challenge(claims);
    }
    if let Some(user) = &signed_in {
        request = request.login_hint(&user.account.username);
    }
    let flow = match request.await {
        Ok(flow) => flow,
        Err(e) => {
            tracing::warn!(target: "msal_axum", error = %e, "could not start a sign-in");
            return failure(
                StatusCode::BAD_GATEWAY,
                &format!("Sign-in could not start: {e}."),
                &auth,
            );
        }
    };

    let mut pending = match pending_sign_ins(&session).await {
        Ok(pending) => pending,
        Err(e) => return session_failure(&e),
    };
    if pending.len() >= MAX_PENDING {
        pending.remove(0);
    }
    let auth_uri = flow.auth_uri().to_owned();
    pending.push(PendingSignIn { flow, return_to });
    if let Err(e) = session.insert(session::PENDING, pending).await {
        return session_failure(&e);
    }
    tracing::debug!(target: "msal_axum", "sign-in started");
    see_other(&auth_uri)
}

/// `POST {callback}`: the identity provider's form_post answer. Checks it against the pending
/// flow (state, then nonce and PKCE when the code is redeemed), rotates the session id and
/// returns to the page the sign-in started from.
pub(crate) async fn callback(auth: MsalAuth, session: Session, body: Bytes) -> Response {
    let fields: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let bounced = fields.iter().any(|(k, _)| k == BOUNCED);
    let answer: Vec<&(String, String)> = fields.iter().filter(|(k, _)| k != BOUNCED).collect();
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(answer.iter().map(|(k, v)| (k, v)))
        .finish();
    let response = match AuthResponse::from_form(encoded.as_bytes()) {
        Ok(response) => response,
        Err(e) => {
            return failure(
                StatusCode::BAD_REQUEST,
                &format!("Sign-in failed: {e}."),
                &auth,
            );
        }
    };

    let mut pending = match pending_sign_ins(&session).await {
        Ok(pending) => pending,
        Err(e) => return session_failure(&e),
    };
    let state = response.get("state").unwrap_or_default();
    let Some(index) = pending.iter().position(|p| p.flow.state() == state) else {
        if !bounced {
            // The identity provider's page posted here from another site, so a `SameSite=Lax`
            // cookie was not sent. Posting the same answer again from this app's own page makes
            // it a same-site request that carries the cookie. The state is still checked against
            // this browser's session then, so an answer injected from elsewhere still fails.
            return bounce(&auth, &answer);
        }
        tracing::warn!(target: "msal_axum", "sign-in answer for no pending sign-in of this session");
        return failure(
            StatusCode::BAD_REQUEST,
            "This sign-in is unknown to this browser session: it expired, was already completed, \
             or was started elsewhere.",
            &auth,
        );
    };
    // Removed before redeeming: a flow is good for one answer, whatever happens next.
    let PendingSignIn { flow, return_to } = pending.remove(index);
    if let Err(e) = session.insert(session::PENDING, &pending).await {
        return session_failure(&e);
    }

    let result = match auth
        .inner
        .app
        .acquire_token_by_auth_code_flow(&flow, response)
        .await
    {
        Ok(result) => result,
        Err(e) => {
            // msal's messages never contain tokens or codes.
            tracing::warn!(target: "msal_axum", error = %e, "sign-in failed");
            return failure(
                StatusCode::BAD_REQUEST,
                &format!("Sign-in failed: {e}."),
                &auth,
            );
        }
    };
    let Some(account) = result.account().cloned() else {
        return failure(
            StatusCode::BAD_GATEWAY,
            "Sign-in failed: the identity provider returned no account (was the openid scope \
             removed?).",
            &auth,
        );
    };
    let user = SessionUser {
        account,
        claims: result.id_token_claims().cloned().unwrap_or_default(),
    };
    // A new session id at the privilege change: an id planted in the browser before sign-in
    // (session fixation) is worthless after it.
    if let Err(e) = session.cycle_id().await {
        return session_failure(&e);
    }
    if let Err(e) = session.insert(session::USER, &user).await {
        return session_failure(&e);
    }
    tracing::info!(target: "msal_axum", "user signed in");
    see_other(&return_to)
}

/// `GET|POST {sign_out}`: removes the user's tokens from the cache (their partition), ends the
/// session, and sends the browser to the identity provider's end-session endpoint.
pub(crate) async fn sign_out(auth: MsalAuth, session: Session) -> Response {
    let inner = &auth.inner;
    if let Ok(Some(user)) = session.get::<SessionUser>(session::USER).await
        && let Err(e) = inner.app.remove_account(&user.account).await
    {
        // The session still ends: the user asked to leave, and the tokens are unreachable
        // without it.
        tracing::warn!(target: "msal_axum", error = %e, "could not remove the account's tokens");
    }
    if let Err(e) = session.flush().await {
        return session_failure(&e);
    }
    let location = match &inner.end_session_endpoint {
        Some(endpoint) => match url::Url::parse(endpoint) {
            Ok(mut url) => {
                url.query_pairs_mut()
                    .append_pair("post_logout_redirect_uri", &inner.post_logout_redirect_uri)
                    .append_pair("client_id", msal::ClientApplication::client_id(&inner.app));
                url.to_string()
            }
            Err(_) => inner.paths.after_sign_out.clone(),
        },
        None => inner.paths.after_sign_out.clone(),
    };
    tracing::info!(target: "msal_axum", "user signed out");
    see_other(&location)
}

/// The sign-ins waiting in the session. An entry this version cannot read (another version's
/// format) counts as none; a failing store is an error, not an empty list, so an outage is not
/// reported to the user as an unknown sign-in.
async fn pending_sign_ins(
    session: &Session,
) -> Result<Vec<PendingSignIn>, tower_sessions::session::Error> {
    match session.get::<Vec<PendingSignIn>>(session::PENDING).await {
        Ok(pending) => Ok(pending.unwrap_or_default()),
        Err(tower_sessions::session::Error::SerdeJson(_)) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// `303 See Other`, never cached.
pub(crate) fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, value),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The page that posts the identity provider's answer again, from this app's origin.
fn bounce(auth: &MsalAuth, fields: &[&(String, String)]) -> Response {
    let inputs: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                r#"<input type="hidden" name="{}" value="{}">"#,
                escape(k),
                escape(v)
            )
        })
        .collect();
    let html = format!(
        r#"<!doctype html><html><head><title>Signing in…</title></head><body><form method="POST" action="{}">{inputs}<input type="hidden" name="{BOUNCED}" value="1"><noscript><p>Click Continue to finish signing in.</p><input type="submit" value="Continue"></noscript></form><script>document.forms[0].submit();</script></body></html>"#,
        escape(&auth.inner.paths.callback)
    );
    html_page(StatusCode::OK, html)
}

/// An error page with a way back in. `message` is escaped.
fn failure(status: StatusCode, message: &str, auth: &MsalAuth) -> Response {
    let html = format!(
        r#"<!doctype html><html><head><title>Sign-in</title></head><body><p>{}</p><p><a href="{}">Sign in again</a></p></body></html>"#,
        escape(message),
        escape(&auth.inner.paths.sign_in)
    );
    html_page(status, html)
}

fn session_failure(e: &tower_sessions::session::Error) -> Response {
    tracing::error!(target: "msal_axum", error = %e, "session store failed");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "The session store is unavailable; try again shortly.",
    )
        .into_response()
}

/// An HTML page that no cache keeps and no referrer leaks from (the bounce page carries a code).
fn html_page(status: StatusCode, html: String) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        html,
    )
        .into_response()
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}
