//! Just enough X.509 to read a certificate's `notAfter` and its public key: a DER walk over
//! `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version?, serial, signature,
//! issuer, validity SEQUENCE { notBefore, notAfter }, subject, subjectPublicKeyInfo, ... },
//! ... }` (RFC 5280, section 4.1). Anything unexpected gives `None`: for `notAfter` the caller
//! only warns, so a certificate this reader does not understand still works.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One DER element: (tag, contents, rest).
fn element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The TBSCertificate's fields from `validity` on.
fn from_validity(cert_der: &[u8]) -> Option<&[u8]> {
    let (0x30, cert, _) = element(cert_der)? else {
        return None;
    };
    let (0x30, tbs, _) = element(cert)? else {
        return None;
    };
    let mut rest = tbs;
    // Optional explicit [0] version.
    if rest.first() == Some(&0xa0) {
        rest = element(rest)?.2;
    }
    rest = element(rest)?.2; // serial
    rest = element(rest)?.2; // signature algorithm
    rest = element(rest)?.2; // issuer
    Some(rest)
}

/// The certificate's `subjectPublicKeyInfo`, whole (tag and length included), as
/// `EncodePublicKey::to_public_key_der` encodes a key: comparing the two bytes for bytes tells
/// whether the certificate carries that key.
pub(crate) fn subject_public_key_info(cert_der: &[u8]) -> Option<&[u8]> {
    let rest = from_validity(cert_der)?;
    let rest = element(rest)?.2; // validity
    let rest = element(rest)?.2; // subject
    let (0x30, _, after) = element(rest)? else {
        return None;
    };
    Some(&rest[..rest.len() - after.len()])
}

/// The certificate's `notAfter`.
pub(crate) fn not_after(cert_der: &[u8]) -> Option<SystemTime> {
    let rest = from_validity(cert_der)?;
    let (0x30, validity, _) = element(rest)? else {
        return None;
    };
    let (_, _, after_not_before) = element(validity)?;
    let (tag, time, _) = element(after_not_before)?;
    parse_time(tag, std::str::from_utf8(time).ok()?)
}

/// UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn parse_time(tag: u8, s: &str) -> Option<SystemTime> {
    let s = s.strip_suffix('Z')?;
    let (year, rest) = match (tag, s.len()) {
        (0x17, 12) => {
            let yy: u64 = s.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        (0x18, 14) => (s.get(..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let field = |i: usize| -> Option<u64> { rest.get(i..i + 2)?.parse().ok() };
    let (month, day, hour, minute, second) =
        (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Days from 1970-01-01 (Howard Hinnant's days_from_civil).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(UNIX_EPOCH + Duration::from_secs(days * 86_400 + hour * 3600 + minute * 60 + second))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_garbage() {
        assert_eq!(parse_time(0x17, "700101000000Z"), Some(UNIX_EPOCH));
        assert_eq!(
            parse_time(0x18, "20260101000000Z"),
            Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600))
        );
        assert_eq!(parse_time(0x17, "nonsense"), None);
        assert_eq!(not_after(&[]), None);
        assert_eq!(not_after(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            let _ = not_after(&bytes);
            let _ = subject_public_key_info(&bytes);
        }
    }
}
