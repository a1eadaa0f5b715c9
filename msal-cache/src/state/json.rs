//! The cache's JSON: parsing straight into the slab and index, and writing it back (whole or one
//! partition) with each entry's secret restored.

use std::{borrow::Cow, fmt, sync::Arc};

use serde::{
    Deserialize as _,
    de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor},
    ser::{Serialize, SerializeMap, Serializer},
};
use serde_json::Value;

use super::{Body, CacheState, SectionName, Slot};
use crate::{
    entry::CredentialType,
    fields::{FieldValue, FieldsBuilder, Interner, Known, Name},
};

/// Reads the top-level object: known sections entry by entry, others as `Value`s.
pub(super) struct TopLevel<'a> {
    pub(super) state: &'a mut CacheState,
    pub(super) strings: StringRead<'a>,
}

/// How an entry's secret and key are read.
///
/// A secret is most of a cache's bytes (a JWT of 1 to 2 KB per token) and an entry's key is
/// the next longest string. serde_json's string reader looks at each eight bytes at a time to
/// find the closing quote, a backslash or a control character. Its byte-string reader finds the
/// quote and backslashes with `memchr`'s SIMD search instead and leaves control characters
/// alone; [`StringRead::Fast`] reads secrets and keys that way and checks for control
/// characters itself in one vectorised pass. A string without escapes is taken as a `&str`
/// slice of the document (its bytes lie between two ASCII quotes of a `&str`, so no UTF-8 check
/// is needed); one with escapes arrives decoded and is checked for UTF-8.
///
/// Anything that read does not accept fails the parse, and the document is read again with
/// [`StringRead::Strict`], serde_json's own string reader, whose result or error is the answer.
/// That is: a secret that is not a string; a control character, raw (not JSON) or escaped (JSON,
/// but after decoding the two look alike); an escape that decodes to something that is not
/// UTF-8 (a lone surrogate). So the fast read never accepts what the strict one would not, nor
/// reads anything differently: it only skips work on the files every MSAL writes. A refused
/// document, a corrupt one included, is parsed twice.
#[derive(Clone, Copy)]
pub(super) enum StringRead<'j> {
    /// The document being read, whose secrets and keys are copied out of it. Not `Debug`: it
    /// holds every secret of the cache.
    Fast(&'j str),
    Strict,
}

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
        let mut interner = Interner::default();
        while let Some(name) = map.next_key::<String>()? {
            match CredentialType::from_section_name(&name) {
                Some(kind) => {
                    // A repeated section merges into the first (its entries are upserts) and
                    // keeps the first one's place.
                    if !self.state.sections[kind.index()].present {
                        self.state.section_order.push(SectionName::Known(kind));
                    }
                    self.state.sections[kind.index()].present = true;
                    map.next_value_seed(SectionEntries {
                        state: &mut *self.state,
                        kind,
                        interner: &mut interner,
                        strings: self.strings,
                    })?;
                }
                None => {
                    let value: Value = map.next_value()?;
                    // A repeated name keeps its first place and its last value, as for fields.
                    if !self.state.unknown_sections.contains_key(&name) {
                        let order = SectionName::Unknown(name.clone());
                        self.state.section_order.push(order);
                    }
                    self.state.unknown_sections.insert(name, value);
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
    interner: &'a mut Interner,
    strings: StringRead<'a>,
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
        loop {
            let key = match self.strings {
                StringRead::Fast(json) => map
                    .next_key_seed(FastStr(json))?
                    .map(|key| Arc::<str>::from(&*key)),
                StringRead::Strict => map.next_key_seed(SharedStr)?,
            };
            let Some(key) = key else { break };
            let (body, secret) = map.next_value_seed(EntrySeed {
                kind: self.kind,
                interner: &mut *self.interner,
                strings: self.strings,
            })?;
            self.state
                .insert_slot(Slot::new(self.kind, key, body, secret));
        }
        Ok(())
    }
}

/// The key serde_json gives a number when its `arbitrary_precision` feature is on (features are
/// shared by a whole build, so any crate of an application can turn it on): the number arrives
/// as a one-field map with this key and its digits.
const ARBITRARY_PRECISION_NUMBER: &str = "$serde_json::private::Number";

/// A string read straight into an `Arc<str>` (entry keys are unique: nothing to intern).
struct SharedStr;

impl<'de> DeserializeSeed<'de> for SharedStr {
    type Value = Arc<str>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Arc<str>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for SharedStr {
    type Value = Arc<str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Arc<str>, E> {
        Ok(Arc::from(s))
    }
}

/// A field name, without an allocation for the schema's own.
struct FieldName;

impl<'de> DeserializeSeed<'de> for FieldName {
    type Value = Name;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Name, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for FieldName {
    type Value = Name;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Name, E> {
        Ok(Name::new(s))
    }
}

/// The JSON values that are neither strings nor (for an entry) objects: the same for an entry
/// and for a field, so written once.
macro_rules! other_json_values {
    ($wrap:expr) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok($wrap(Value::Bool(v)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok($wrap(Value::from(v)))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok($wrap(Value::from(v)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok($wrap(Value::from(v)))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($wrap(Value::Null))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($wrap(Value::Null))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<Value>()? {
                items.push(item);
            }
            Ok($wrap(Value::Array(items)))
        }
    };
}

/// One entry: an object becomes [`Body::Object`] with its secret taken out, anything else is
/// kept as it is.
struct EntrySeed<'a> {
    kind: CredentialType,
    interner: &'a mut Interner,
    strings: StringRead<'a>,
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = (Body, Option<String>);
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed<'_> {
    type Value = (Body, Option<String>);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a cache entry")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = FieldsBuilder::new(self.kind.holds_secret());
        let mut first = true;
        while let Some(name) = map.next_key_seed(FieldName)? {
            if std::mem::take(&mut first) && name.as_str() == ARBITRARY_PRECISION_NUMBER {
                // Not an object: a number, as serde_json hands it over when some crate in the
                // build turned on its `arbitrary_precision` feature.
                let digits: String = map.next_value()?;
                let number = digits.parse().map_err(de::Error::custom)?;
                return Ok((Body::Opaque(Value::Number(number)), None));
            }
            if fields.wants_secret(&name) {
                // The secret is not shared with anything: read it whole.
                match self.strings {
                    StringRead::Fast(json) => {
                        let secret = map.next_value_seed(FastStr(json))?;
                        fields.push_secret(name, secret.into_owned());
                    }
                    StringRead::Strict => fields.push_value(name, map.next_value()?),
                }
            } else {
                let value = map.next_value_seed(FieldSeed {
                    field: name.known(),
                    interner: &mut *self.interner,
                })?;
                fields.push(name, value);
            }
        }
        let (fields, secret) = fields.finish();
        Ok((Body::Object(fields), secret))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok((Body::Opaque(Value::String(s.to_owned())), None))
    }
    other_json_values!(|v| (Body::Opaque(v), None));
}

/// A string read as [`StringRead::Fast`] describes: borrowed from the document when it has no
/// escapes, or an error that sends the whole document to the strict read.
struct FastStr<'j>(&'j str);

/// The error that sends a document to the strict read; never shown to anyone.
const NOT_FAST: &str = "not a plain string";

impl<'de, 'j> DeserializeSeed<'de> for FastStr<'j> {
    type Value = Cow<'j, str>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_bytes(self)
    }
}

impl<'de, 'j> Visitor<'de> for FastStr<'j> {
    type Value = Cow<'j, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(NOT_FAST)
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        // Without escapes the bytes are a slice of the document: take it as the `&str` it is.
        // Bytes from anywhere else give an offset outside the document, and `get` says `None`.
        let start = (v.as_ptr() as usize).wrapping_sub(self.0.as_ptr() as usize);
        match self.0.get(start..start.wrapping_add(v.len())) {
            Some(s) if !has_control(v) => Ok(Cow::Borrowed(s)),
            _ => Err(E::custom(NOT_FAST)),
        }
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        // Decoded escapes: a control character here may have been a legal `\n`, which the strict
        // read then takes.
        match std::str::from_utf8(v) {
            Ok(s) if !has_control(v) => Ok(Cow::Owned(s.to_owned())),
            _ => Err(E::custom(NOT_FAST)),
        }
    }
}

/// Whether any byte is a control character (U+0000 to U+001F).
fn has_control(v: &[u8]) -> bool {
    // `min` rather than `any`: no early exit, so the loop is vectorised.
    v.iter().copied().min().is_some_and(|b| b < 0x20)
}

/// One field's value: a string (interned for fields whose values repeat), or any other JSON
/// value.
struct FieldSeed<'a> {
    field: Option<Known>,
    interner: &'a mut Interner,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = FieldValue;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<FieldValue, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_> {
    type Value = FieldValue;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<FieldValue, E> {
        Ok(FieldValue::from_str(self.field, s, |s| match self.field {
            Some(field) if field.repeats() => self.interner.get(field, s),
            _ => Arc::from(s),
        }))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FieldValue, A::Error> {
        // `Value` itself reads the object (or, with serde_json's `arbitrary_precision`, the
        // number that arrives as one).
        let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(FieldValue::from_value(self.field, value))
    }
    other_json_values!(|v| FieldValue::from_value(None, v));
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
        // The order read first, then sections created since (the schema's first, in its order).
        let created = CredentialType::ALL
            .into_iter()
            .map(SectionName::Known)
            .chain(
                state
                    .unknown_sections
                    .keys()
                    .cloned()
                    .map(SectionName::Unknown),
            )
            .filter(|name| !state.section_order.contains(name));
        let order: Vec<SectionName> = state.section_order.iter().cloned().chain(created).collect();
        for name in &order {
            match name {
                SectionName::Known(kind) if state.sections[kind.index()].present => {
                    let section = SectionJson {
                        state,
                        kind: *kind,
                        partition: self.partition,
                    };
                    top.serialize_entry(kind.section_name(), &section)?;
                }
                SectionName::Known(_) => {}
                SectionName::Unknown(name) => {
                    if let Some(value) = state.unknown_sections.get(name) {
                        top.serialize_entry(name, value)?;
                    }
                }
            }
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

/// `n` in decimal, written into `buf` (a `u64` has at most 20 digits).
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    std::str::from_utf8(&buf[start..]).unwrap_or_default()
}

/// One entry, with its secret put back where it was.
struct EntryJson<'a>(&'a Slot);

impl Serialize for EntryJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let slot = self.0;
        let fields = match &slot.body {
            Body::Object(fields) => fields,
            Body::Opaque(value) => return value.serialize(serializer),
        };
        let mut map = serializer.serialize_map(Some(fields.len()))?;
        for (name, value) in fields.iter() {
            match value {
                FieldValue::Str(s) => map.serialize_entry(name.as_str(), &**s)?,
                FieldValue::Time(t) => {
                    map.serialize_entry(name.as_str(), decimal(*t, &mut [0; 20]))?
                }
                FieldValue::Null => map.serialize_entry(name.as_str(), &())?,
                FieldValue::Secret => {
                    map.serialize_entry(name.as_str(), slot.view.secret().unwrap_or(""))?
                }
                FieldValue::Other(v) => map.serialize_entry(name.as_str(), &**v)?,
            }
        }
        map.end()
    }
}
