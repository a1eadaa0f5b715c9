//! The pages the loopback listener shows in the browser, and their `$name` templates.

/// The line MSAL Python appends to both result pages.
const SECURITY_NOTE: &str = "For your security: Do not share the contents of this page, the \
    address bar, or take screenshots.";

/// The caller's templates; `None` means MSAL Python's plain-text page.
#[derive(Debug, Clone, Default)]
pub(crate) struct Templates {
    pub(crate) welcome: Option<String>,
    pub(crate) success: Option<String>,
    pub(crate) error: Option<String>,
}

/// A page to send: its content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) html: bool,
    pub(crate) body: String,
}

/// The values a template may use.
#[derive(Debug, Default)]
pub(crate) struct Vars<'v> {
    pub(crate) error: &'v str,
    pub(crate) error_description: &'v str,
    pub(crate) error_uri: &'v str,
    pub(crate) auth_uri: &'v str,
    pub(crate) abort_uri: &'v str,
}

impl Vars<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "error" => self.error,
            "error_description" => self.error_description,
            "error_uri" => self.error_uri,
            "auth_uri" => self.auth_uri,
            "abort_uri" => self.abort_uri,
            _ => return None,
        })
    }
}

impl Templates {
    pub(crate) fn success(&self, vars: &Vars<'_>) -> Page {
        let default = format!(
            "Authentication complete. You can return to the application. Please close this \
             browser tab.\n\n{SECURITY_NOTE}"
        );
        render(self.success.as_deref().unwrap_or(&default), vars)
    }

    pub(crate) fn error(&self, vars: &Vars<'_>) -> Page {
        let default = format!(
            "Authentication failed. $error: $error_description. ($error_uri).\n\n{SECURITY_NOTE}"
        );
        render(self.error.as_deref().unwrap_or(&default), vars)
    }

    /// The welcome page, only when the caller gave one.
    pub(crate) fn welcome(&self, vars: &Vars<'_>) -> Option<Page> {
        self.welcome.as_deref().map(|t| render(t, vars))
    }
}

/// Substitutes `$name` and `${name}` (Python's `string.Template.safe_substitute`): unknown names
/// and lone `$` stay as they are, `$$` is a literal `$`. A template that starts with `<` is HTML,
/// and then every value is HTML-escaped: they come from the redirect, which anyone can forge.
pub(crate) fn render(template: &str, vars: &Vars<'_>) -> Page {
    let html = template.trim_start().starts_with('<');
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
            continue;
        }
        let (name, consumed) = match after.strip_prefix('{') {
            Some(braced) => match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            },
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], end)
            }
        };
        match vars.get(name).filter(|_| consumed > 0) {
            Some(value) if html => out.push_str(&html_escape(value)),
            Some(value) => out.push_str(value),
            None => {
                out.push('$');
                rest = after;
                continue;
            }
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    Page { html, body: out }
}

/// Escapes text for HTML content and quoted attribute values.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars<'static> {
        Vars {
            error: "access_denied",
            error_description: "<script>x</script>",
            error_uri: "https://e.example/?a=1&b=2",
            auth_uri: "https://login.example/authorize?x=1&y=2",
            abort_uri: "http://localhost:1/?error=abort",
        }
    }

    #[test]
    fn html_templates_escape_every_value() {
        let p = render(
            "<p>$error: ${error_description} $error_uri <a href=\"$abort_uri\">x</a></p>",
            &vars(),
        );
        assert!(p.html);
        assert_eq!(
            p.body,
            "<p>access_denied: &lt;script&gt;x&lt;/script&gt; https://e.example/?a=1&amp;b=2 \
             <a href=\"http://localhost:1/?error=abort\">x</a></p>"
        );
    }

    #[test]
    fn text_templates_substitute_like_python() {
        let p = render("$error_description|$error|$$|$unknown|${x|$", &vars());
        assert!(!p.html);
        assert_eq!(p.body, "<script>x</script>|access_denied|$|$unknown|${x|$");
    }

    #[test]
    fn defaults_are_msal_pythons_plain_text() {
        let t = Templates::default();
        let e = t.error(&vars());
        assert!(!e.html);
        assert!(e.body.starts_with(
            "Authentication failed. access_denied: <script>x</script>. (https://e.example/?a=1&b=2)."
        ));
        assert!(
            t.success(&vars())
                .body
                .starts_with("Authentication complete.")
        );
        assert!(t.welcome(&vars()).is_none());
    }
}
