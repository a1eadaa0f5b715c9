//! A stand-in for the user's browser, used only with the emulator so the examples finish on their
//! own. The emulator signs its user in without UI and answers with the page Entra ID serves for
//! `response_mode=form_post`: a form that submits the code to the app's redirect URI. A browser
//! runs its script; this reads the form and posts it.

#![allow(dead_code, unreachable_pub)]

use msal::http::{HttpClient, ReqwestClient};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Opens `url` as a browser would: follows redirects, then submits the sign-in form. Returns the
/// page the app's redirect URI answered.
pub async fn sign_in(http: &ReqwestClient, url: &str) -> Result<String, BoxError> {
    let mut url = url.to_owned();
    // The HTTP client never follows redirects (MSAL needs them raw), so do it here.
    let page = loop {
        let response = http
            .send(http::Request::get(&url).body(Vec::new())?)
            .await?;
        match response.headers().get(http::header::LOCATION) {
            Some(next) if response.status().is_redirection() => url = next.to_str()?.to_owned(),
            _ => break String::from_utf8(response.into_body())?,
        }
    };
    let action = attribute(&page, "action").ok_or("no form on the sign-in page")?;
    let fields: Vec<(String, String)> = page
        .split("<input ")
        .skip(1)
        .filter_map(|input| Some((attribute(input, "name")?, attribute(input, "value")?)))
        .collect();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&fields)
        .finish();
    let post = http::Request::post(action)
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body.into_bytes())?;
    Ok(String::from_utf8(http.send(post).await?.into_body())?)
}

/// The first `name="…"` attribute in `html`, unescaped.
fn attribute(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("{name}=\""))? + name.len() + 2;
    let len = html[start..].find('"')?;
    Some(
        html[start..start + len]
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}
