//! Property tests: the challenge is untrusted input, so every header yields a path or an
//! `ArcChallenge` error, and no path it names is read unless it resolves into the key directory.

use super::*;
use proptest::prelude::*;

const SECRET: &str = "s3cr3t-arc-key-canary";

fn challenge(value: http::HeaderValue) -> HttpResponse {
    let mut resp = http::Response::builder()
        .status(401)
        .body(Vec::new())
        .unwrap();
    resp.headers_mut()
        .insert(http::header::WWW_AUTHENTICATE, value);
    resp
}

fn is_challenge_error(r: &Result<PathBuf, Error>) -> bool {
    matches!(
        r,
        Err(Error::ManagedIdentity(ManagedIdentityError::ArcChallenge(
            _
        )))
    )
}

/// Path characters a header can carry, without `=` and without quotes at the ends.
fn realm_path() -> impl Strategy<Value = String> {
    "[ -!#-<>-~]{0,80}".prop_filter("a path", |p| !p.trim().trim_matches('"').is_empty())
}

proptest! {
    #![proptest_config(msal_test_support::proptest_config(256))]

    #[test]
    fn challenge_path_answers_any_header_with_a_path_or_a_challenge_error(
        // Mostly header-legal bytes (visible ASCII, obs-text), some of anything.
        bytes in proptest::collection::vec(
            prop_oneof![8 => 0x20u8..0x7f, 1 => 0x80u8..=0xff, 1 => any::<u8>()],
            0..256,
        ),
    ) {
        let Ok(value) = http::HeaderValue::from_bytes(&bytes) else {
            return Ok(());
        };
        let r = challenge_path(&challenge(value.clone()));
        match &r {
            Ok(path) => {
                // Only `Basic realm=<one non-empty path>` gets here.
                let text = value.to_str().unwrap();
                let (scheme, rest) = text.split_once('=').unwrap();
                prop_assert!(scheme.trim().eq_ignore_ascii_case("Basic realm"));
                prop_assert!(!rest.contains('='));
                prop_assert!(!path.as_os_str().is_empty());
            }
            Err(e) => {
                prop_assert!(is_challenge_error(&r), "{e:?}");
            }
        }
    }

    #[test]
    fn challenge_path_accepts_basic_realm_with_exactly_one_path(
        scheme in prop::sample::select(vec!["Basic realm", "basic REALM", " Basic realm ", "Basic  realm",
            "Bearer realm", "Basic", "realm", "", "Basic realm realm"]),
        sep in prop::sample::select(vec!["=", "==", ":", " ", ""]),
        path in realm_path(),
        quoted in any::<bool>(),
    ) {
        let path_sent = if quoted { format!("\"{path}\"") } else { path };
        let header = format!("{scheme}{sep}{path_sent}");
        let value = http::HeaderValue::from_str(&header).unwrap();
        let r = challenge_path(&challenge(value));
        let expected = path_sent.trim().trim_matches('"');
        let well_formed = sep == "="
            && scheme.trim().eq_ignore_ascii_case("Basic realm")
            && !expected.is_empty();
        if well_formed {
            prop_assert_eq!(r.unwrap(), PathBuf::from(expected));
        } else {
            prop_assert!(is_challenge_error(&r), "{header:?} gave {r:?}");
        }
    }

    #[test]
    fn challenge_errors_never_quote_the_header(
        junk in "[A-Za-z0-9./_-]{12,40}",
        shape in prop::sample::select(vec!["Bearer realm={}", "Basic realm={}={}", "{}", "Basic realm =\"\"{}="]),
    ) {
        let header = shape.replace("{}", &junk);
        let r = challenge_path(&challenge(http::HeaderValue::from_str(&header).unwrap()));
        prop_assert!(is_challenge_error(&r));
        prop_assert!(!r.unwrap_err().to_string().contains(&junk));
    }
}

/// One key directory for all cases (building it per case would cost most of the run).
#[test]
fn key_file_is_read_only_when_it_resolves_into_the_key_directory() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("tokens");
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let good = dir.join("good.key");
    std::fs::write(&good, format!("{SECRET}\n")).unwrap();
    std::fs::write(root.path().join("outside.key"), SECRET).unwrap();
    std::fs::write(sub.join("nested.key"), SECRET).unwrap();
    std::fs::write(dir.join("plain.txt"), SECRET).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.path().join("outside.key"), dir.join("link.key")).unwrap();
    let good = std::fs::canonicalize(&good).unwrap();

    proptest!(msal_test_support::proptest_config(256), |(
        parts in proptest::collection::vec(
            prop::sample::select(vec![".", "..", "tokens", "good.key", "GOOD.KEY", "good.KEY",
                "outside.key", "missing.key", "sub", "nested.key", "link.key", "plain.txt", ""]),
            0..5,
        ),
        base in prop_oneof![
            Just(root.path().to_path_buf()),
            Just(dir.clone()),
            Just(sub.clone()),
            Just(dir.join("good.key")),
            ".{0,60}".prop_map(PathBuf::from),
        ],
    )| {
        let mut path = base;
        for p in &parts {
            path.push(p);
        }
        let resolves_to_good = std::fs::canonicalize(&path).ok().as_ref() == Some(&good);
        match read_key_file(&path, &dir) {
            Ok(v) => {
                prop_assert!(resolves_to_good, "{path:?} was read");
                prop_assert_eq!(v.to_str().unwrap(), format!("Basic {SECRET}"));
                prop_assert!(v.is_sensitive());
            }
            Err(Error::ManagedIdentity(ManagedIdentityError::ArcKeyFile(reason))) => {
                prop_assert!(!reason.contains(SECRET));
                // The only refusal of the good file is a path not spelled `.key`.
                if resolves_to_good {
                    prop_assert!(!path.extension().is_some_and(|e| e.eq_ignore_ascii_case("key")));
                }
            }
            Err(e) => prop_assert!(false, "unexpected error {e:?}"),
        }
    });
}
