//! `GET|POST /{tenant}/oauth2/v2.0/authorize`: signs a user in without UI and redirects back
//! with a code.
//!
//! Errors are triggered by [`crate::EmulatorConfig::authorize_error`] or, per request, by a
//! magic `login_hint` of the form `<error>@error.invalid` (e.g. `access_denied@error.invalid`).

use crate::config::UserConfig;
use crate::crypto::random_token;
use crate::routes::{check_tenant, oauth_prefix};
use crate::state::{AuthCode, Shared};
use crate::tokens::{client_info, split_scopes};
use crate::wire::{AadError, Reply, Req, html_escape, now_secs};

/// The domain of magic `login_hint`s that ask for an error.
pub(crate) const ERROR_HINT_DOMAIN: &str = "@error.invalid";

/// How long a code may be redeemed after issue (Entra: about 10 minutes).
const CODE_LIFETIME: u64 = 600;

pub(super) fn authorize(shared: &Shared, req: &Req) -> Reply {
    let segments = oauth_prefix(&req.path, "authorize");
    if let Err(reply) = check_tenant(shared, req, &segments) {
        return reply;
    }
    let Some(client_id) = req.param("client_id") else {
        return AadError::missing("client_id").reply(req);
    };
    let Some(client) = shared.config.client(client_id) else {
        return AadError::new(
            400,
            "unauthorized_client",
            700016,
            format!("Application with identifier '{client_id}' was not found in the directory."),
        )
        .reply(req);
    };
    let Some(redirect_uri) = req.param("redirect_uri") else {
        return AadError::missing("redirect_uri").reply(req);
    };
    let registered = client.redirect_uris.iter().any(|r| r == redirect_uri);
    if !registered && !is_loopback(redirect_uri) {
        // Entra shows an error page rather than redirecting to an unverified URI.
        return AadError::invalid_request(
            50011,
            format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'."
            ),
        )
        .reply(req);
    }
    let back = Redirect {
        uri: redirect_uri.to_owned(),
        mode: req.param("response_mode").unwrap_or("query").to_owned(),
        state: req.param("state").map(str::to_owned),
    };

    if req.param("response_type") != Some("code") {
        return back.error(
            "unsupported_response_type",
            "AADSTS700054: Only response_type=code is emulated.",
        );
    }
    if let Some(error) = &shared.config.authorize_error {
        return back.error(
            error,
            "AADSTS90000: Error requested by the emulator configuration.",
        );
    }
    let login_hint = req.param("login_hint");
    if let Some(error) = login_hint.and_then(|h| h.strip_suffix(ERROR_HINT_DOMAIN)) {
        return back.error(error, "AADSTS90000: Error requested by the login_hint.");
    }
    let challenge = req.param("code_challenge");
    if challenge.is_some() && req.param("code_challenge_method") != Some("S256") {
        return back.error(
            "invalid_request",
            "AADSTS501491: Only code_challenge_method=S256 is accepted.",
        );
    }
    let prompt_none = req.param("prompt") == Some("none");
    let user: Option<&UserConfig> = match login_hint {
        Some(hint) => shared.config.user(hint),
        None => shared.config.default_user(),
    };
    let Some(user) = user else {
        return if prompt_none {
            back.error(
                "login_required",
                "AADSTS50058: A silent sign-in request was sent but no user is signed in.",
            )
        } else {
            back.error(
                "access_denied",
                "AADSTS50034: The user account does not exist in the directory.",
            )
        };
    };

    let code = format!("code.{}", random_token(32));
    crate::faults::lock(&shared.grants).codes.insert(
        code.clone(),
        AuthCode {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            user: user.clone(),
            scopes: split_scopes(req.param("scope")),
            nonce: req.param("nonce").map(str::to_owned),
            code_challenge: challenge.map(str::to_owned),
            claims: req.param("claims").map(str::to_owned),
            expires_at: now_secs() + CODE_LIFETIME,
            redeemed: false,
        },
    );
    let mut params = vec![("code".to_owned(), code)];
    if req.param("client_info") == Some("1") {
        params.push((
            "client_info".to_owned(),
            client_info(&user.oid, &shared.config.tenant_id),
        ));
    }
    params.push(("session_state".to_owned(), uuid::Uuid::new_v4().to_string()));
    back.send(params)
}

/// `http://localhost`, `http://127.0.0.1` or `http://[::1]` on any port.
pub(super) fn is_loopback(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| {
        u.scheme() == "http" && matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
    })
}

/// Where and how to send the authorization response.
#[derive(Debug)]
struct Redirect {
    uri: String,
    mode: String,
    state: Option<String>,
}

impl Redirect {
    fn error(&self, error: &str, description: &str) -> Reply {
        self.send(vec![
            ("error".to_owned(), error.to_owned()),
            ("error_description".to_owned(), description.to_owned()),
        ])
    }

    fn send(&self, mut params: Vec<(String, String)>) -> Reply {
        if let Some(state) = &self.state {
            params.push(("state".to_owned(), state.clone()));
        }
        match self.mode.as_str() {
            "form_post" => Reply::html(200, self.form_post_page(&params)),
            "fragment" => {
                let encoded = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(&params)
                    .finish();
                Reply::redirect(format!("{}#{encoded}", self.uri))
            }
            _ => match url::Url::parse(&self.uri) {
                Ok(mut url) => {
                    url.query_pairs_mut().extend_pairs(&params);
                    Reply::redirect(url.to_string())
                }
                Err(_) => Reply::text(400, "redirect_uri is not a URL"),
            },
        }
    }

    /// The page Entra returns for `response_mode=form_post`: a form that submits itself.
    fn form_post_page(&self, params: &[(String, String)]) -> String {
        let inputs: String = params
            .iter()
            .map(|(k, v)| {
                format!(
                    r#"<input type="hidden" name="{}" value="{}" />"#,
                    html_escape(k),
                    html_escape(v)
                )
            })
            .collect();
        format!(
            r#"<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="{}">{inputs}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form><script language="javascript">document.forms[0].submit();</script></body></html>"#,
            html_escape(&self.uri)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_uris() {
        assert!(is_loopback("http://localhost:8400/callback"));
        assert!(is_loopback("http://127.0.0.1:1234"));
        assert!(!is_loopback("https://localhost"));
        assert!(!is_loopback("http://evil.example/cb"));
    }

    #[test]
    fn form_post_escapes_values() {
        let r = Redirect {
            uri: "http://localhost/cb".into(),
            mode: "form_post".into(),
            state: Some("a\"b".into()),
        };
        let page = String::from_utf8(r.send(vec![]).body).unwrap();
        assert!(page.contains(r#"name="state" value="a&quot;b""#));
    }
}
