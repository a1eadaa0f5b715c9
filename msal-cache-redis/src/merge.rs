//! Three-way merge of partition blobs, for when another instance wrote the partition between our
//! load and our save.
//!
//! `TokenCache` reloads a partition under the store's lock before every write, but that lock is
//! local to the process: another app instance may write the same Redis key in between. Plain
//! last-writer-wins would then drop the other instance's freshly acquired tokens, so the store
//! merges per entry key instead. The merge base is what this instance loaded before it changed
//! the partition, which lets it tell "we deleted this" (a pruned expired token, a signed-out
//! account) from "they added this".

use serde_json::{Map, Value};

/// A parsed partition: the top-level JSON object (`AccessToken`, `RefreshToken`, ... sections).
pub(crate) type Doc = Map<String, Value>;

/// Parses a blob; `None` for anything that is not a JSON object (an empty string is an empty
/// object, as `TokenCache` reads it).
pub(crate) fn parse(blob: &str) -> Option<Doc> {
    if blob.trim().is_empty() {
        return Some(Doc::new());
    }
    match serde_json::from_str::<Value>(blob) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// Whether a blob is something `TokenCache` can read as a partition (a JSON object, or empty).
/// Cheaper than [`parse`]: nothing below the top level is built.
pub(crate) fn is_readable(blob: &str) -> bool {
    blob.trim().is_empty()
        || serde_json::from_str::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(blob)
            .is_ok()
}

/// Merges `ours` (this instance's new partition) with `theirs` (what Redis holds now), relative
/// to `base` (what this instance had loaded; `None` when unknown, e.g. Redis was unreachable at
/// load time, in which case nothing counts as deleted).
///
/// Per entry key of every section: unchanged on one side means the other side's version (a
/// deletion included); changed on both sides means the newer one by `last_modification_time` or
/// `cached_at`, ours on a tie; a deletion against a change keeps the changed entry, because
/// losing a token costs a round trip to the identity provider while keeping one costs nothing.
pub(crate) fn merge(base: Option<&Doc>, ours: &Doc, theirs: &Doc) -> Doc {
    let empty = Doc::new();
    let mut out = Doc::new();
    let keys = ours
        .keys()
        .chain(theirs.keys().filter(|k| !ours.contains_key(*k)));
    for key in keys {
        let (o, t) = (ours.get(key), theirs.get(key));
        let merged = match (o, t) {
            (Some(Value::Object(o)), Some(Value::Object(t))) => {
                let b = match base.and_then(|b| b.get(key)) {
                    Some(Value::Object(b)) => Some(b),
                    _ if base.is_some() => Some(&empty),
                    _ => None,
                };
                Value::Object(merge_section(b, o, t))
            }
            (Some(o), _) => o.clone(),
            (None, Some(t)) => t.clone(),
            (None, None) => continue,
        };
        out.insert(key.clone(), merged);
    }
    out
}

fn merge_section(base: Option<&Doc>, ours: &Doc, theirs: &Doc) -> Doc {
    let mut out = Doc::new();
    let keys = ours
        .keys()
        .chain(theirs.keys().filter(|k| !ours.contains_key(*k)));
    for key in keys {
        let b = base.and_then(|b| b.get(key));
        let (o, t) = (ours.get(key), theirs.get(key));
        let pick = match base {
            Some(_) if o == b => t,
            Some(_) if t == b => o,
            _ => match (o, t) {
                (Some(o), Some(t)) => Some(if stamp(t) > stamp(o) { t } else { o }),
                (o, t) => o.or(t),
            },
        };
        if let Some(v) = pick {
            out.insert(key.clone(), v.clone());
        }
    }
    out
}

/// When an entry was last written: MSAL's string (or, in very old caches, numeric) epoch
/// seconds. Entries without one (ID tokens, accounts) compare equal, so ours wins.
fn stamp(entry: &Value) -> u64 {
    let field = |name: &str| match entry.get(name) {
        Some(Value::String(s)) => s.parse::<u64>().ok(),
        Some(Value::Number(n)) => n.as_u64().or_else(|| n.as_f64().map(|f| f as u64)),
        _ => None,
    };
    field("last_modification_time")
        .into_iter()
        .chain(field("cached_at"))
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Doc {
        match v {
            Value::Object(m) => m,
            _ => Doc::new(),
        }
    }

    #[test]
    fn concurrent_additions_are_unioned() {
        let base = doc(json!({"AccessToken": {"a": {"cached_at": "1"}}}));
        let ours = doc(json!({"AccessToken": {"a": {"cached_at": "1"}, "b": {"cached_at": "2"}}}));
        let theirs =
            doc(json!({"AccessToken": {"a": {"cached_at": "1"}, "c": {"cached_at": "3"}}}));
        let out = merge(Some(&base), &ours, &theirs);
        let at = out["AccessToken"].as_object().unwrap();
        assert_eq!(at.len(), 3);
    }

    #[test]
    fn newest_wins_when_both_changed_an_entry() {
        let base =
            doc(json!({"RefreshToken": {"r": {"secret": "0", "last_modification_time": "1"}}}));
        let ours =
            doc(json!({"RefreshToken": {"r": {"secret": "1", "last_modification_time": "5"}}}));
        let theirs =
            doc(json!({"RefreshToken": {"r": {"secret": "2", "last_modification_time": "9"}}}));
        let out = merge(Some(&base), &ours, &theirs);
        assert_eq!(out["RefreshToken"]["r"]["secret"], "2");
        let out = merge(Some(&base), &theirs, &ours);
        assert_eq!(out["RefreshToken"]["r"]["secret"], "2");
    }

    #[test]
    fn deletions_on_one_side_stick_unless_the_other_side_changed_the_entry() {
        let base =
            doc(json!({"AccessToken": {"old": {"cached_at": "1"}, "x": {"cached_at": "1"}}}));
        // We pruned `old`; they did not touch it. They replaced `x`; we deleted it.
        let ours = doc(json!({"AccessToken": {}}));
        let theirs =
            doc(json!({"AccessToken": {"old": {"cached_at": "1"}, "x": {"cached_at": "7"}}}));
        let out = merge(Some(&base), &ours, &theirs);
        let at = out["AccessToken"].as_object().unwrap();
        assert!(!at.contains_key("old"));
        assert!(at.contains_key("x"));
    }

    #[test]
    fn without_a_base_nothing_counts_as_deleted() {
        let ours = doc(json!({"AccessToken": {"a": {}}, "AppMetadata": {"m": {}}}));
        let theirs = doc(json!({"AccessToken": {"b": {}}, "Unknown": [1]}));
        let out = merge(None, &ours, &theirs);
        assert_eq!(out["AccessToken"].as_object().unwrap().len(), 2);
        assert!(out.contains_key("AppMetadata") && out.contains_key("Unknown"));
    }

    #[test]
    fn parse_and_readability() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("[1]").is_none());
        assert!(parse("{\"AccessToken\": {}}").is_some());
        assert!(is_readable("  ") && is_readable("{}"));
        assert!(!is_readable("not json") && !is_readable("42") && !is_readable("{\"a\":"));
    }
}
