//! A small, bounded parser for `WWW-Authenticate` challenges (RFC 9110 §11.6.1).
//!
//! Only enough of the grammar to find a `PoP` challenge's `nonce` reliably: a header may carry
//! several challenges (`Bearer realm="", PoP nonce="…"`), parameter values may be tokens or
//! quoted strings with `\` escapes, and other schemes may use a `token68` (`Negotiate abc==`).
//! The parser walks the input once, never indexes out of bounds, and refuses headers longer
//! than [`MAX_HEADER_LEN`], so hostile input costs at most linear time on a few kilobytes.

/// Longer headers are refused. Real PoP challenges are a few hundred bytes; the cap bounds the
/// work (and the nonce) an untrusted resource server can make us do.
pub(crate) const MAX_HEADER_LEN: usize = 16 * 1024;

/// One challenge: its scheme and `name=value` parameters (values unquoted).
#[derive(Debug)]
pub(crate) struct Challenge<'a> {
    pub(crate) scheme: &'a str,
    pub(crate) params: Vec<(&'a str, String)>,
}

impl Challenge<'_> {
    /// The value of parameter `name` (names are case-insensitive).
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a header could not be parsed; turned into `Error::InvalidArgument` by the caller.
pub(crate) type ParseError = &'static str;

/// Parses every challenge in `input` (visible ASCII, as `HeaderValue::to_str` guarantees).
pub(crate) fn parse(input: &str) -> Result<Vec<Challenge<'_>>, ParseError> {
    if input.len() > MAX_HEADER_LEN {
        return Err("the WWW-Authenticate header is too long");
    }
    let mut p = Parser {
        s: input,
        b: input.as_bytes(),
        i: 0,
    };
    let mut out: Vec<Challenge<'_>> = Vec::new();
    // Whether a token68 may come next: only right after a scheme and the space following it.
    let mut may_take_token68 = false;
    loop {
        p.skip_ows();
        if p.eat(b',') {
            may_take_token68 = false;
            continue;
        }
        if p.at_end() {
            break;
        }
        // An unknown scheme's token68 (`Negotiate abc==`) is irrelevant to PoP; skip it.
        if may_take_token68 && p.skip_token68() {
            may_take_token68 = false;
            continue;
        }
        let name = p
            .token()
            .ok_or("expected an auth scheme or parameter name")?;
        let space_after_name = p.skip_ows();
        if p.eat(b'=') {
            p.skip_ows();
            let value = if p.peek() == Some(b'"') {
                p.quoted_string()?
            } else {
                p.token()
                    .ok_or("expected a token or quoted string after '='")?
                    .to_owned()
            };
            let current = out
                .last_mut()
                .ok_or("a parameter appears before any auth scheme")?;
            current.params.push((name, value));
            may_take_token68 = false;
            // After a parameter only a comma (or the end) may follow.
            p.skip_ows();
            if !p.at_end() && p.peek() != Some(b',') {
                return Err("expected ',' between auth parameters");
            }
        } else {
            out.push(Challenge {
                scheme: name,
                params: Vec::new(),
            });
            may_take_token68 = space_after_name;
        }
    }
    Ok(out)
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn at_end(&self) -> bool {
        self.i >= self.b.len()
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Skips spaces and tabs; reports whether any were skipped.
    fn skip_ows(&mut self) -> bool {
        let start = self.i;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        self.i > start
    }

    /// `1*tchar`, or `None` (nothing consumed) when the next byte is not a `tchar`.
    fn token(&mut self) -> Option<&'a str> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        // Slicing at ASCII boundaries of a `&str` is always valid; `get` keeps it panic-free.
        (self.i > start)
            .then(|| self.s.get(start..self.i))
            .flatten()
    }

    /// Skips a `token68` followed by the end or a comma, and reports whether it did; anything
    /// else (such as the parameter `nonce="x"`) is left for the caller.
    fn skip_token68(&mut self) -> bool {
        let start = self.i;
        let mut j = start;
        while self.b.get(j).is_some_and(|&c| is_token68_char(c)) {
            j += 1;
        }
        if j == start {
            return false;
        }
        while self.b.get(j) == Some(&b'=') {
            j += 1;
        }
        while matches!(self.b.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        let matched = matches!(self.b.get(j), None | Some(b','));
        if matched {
            self.i = j;
        }
        matched
    }

    /// `DQUOTE *( qdtext / quoted-pair ) DQUOTE`, returning the unescaped content.
    fn quoted_string(&mut self) -> Result<String, ParseError> {
        if !self.eat(b'"') {
            return Err("expected a quoted string");
        }
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err("unterminated quoted string"),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self.peek().ok_or("unterminated quoted string")?;
                    out.push(char::from(c));
                    self.i += 1;
                }
                Some(c) => {
                    out.push(char::from(c));
                    self.i += 1;
                }
            }
        }
    }
}

/// RFC 9110 `tchar`.
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// RFC 9110 `token68` characters, without the trailing `=` padding.
fn is_token68_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._~+/".contains(&c)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]
    use super::*;

    #[test]
    fn several_challenges_with_params_and_token68() {
        let cs = parse(
            r#"Negotiate abc+/==, Bearer realm="", error="x, y", PoP realm="r", nonce="n\"1""#,
        )
        .unwrap();
        let schemes: Vec<_> = cs.iter().map(|c| c.scheme).collect();
        assert_eq!(schemes, ["Negotiate", "Bearer", "PoP"]);
        assert_eq!(cs[1].param("error"), Some("x, y"));
        assert_eq!(cs[2].param("NONCE"), Some("n\"1"));
    }

    #[test]
    fn bare_schemes_and_token_values() {
        let cs = parse("Basic, pop nonce=abc").unwrap();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[1].param("nonce"), Some("abc"));
    }

    #[test]
    fn malformed_input_is_an_error() {
        for bad in [
            "nonce=\"x\"",
            "PoP nonce=\"unterminated",
            "PoP nonce=\"a\" extra",
            "PoP \"quoted\"",
            "PoP nonce=\"x\\",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse(&"a".repeat(MAX_HEADER_LEN + 1)).is_err());
        // `nonce=` with nothing after it reads as a token68, so the PoP challenge has no nonce
        // and `from_www_authenticate` reports that instead.
        assert!(parse("PoP nonce=").unwrap()[0].param("nonce").is_none());
    }
}
