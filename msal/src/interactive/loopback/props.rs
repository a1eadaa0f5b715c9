//! Property tests: anything that reaches the loopback port (the browser, another local program,
//! a port scanner) gets a well-formed answer or a closed connection, and only a request with the
//! sign-in's state and a code ends the sign-in with a code.

use super::*;
use proptest::prelude::*;

const STATE: &str = "s1-state";
const CODE: &str = "CODE-CANARY-77ad";

fn expect(templates: &Templates) -> Expect<'_> {
    Expect {
        state: STATE,
        templates,
        auth_uri: "https://login.example/authorize",
        abort_uri: "http://localhost:1/?error=abort",
    }
}

fn templates() -> impl Strategy<Value = Templates> {
    prop_oneof![
        Just(Templates::default()),
        Just(Templates {
            welcome: Some("<a href=\"$auth_uri\">sign in</a>".into()),
            success: Some("<p>done</p>".into()),
            error: Some(
                "<p>$error: $error_description (<a href=\"$error_uri\">more</a>)</p>".into()
            ),
        }),
    ]
}

/// Redirect fields: the right state, a wrong one, none or several; codes; errors; junk.
fn fields() -> impl Strategy<Value = Vec<(String, String)>> {
    let field = prop_oneof![
        3 => prop::sample::select(vec![STATE, "forged", "", "S1-STATE", "s1-state "])
            .prop_map(|s| ("state".to_owned(), s.to_owned())),
        3 => "[A-Za-z0-9]{0,6}".prop_map(|s| {
            let code = if s.is_empty() { s } else { format!("{CODE}{s}") };
            ("code".to_owned(), code)
        }),
        1 => prop::sample::select(vec!["access_denied", "abort", "invalid_request", "login_required", ""])
            .prop_map(|e| ("error".to_owned(), e.to_owned())),
        1 => prop::sample::select(vec!["<script>alert(1)</script>", "a & \"b\"", ""])
            .prop_map(|d| ("error_description".to_owned(), d.to_owned())),
        1 => Just(("error_uri".to_owned(), "javascript:<script>x</script>".to_owned())),
        1 => Just(("welcome".to_owned(), "true".to_owned())),
        1 => (".{1,8}", ".{0,12}"),
    ];
    prop_oneof![
        2 => proptest::collection::vec(field, 0..6),
        // What the identity provider sends, sometimes with extras after it.
        1 => ("[A-Za-z0-9]{1,6}", proptest::collection::vec(field_extra(), 0..2)).prop_map(|(c, extra)| {
            let mut f = vec![
                ("code".to_owned(), format!("{CODE}{c}")),
                ("state".to_owned(), STATE.to_owned()),
                ("session_state".to_owned(), "x".to_owned()),
            ];
            f.extend(extra);
            f
        }),
    ]
}

fn field_extra() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        prop::sample::select(vec!["forged", STATE])
            .prop_map(|s| ("state".to_owned(), s.to_owned())),
        Just(("error".to_owned(), "access_denied".to_owned())),
        Just(("client_info".to_owned(), "e30".to_owned())),
    ]
}

fn encode(fields: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

/// A field's value as a parser that keeps the last duplicate sees it.
fn last<'f>(fields: &'f [(String, String)], key: &str) -> Option<&'f str> {
    fields
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// What must hold for any judged request: statuses, who may end the sign-in and how, and
/// that pages neither echo the code nor let a forged answer inject markup.
fn check_judgement(
    fields: Option<&[(String, String)]>,
    status: u16,
    page: &Page,
    outcome: &Outcome,
) -> Result<(), TestCaseError> {
    prop_assert!([200, 400, 404].contains(&status), "status {status}");
    prop_assert!(!page.body.contains(CODE), "the page shows the code");
    if page.html {
        prop_assert!(!page.body.contains("<script"), "{}", page.body);
    }
    let Some(fields) = fields else {
        prop_assert!(outcome.is_none());
        return Ok(());
    };
    let names = fields
        .iter()
        .map(|(k, _)| k)
        .collect::<std::collections::BTreeSet<_>>();
    if names.len() < fields.len() {
        // A repeated parameter is refused whole, and the sign-in keeps waiting.
        prop_assert!(outcome.is_none());
        prop_assert_eq!(status, 400);
        return Ok(());
    }
    let code = last(fields, "code").filter(|c| !c.is_empty());
    let error = last(fields, "error").filter(|e| !e.is_empty());
    let state = last(fields, "state");
    match outcome {
        None => prop_assert!(code.is_none() && error.is_none()),
        Some(Ok(r)) => {
            prop_assert_eq!(status, 200);
            prop_assert_eq!(state, Some(STATE));
            prop_assert_eq!(r.get("code"), code);
            prop_assert!(code.is_some() && error.is_none());
        }
        Some(Err(Error::Cancelled)) => {
            prop_assert_eq!(error, Some("abort"));
            prop_assert_eq!(state, None);
        }
        Some(Err(Error::StateMismatch)) => {
            prop_assert_eq!(status, 400);
            prop_assert!(state != Some(STATE));
        }
        Some(Err(e)) => {
            prop_assert_eq!(status, 400);
            prop_assert_eq!(state, Some(STATE));
            prop_assert_eq!(e.service_error().map(|s| s.error.as_str()), error);
        }
    }
    Ok(())
}

/// Sends `bytes` to `serve` over a real loopback connection, closing the sending side after
/// them; returns what `serve` decided and everything the client read back.
fn exchange(bytes: &[u8], templates: &Templates) -> (Outcome, Vec<u8>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = async {
            let mut s = TcpStream::connect(addr).await.unwrap();
            // The server may answer and close before reading everything: a reset here is
            // fine, and so is one while reading (what arrived before it is kept).
            let _ = s.write_all(bytes).await;
            let _ = s.shutdown().await;
            let mut answer = Vec::new();
            let _ = s.read_to_end(&mut answer).await;
            answer
        };
        let server = async {
            let (stream, _) = listener.accept().await.unwrap();
            serve(stream, &expect(templates)).await
        };
        let (answer, outcome) = tokio::join!(client, server);
        (outcome, answer)
    })
}

/// The status of a complete answer (after an optional `100 Continue`), checking its framing;
/// `None` when nothing (or only `100 Continue`) came back.
fn answer_status(answer: &[u8]) -> Result<Option<u16>, TestCaseError> {
    let text = std::str::from_utf8(answer).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(!text.contains(CODE), "the answer shows the code");
    let text = text
        .strip_prefix("HTTP/1.1 100 Continue\r\n\r\n")
        .unwrap_or(text);
    if text.is_empty() {
        return Ok(None);
    }
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse::<u16>().ok());
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|l| l.parse::<usize>().ok());
    prop_assert_eq!(length, Some(body.len()), "{}", head);
    prop_assert!(head.contains("Cache-Control: no-store"));
    prop_assert!(matches!(status, Some(200 | 400 | 404)), "{}", head);
    Ok(status)
}

#[derive(Debug, Clone)]
enum Header {
    ContentType(&'static str),
    ContentLength(&'static str),
    TransferEncoding,
    Expect100,
    Junk(String, String),
    NoColon(String),
}

fn header() -> impl Strategy<Value = Header> {
    prop_oneof![
        2 => prop::sample::select(vec![
            "application/x-www-form-urlencoded",
            "Application/X-WWW-Form-Urlencoded; charset=utf-8",
            "text/plain",
            "multipart/form-data",
        ])
        .prop_map(Header::ContentType),
        2 => prop::sample::select(vec![
            "exact", "exact", "0", "1", "4096", "65536", "65537",
            "99999999999999999999", "-1", "+3", "abc", "",
        ])
        .prop_map(Header::ContentLength),
        1 => Just(Header::TransferEncoding),
        2 => Just(Header::Expect100),
        6 => ("X-[A-Za-z]{1,8}", "[ -~]{0,30}").prop_map(|(n, v)| Header::Junk(n, v)),
        1 => "[A-Za-z ]{1,12}".prop_map(Header::NoColon),
    ]
}

/// The parts of a structured request; `body` is sent after the head as it is.
#[derive(Debug, Clone)]
struct Raw {
    method: &'static str,
    path: &'static str,
    query: Option<Vec<(String, String)>>,
    version: &'static str,
    extra_space: bool,
    headers: Vec<Header>,
    body: Result<Vec<(String, String)>, Vec<u8>>,
}

fn raw() -> impl Strategy<Value = Raw> {
    (
        prop::sample::select(vec!["GET", "GET", "POST", "POST", "PUT", "get", "HEAD"]),
        prop::sample::select(vec!["/", "/callback", "*", "/favicon.ico"]),
        proptest::option::of(fields()),
        prop_oneof![
            8 => Just("HTTP/1.1"),
            1 => Just("HTTP/1.0"),
            1 => Just("HTTP/2"),
            1 => Just("http/1.1"),
        ],
        proptest::bool::weighted(0.05),
        proptest::bool::weighted(0.7),
        proptest::collection::vec(header(), 0..3),
        prop_oneof![
            3 => fields().prop_map(Ok),
            1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Err),
        ],
    )
        .prop_map(
            |(method, path, query, version, extra_space, form_post, extra, body)| {
                // Mostly a form type and an exact length first, as a browser sends them.
                let mut headers = Vec::new();
                if form_post {
                    headers.push(Header::ContentType("application/x-www-form-urlencoded"));
                    headers.push(Header::ContentLength("exact"));
                }
                headers.extend(extra);
                Raw {
                    method,
                    path,
                    query,
                    version,
                    extra_space,
                    headers,
                    body,
                }
            },
        )
}

impl Raw {
    fn target(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{}", self.path, encode(q)),
            None => self.path.to_owned(),
        }
    }

    fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            Ok(fields) => encode(fields).into_bytes(),
            Err(bytes) => bytes.clone(),
        }
    }

    fn content_length(&self, value: &str) -> String {
        if value == "exact" {
            self.body_bytes().len().to_string()
        } else {
            value.to_owned()
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let space = if self.extra_space { "  " } else { " " };
        let mut head = format!(
            "{}{space}{} {}\r\nHost: localhost\r\n",
            self.method,
            self.target(),
            self.version
        );
        for h in &self.headers {
            let line = match h {
                Header::ContentType(v) => format!("Content-Type: {v}"),
                Header::ContentLength(v) => {
                    format!("Content-Length: {}", self.content_length(v))
                }
                Header::TransferEncoding => "Transfer-Encoding: chunked".to_owned(),
                Header::Expect100 => "Expect: 100-continue".to_owned(),
                Header::Junk(n, v) => format!("{n}: {v}"),
                Header::NoColon(s) => s.clone(),
            };
            head.push_str(&line);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend(self.body_bytes());
        bytes
    }

    /// Whether the listener must refuse the head (answer 400 or nothing, and never end the
    /// sign-in), by the rules it documents.
    fn refused(&self) -> bool {
        if self.extra_space || !self.version.starts_with("HTTP/1.") {
            return true;
        }
        let mut length: Option<usize> = None;
        let mut form = false;
        for h in &self.headers {
            match h {
                Header::NoColon(_) | Header::TransferEncoding => return true,
                Header::ContentLength(v) => match self.content_length(v).trim().parse::<usize>() {
                    Ok(n) if length.is_none_or(|m| m == n) => length = Some(n),
                    _ => return true,
                },
                Header::ContentType(v) => {
                    form = v.split(';').next().is_some_and(|t| {
                        t.trim()
                            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                    });
                }
                _ => {}
            }
        }
        self.method == "POST" && (!form || length.unwrap_or(0) > MAX_BODY)
    }

    /// The body a POST declares, when the head is accepted.
    fn declared_length(&self) -> usize {
        self.headers
            .iter()
            .find_map(|h| match h {
                Header::ContentLength(v) => self.content_length(v).trim().parse().ok(),
                _ => None,
            })
            .unwrap_or(0)
    }
}

proptest! {
    #![proptest_config(msal_test_support::proptest_config(256))]

    #[test]
    fn judged_requests_end_the_sign_in_only_with_the_right_state(
        method in prop::sample::select(vec!["GET", "POST", "PUT", "get"]),
        in_body in any::<bool>(),
        path in prop::sample::select(vec!["/", "/callback", ""]),
        fields in fields(),
        templates in templates(),
    ) {
        let encoded = encode(&fields);
        let request = Request {
            method: method.to_owned(),
            target: if in_body { path.to_owned() } else { format!("{path}?{encoded}") },
            form_body: in_body.then(|| encoded.into_bytes()),
        };
        let (status, page, outcome) = judge(&request, &expect(&templates));
        let read = match (method, in_body) {
            ("GET", _) if !in_body => Some(fields.as_slice()),
            ("GET", _) => Some(&[][..]),
            ("POST", true) => Some(fields.as_slice()),
            _ => None,
        };
        check_judgement(read, status, &page, &outcome)?;
        if read.is_none() {
            prop_assert_eq!(status, 400);
        }
    }

    #[test]
    fn arbitrary_bytes_get_a_well_formed_answer_or_none(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        terminate in any::<bool>(),
        templates in templates(),
    ) {
        let mut bytes = bytes;
        if terminate {
            bytes.extend_from_slice(b"\r\n\r\n");
        }
        let (outcome, answer) = exchange(&bytes, &templates);
        prop_assert!(!matches!(outcome, Some(Ok(_))), "random bytes ended the sign-in");
        let status = answer_status(&answer)?;
        prop_assert!(outcome.is_none() || status.is_some());
    }

    #[test]
    fn structured_but_wrong_requests_are_refused_or_judged_like_parsed_ones(
        raw in raw(),
        templates in templates(),
    ) {
        let (outcome, answer) = exchange(&raw.bytes(), &templates);
        let status = answer_status(&answer)?;
        if raw.refused() {
            // Refused from the head alone: answered at once, without waiting for a body.
            prop_assert!(outcome.is_none(), "{outcome:?}");
            prop_assert_eq!(status, Some(400));
            return Ok(());
        }
        // An accepted head is judged like the request it carries.
        let request = match raw.method {
            "POST" => {
                let body = raw.body_bytes();
                let len = raw.declared_length();
                if len > body.len() {
                    // The peer closed before sending the body it declared: nothing to answer.
                    prop_assert!(outcome.is_none());
                    prop_assert_eq!(status, None);
                    return Ok(());
                }
                Request { method: "POST".into(), target: raw.target(), form_body: Some(body[..len].to_vec()) }
            }
            m => Request { method: m.into(), target: raw.target(), form_body: None },
        };
        let (want_status, _, want) = judge(&request, &expect(&templates));
        prop_assert_eq!(status, Some(want_status));
        let summary = |o: &Outcome| o.as_ref().map(|r| r.as_ref().map_err(ToString::to_string).cloned());
        prop_assert_eq!(summary(&outcome), summary(&want));
    }

    #[test]
    fn huge_content_lengths_are_refused_before_reading_a_body(
        length in prop_oneof![
            ((MAX_BODY + 1)..(MAX_BODY * 4)).prop_map(|n| n.to_string()),
            ((MAX_BODY as u64 + 1)..=u64::MAX).prop_map(|n| n.to_string()),
            "[1-9][0-9]{20,40}",
        ],
        continue_100 in any::<bool>(),
        fields in fields(),
    ) {
        let expect_line = if continue_100 { "Expect: 100-continue\r\n" } else { "" };
        let body = encode(&fields);
        let bytes = format!(
            "POST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {length}\r\n{expect_line}\r\n{body}"
        );
        let (outcome, answer) = exchange(bytes.as_bytes(), &Templates::default());
        prop_assert!(outcome.is_none(), "{outcome:?}");
        // No `100 Continue` either: the body is refused before it is asked for.
        prop_assert!(answer.starts_with(b"HTTP/1.1 400 "));
        prop_assert_eq!(answer_status(&answer)?, Some(400));
    }

    #[test]
    fn oversize_heads_are_refused(
        size in (MAX_HEAD + 4097)..(MAX_HEAD * 3),
        terminated in any::<bool>(),
    ) {
        let mut bytes = format!("GET /?code={CODE}&state={STATE}&pad=").into_bytes();
        bytes.resize(size, b'a');
        bytes.extend_from_slice(b" HTTP/1.1\r\n");
        if terminated {
            bytes.extend_from_slice(b"\r\n");
        }
        let (outcome, answer) = exchange(&bytes, &Templates::default());
        prop_assert!(outcome.is_none(), "{outcome:?}");
        prop_assert!(matches!(answer_status(&answer)?, None | Some(400)));
    }
}
