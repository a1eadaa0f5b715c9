//! A scripted stand-in for a browser, for the tests and the example: it keeps cookies, follows
//! redirects, and submits the self-posting forms (the identity provider's form_post page, the
//! app's bounce page) as a browser's script would. It sends its cookies to every `http://` URL on
//! the loopback host, as a browser shares cookies across the ports of one host.

#![allow(dead_code, unreachable_pub)]

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, PoisonError},
};

use msal::http::{HttpClient, ReqwestClient};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a page load ended on.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: String,
    pub status: u16,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Browser {
    http: ReqwestClient,
    cookies: Arc<Mutex<BTreeMap<String, String>>>,
    /// Every URL requested, in order (to check that no secret is ever in one).
    visited: Arc<Mutex<Vec<String>>>,
    /// Every `Set-Cookie` header received.
    set_cookies: Arc<Mutex<Vec<String>>>,
}

impl Browser {
    pub fn new(http: ReqwestClient) -> Self {
        Self {
            http,
            cookies: Arc::default(),
            visited: Arc::default(),
            set_cookies: Arc::default(),
        }
    }

    pub fn visited(&self) -> Vec<String> {
        lock(&self.visited).clone()
    }

    pub fn set_cookie_headers(&self) -> Vec<String> {
        lock(&self.set_cookies).clone()
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        lock(&self.cookies).get(name).cloned()
    }

    pub fn forget_cookies(&self) {
        lock(&self.cookies).clear();
    }

    /// Opens `url` with extra request headers, follows redirects and self-posting forms, and
    /// returns the page it ends on.
    pub async fn open_with(&self, url: &str, headers: &[(&str, &str)]) -> Result<Page, BoxError> {
        let mut request = Some(("GET", url.to_owned(), Vec::new()));
        for _ in 0..20 {
            let Some((method, url, body)) = request.take() else {
                break;
            };
            let page = self.send(method, &url, body, headers).await?;
            if let Some(next) = page.1 {
                request = Some(("GET", next, Vec::new()));
                continue;
            }
            let page = page.0;
            if let Some((action, fields)) = self_posting_form(&page.body) {
                let action = resolve(&page.url, &action)?;
                let body = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(&fields)
                    .finish();
                request = Some(("POST", action, body.into_bytes()));
                continue;
            }
            return Ok(page);
        }
        Err("too many redirects".into())
    }

    pub async fn open(&self, url: &str) -> Result<Page, BoxError> {
        self.open_with(url, &[]).await
    }

    /// One request, no redirect followed: the page and, for a redirect, where it points.
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Result<(Page, Option<String>), BoxError> {
        lock(&self.visited).push(url.to_owned());
        let mut builder = http::Request::builder().method(method).uri(url);
        if url.starts_with("http://") {
            let jar = lock(&self.cookies)
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            if !jar.is_empty() {
                builder = builder.header(http::header::COOKIE, jar);
            }
        }
        if method == "POST" {
            builder = builder.header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            );
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let response = self.http.send(builder.body(body)?).await?;
        for value in response.headers().get_all(http::header::SET_COOKIE) {
            let value = value.to_str()?.to_owned();
            self.store_cookie(&value);
            lock(&self.set_cookies).push(value);
        }
        let status = response.status().as_u16();
        let location = match response.headers().get(http::header::LOCATION) {
            Some(next) if response.status().is_redirection() => Some(resolve(url, next.to_str()?)?),
            _ => None,
        };
        let page = Page {
            url: url.to_owned(),
            status,
            body: String::from_utf8_lossy(response.body()).into_owned(),
        };
        Ok((page, location))
    }

    fn store_cookie(&self, header: &str) {
        let mut parts = header.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.trim().split_once('=')) else {
            return;
        };
        let removed = parts.any(|attr| {
            let attr = attr.trim().to_ascii_lowercase();
            attr == "max-age=0" || attr.starts_with("expires=thu, 01 jan 1970")
        });
        let mut jar = lock(&self.cookies);
        if removed || value.is_empty() {
            jar.remove(name);
        } else {
            jar.insert(name.to_owned(), value.to_owned());
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn resolve(base: &str, location: &str) -> Result<String, BoxError> {
    Ok(url::Url::parse(base)?.join(location)?.to_string())
}

/// The action and fields of a page's form when the page submits it by script.
fn self_posting_form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    if !html.contains("document.forms[0].submit()") {
        return None;
    }
    let action = attribute(html, "action")?;
    let fields = html
        .split("<input ")
        .skip(1)
        .filter_map(|input| Some((attribute(input, "name")?, attribute(input, "value")?)))
        .collect();
    Some((action, fields))
}

/// The first `name="…"` attribute in `html`, unescaped.
fn attribute(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!(" {name}=\""))? + name.len() + 3;
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
