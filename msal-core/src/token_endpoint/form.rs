//! An ordered `application/x-www-form-urlencoded` body.

use std::fmt;

/// Form fields in insertion order. Empty values are dropped, as MSAL Python drops falsy ones.
/// `Debug` shows the keys only, since values hold secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Form {
    fields: Vec<(String, String)>,
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Form")
            .field("keys", &self.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Form {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value` (replacing an earlier value in place); an empty value removes it.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        let (key, value) = (key.into(), value.into());
        if value.is_empty() {
            self.remove(&key);
            return self;
        }
        match self.fields.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((key, value)),
        }
        self
    }

    /// Sets `key` when `value` is `Some`.
    pub fn set_opt(
        &mut self,
        key: impl Into<String>,
        value: Option<impl Into<String>>,
    ) -> &mut Self {
        if let Some(v) = value {
            self.set(key, v);
        }
        self
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.fields.retain(|(k, _)| k != key);
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(k, _)| k.as_str())
    }

    /// The fields, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The urlencoded body.
    pub fn encode(&self) -> String {
        encode_pairs(&self.fields)
    }
}

/// urlencodes pairs.
pub(crate) fn encode_pairs(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_set_replace_and_drop_empty() {
        let mut f = Form::new();
        f.set("client_id", "c")
            .set("scope", "a b")
            .set("empty", "")
            .set("client_id", "d");
        assert_eq!(f.encode(), "client_id=d&scope=a+b");
        assert_eq!(format!("{f:?}"), r#"Form { keys: ["client_id", "scope"] }"#);
    }
}
