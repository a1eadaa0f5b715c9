//! The cache's JSON: parsing straight into the slab and index, and writing it back (whole or one
//! partition) with each entry's secret restored.

use std::fmt;

use serde::{
    de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor},
    ser::{Serialize, SerializeMap, Serializer},
};
use serde_json::Value;

use super::{CacheState, Slot};
use crate::entry::CredentialType;

/// Reads the top-level object: known sections entry by entry, others as `Value`s.
pub(super) struct TopLevel<'a>(pub(super) &'a mut CacheState);

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the cache as a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(name) = map.next_key::<String>()? {
            match CredentialType::from_section_name(&name) {
                Some(kind) => {
                    self.0.sections[kind.index()].present = true;
                    map.next_value_seed(SectionEntries {
                        state: &mut *self.0,
                        kind,
                    })?;
                }
                None => {
                    let value: Value = map.next_value()?;
                    self.0.unknown_sections.insert(name, value);
                }
            }
        }
        Ok(())
    }
}

/// Reads one known section, storing each entry as it is parsed.
struct SectionEntries<'a> {
    state: &'a mut CacheState,
    kind: CredentialType,
}

impl<'de> DeserializeSeed<'de> for SectionEntries<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SectionEntries<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the `{}` section as a JSON object",
            self.kind.section_name()
        )
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let raw: Value = map.next_value()?;
            self.state.insert(self.kind, key.into_boxed_str(), raw);
        }
        Ok(())
    }
}

/// Checks the top level the way [`TopLevel`] reads it (an object whose known sections are
/// objects), without storing anything: what a store needs to know whether a file is readable.
#[cfg_attr(not(feature = "file"), allow(dead_code))] // used by `CacheState::check`
pub(super) struct Shape;

impl<'de> DeserializeSeed<'de> for Shape {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Shape {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the cache as a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(name) = map.next_key::<String>()? {
            match CredentialType::from_section_name(&name) {
                Some(kind) => map.next_value_seed(SectionShape(kind))?,
                None => map.next_value::<IgnoredAny>().map(drop)?,
            }
        }
        Ok(())
    }
}

/// One known section must be an object; its entries may be anything (they are kept as they are).
#[cfg_attr(not(feature = "file"), allow(dead_code))]
struct SectionShape(CredentialType);

impl<'de> DeserializeSeed<'de> for SectionShape {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SectionShape {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the `{}` section as a JSON object",
            self.0.section_name()
        )
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// Serializes the state (or one partition) as `{section: {key: entry}}`.
pub(super) struct StateJson<'a> {
    pub(super) state: &'a CacheState,
    pub(super) partition: Option<&'a str>,
}

impl Serialize for StateJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let state = self.state;
        let mut top = serializer.serialize_map(None)?;
        for kind in CredentialType::ALL {
            if !state.sections[kind.index()].present {
                continue;
            }
            top.serialize_entry(
                kind.section_name(),
                &SectionJson {
                    state,
                    kind,
                    partition: self.partition,
                },
            )?;
        }
        for (name, value) in &state.unknown_sections {
            top.serialize_entry(name, value)?;
        }
        top.end()
    }
}

struct SectionJson<'a> {
    state: &'a CacheState,
    kind: CredentialType,
    partition: Option<&'a str>,
}

impl Serialize for SectionJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for slot in self.state.slots.iter().flatten() {
            if slot.kind != self.kind {
                continue;
            }
            if let Some(partition) = self.partition
                && !slot.in_partition(partition)
            {
                continue;
            }
            map.serialize_entry(&*slot.key, &EntryJson(slot))?;
        }
        map.end()
    }
}

/// One entry, with its secret put back.
struct EntryJson<'a>(&'a Slot);

impl Serialize for EntryJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let slot = self.0;
        let secret = if slot.secret_in_view {
            slot.view.secret()
        } else {
            None
        };
        match (&slot.raw, secret) {
            (Value::Object(fields), Some(secret)) => {
                let mut map = serializer.serialize_map(Some(fields.len() + 1))?;
                for (name, value) in fields {
                    map.serialize_entry(name, value)?;
                }
                map.serialize_entry("secret", secret)?;
                map.end()
            }
            (raw, _) => raw.serialize(serializer),
        }
    }
}
