//! The Azure Arc challenge (MSAL Python's `_obtain_token_on_arc` in `msal/managed_identity.py`): the agent answers the first request with
//! `401 WWW-Authenticate: Basic realm=<path of a key file>`, and the second request proves local
//! administrator rights by sending that file's contents.
//!
//! The path comes from whatever answered on the endpoint, so it is untrusted: a hostile local
//! listener could name `/etc/shadow` or a private key and have us send it back. So the file is
//! read only if, after resolving `..` and symbolic links, it lies directly in the agent's token
//! directory, has the `.key` extension and is at most 4096 bytes. Anything else is refused
//! without reading a byte.

use std::{
    io::Read,
    path::{Path, PathBuf},
};

use http::HeaderValue;
use msal_core::{Error, ManagedIdentityError, http::HttpResponse};

/// The largest key file the agent writes is far below this (MSAL Python's limit).
pub(crate) const MAX_KEY_FILE_BYTES: u64 = 4096;

fn key_error(reason: impl Into<String>) -> Error {
    Error::ManagedIdentity(ManagedIdentityError::ArcKeyFile(reason.into()))
}

/// The key file path named by a 401 challenge.
pub(crate) fn challenge_path(resp: &HttpResponse) -> Result<PathBuf, Error> {
    let challenge = |reason: &str| {
        Error::ManagedIdentity(ManagedIdentityError::ArcChallenge(reason.to_owned()))
    };
    let header = resp
        .headers()
        .get(http::header::WWW_AUTHENTICATE)
        .ok_or_else(|| challenge("the 401 answer has no WWW-Authenticate header"))?
        .to_str()
        .map_err(|_| challenge("the WWW-Authenticate header is not text"))?;
    // MSAL Python splits on `=` and requires exactly `["Basic realm", path]`.
    let (scheme, path) = header
        .split_once('=')
        .ok_or_else(|| challenge("the WWW-Authenticate header is not `Basic realm=<path>`"))?;
    if !scheme.trim().eq_ignore_ascii_case("Basic realm") || path.contains('=') {
        return Err(challenge(
            "the WWW-Authenticate header is not `Basic realm=<path>`",
        ));
    }
    let path = path.trim().trim_matches('"');
    if path.is_empty() {
        return Err(challenge("the WWW-Authenticate realm is empty"));
    }
    Ok(PathBuf::from(path))
}

/// Reads the key file at `path` if it is allowed (see the module docs), as an `Authorization`
/// header value (`Basic <contents>`, marked sensitive).
///
/// This is blocking file I/O on a file of at most 4 KiB, done once per Arc token request.
pub(crate) fn read_key_file(path: &Path, key_dir: &Path) -> Result<HeaderValue, Error> {
    let shown = path.display();
    let has_key_extension = |p: &Path| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("key"));
    if !has_key_extension(path) {
        return Err(key_error(format!(
            "{shown} does not have the .key extension"
        )));
    }
    let dir = std::fs::canonicalize(key_dir).map_err(|e| {
        key_error(format!(
            "the key directory {} cannot be resolved ({})",
            key_dir.display(),
            e.kind()
        ))
    })?;
    let file = std::fs::canonicalize(path)
        .map_err(|e| key_error(format!("{shown} cannot be resolved ({})", e.kind())))?;
    // Checked on the resolved path too: a `.key` link must not lead to some other file.
    if file.parent() != Some(dir.as_path()) || !has_key_extension(&file) {
        return Err(key_error(format!(
            "{shown} is not a .key file directly inside {}",
            dir.display()
        )));
    }
    let meta = std::fs::metadata(&file).map_err(|e| key_error(format!("{shown}: {}", e.kind())))?;
    if !meta.is_file() {
        return Err(key_error(format!("{shown} is not a regular file")));
    }
    if meta.len() > MAX_KEY_FILE_BYTES {
        return Err(key_error(format!(
            "{shown} is larger than {MAX_KEY_FILE_BYTES} bytes"
        )));
    }
    let mut contents = Vec::new();
    std::fs::File::open(&file)
        .and_then(|f| f.take(MAX_KEY_FILE_BYTES + 1).read_to_end(&mut contents))
        .map_err(|e| key_error(format!("{shown} cannot be read ({})", e.kind())))?;
    // The file may have grown between the size check and the read.
    if contents.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(key_error(format!(
            "{shown} is larger than {MAX_KEY_FILE_BYTES} bytes"
        )));
    }
    let secret = std::str::from_utf8(&contents)
        .map(str::trim)
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| key_error(format!("{shown} does not hold a key")))?;
    // The contents are sent as they are, not re-encoded (as the agent and MSAL Python expect).
    let mut value = HeaderValue::from_str(&format!("Basic {secret}"))
        .map_err(|_| key_error(format!("{shown} holds characters not allowed in a header")))?;
    value.set_sensitive(true);
    contents.iter_mut().for_each(|b| *b = 0);
    Ok(value)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]
    use super::*;

    fn challenge(value: &str) -> HttpResponse {
        http::Response::builder()
            .status(401)
            .header("WWW-Authenticate", value)
            .body(Vec::new())
            .unwrap()
    }

    #[test]
    fn challenge_header_forms() {
        assert_eq!(
            challenge_path(&challenge("Basic realm=/var/opt/azcmagent/tokens/a.key")).unwrap(),
            PathBuf::from("/var/opt/azcmagent/tokens/a.key")
        );
        assert!(challenge_path(&challenge("basic REALM=/x/a.key")).is_ok());
        for bad in [
            "Bearer realm=/x.key",
            "Basic realm",
            "Basic realm=",
            "Basic realm=a=b",
        ] {
            assert!(
                matches!(
                    challenge_path(&challenge(bad)),
                    Err(Error::ManagedIdentity(ManagedIdentityError::ArcChallenge(
                        _
                    )))
                ),
                "{bad}"
            );
        }
        let none = http::Response::builder()
            .status(401)
            .body(Vec::new())
            .unwrap();
        assert!(challenge_path(&none).is_err());
    }

    fn refused(path: &Path, dir: &Path) -> bool {
        matches!(
            read_key_file(path, dir),
            Err(Error::ManagedIdentity(ManagedIdentityError::ArcKeyFile(_)))
        )
    }

    #[test]
    fn key_file_rules() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("tokens");
        std::fs::create_dir(&dir).unwrap();
        let good = dir.join("good.key");
        std::fs::write(&good, "s3cr3t\n").unwrap();
        let v = read_key_file(&good, &dir).unwrap();
        assert_eq!(v.to_str().unwrap(), "Basic s3cr3t");
        assert!(v.is_sensitive());

        let outside = root.path().join("outside.key");
        std::fs::write(&outside, "x").unwrap();
        assert!(refused(&outside, &dir));
        assert!(refused(&dir.join("..").join("outside.key"), &dir));
        let wrong_ext = dir.join("good.txt");
        std::fs::write(&wrong_ext, "x").unwrap();
        assert!(refused(&wrong_ext, &dir));
        let big = dir.join("big.key");
        std::fs::write(&big, vec![b'a'; 4097]).unwrap();
        assert!(refused(&big, &dir));
        std::fs::write(&big, vec![b'a'; 4096]).unwrap();
        assert!(read_key_file(&big, &dir).is_ok());
        let empty = dir.join("empty.key");
        std::fs::write(&empty, "  ").unwrap();
        assert!(refused(&empty, &dir));
        assert!(refused(&dir.join("missing.key"), &dir));
        let sub = dir.join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("nested.key"), "x").unwrap();
        assert!(refused(&sub.join("nested.key"), &dir));
        #[cfg(unix)]
        {
            let link = dir.join("link.key");
            std::os::unix::fs::symlink(&outside, &link).unwrap();
            assert!(refused(&link, &dir));
            let to_txt = dir.join("to-txt.key");
            std::os::unix::fs::symlink(&wrong_ext, &to_txt).unwrap();
            assert!(refused(&to_txt, &dir));
        }
        let e = read_key_file(&outside, &dir).unwrap_err().to_string();
        assert!(!e.contains("s3cr3t"));
    }
}

#[cfg(test)]
mod props;
