//! Which managed identity to ask for: the resource's own (system-assigned) or one of the
//! user-assigned identities attached to it.
//!
//! The serde form is MSAL Python's dict, so an identity can live in the same JSON configuration
//! that a Python service reads: `{"ManagedIdentityIdType": "ClientId", "Id": "…"}`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// A managed identity: system-assigned, or user-assigned and named by one of its ids.
///
/// ```
/// use msal_managed_identity::{ManagedIdentity, UserAssignedId, UserAssignedManagedIdentity};
///
/// let mi: ManagedIdentity = UserAssignedManagedIdentity::client_id("00000000-0000-4000-8000-0000000000b1").into();
/// assert_eq!(
///     serde_json::to_string(&mi)?,
///     r#"{"ManagedIdentityIdType":"ClientId","Id":"00000000-0000-4000-8000-0000000000b1"}"#
/// );
/// let system: ManagedIdentity =
///     serde_json::from_str(r#"{"ManagedIdentityIdType": "SystemAssigned", "Id": null}"#)?;
/// assert_eq!(system, ManagedIdentity::SystemAssigned);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[expect(
    clippy::exhaustive_enums,
    reason = "an identity is system- or user-assigned"
)]
pub enum ManagedIdentity {
    /// The identity of the Azure resource the code runs on.
    SystemAssigned,
    /// A user-assigned identity attached to the resource.
    UserAssigned(UserAssignedId),
}

/// How a user-assigned identity is named.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[expect(
    clippy::exhaustive_enums,
    reason = "the three ids Azure identifies a user-assigned identity by"
)]
pub enum UserAssignedId {
    /// The identity's client (application) id.
    ClientId(String),
    /// The identity's object (principal) id.
    ObjectId(String),
    /// The identity's Azure Resource Manager id
    /// (`/subscriptions/…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/…`).
    ResourceId(String),
}

impl UserAssignedId {
    /// The id itself.
    pub fn value(&self) -> &str {
        match self {
            Self::ClientId(v) | Self::ObjectId(v) | Self::ResourceId(v) => v,
        }
    }

    /// MSAL Python's `ManagedIdentityIdType` for this kind: `ClientId`, `ObjectId`, `ResourceId`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ClientId(_) => "ClientId",
            Self::ObjectId(_) => "ObjectId",
            Self::ResourceId(_) => "ResourceId",
        }
    }
}

impl ManagedIdentity {
    /// The `client_id` of this identity's cache entries: the id for a user-assigned identity,
    /// and `""` (stored as `null`, as MSAL Python 1.39 writes it) for the system-assigned one.
    pub(crate) fn cache_client_id(&self) -> &str {
        match self {
            Self::SystemAssigned => "",
            Self::UserAssigned(id) => id.value(),
        }
    }
}

/// The system-assigned managed identity (MSAL Python's `SystemAssignedManagedIdentity()`).
///
/// ```
/// use msal_managed_identity::{ManagedIdentity, SystemAssignedManagedIdentity};
/// assert_eq!(ManagedIdentity::from(SystemAssignedManagedIdentity), ManagedIdentity::SystemAssigned);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[expect(
    clippy::exhaustive_structs,
    reason = "a unit value apps name directly, as MSAL Python's class"
)]
pub struct SystemAssignedManagedIdentity;

impl From<SystemAssignedManagedIdentity> for ManagedIdentity {
    fn from(_: SystemAssignedManagedIdentity) -> Self {
        ManagedIdentity::SystemAssigned
    }
}

/// A user-assigned managed identity (MSAL Python's `UserAssignedManagedIdentity(client_id=…)`).
///
/// Python's constructor takes three optional keywords and fails unless exactly one is given;
/// here each kind has its own constructor, so "exactly one" holds by construction.
///
/// ```
/// use msal_managed_identity::{ManagedIdentity, UserAssignedId, UserAssignedManagedIdentity};
/// let mi: ManagedIdentity = UserAssignedManagedIdentity::object_id("1111").into();
/// assert_eq!(mi, ManagedIdentity::UserAssigned(UserAssignedId::ObjectId("1111".into())));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserAssignedManagedIdentity(UserAssignedId);

impl UserAssignedManagedIdentity {
    /// Names the identity by its client id.
    pub fn client_id(id: impl Into<String>) -> Self {
        Self(UserAssignedId::ClientId(id.into()))
    }

    /// Names the identity by its object (principal) id.
    pub fn object_id(id: impl Into<String>) -> Self {
        Self(UserAssignedId::ObjectId(id.into()))
    }

    /// Names the identity by its Azure Resource Manager resource id.
    pub fn resource_id(id: impl Into<String>) -> Self {
        Self(UserAssignedId::ResourceId(id.into()))
    }

    /// How the identity is named.
    pub fn id(&self) -> &UserAssignedId {
        &self.0
    }
}

impl From<UserAssignedManagedIdentity> for ManagedIdentity {
    fn from(mi: UserAssignedManagedIdentity) -> Self {
        ManagedIdentity::UserAssigned(mi.0)
    }
}

impl From<UserAssignedId> for ManagedIdentity {
    fn from(id: UserAssignedId) -> Self {
        ManagedIdentity::UserAssigned(id)
    }
}

const TYPE_KEY: &str = "ManagedIdentityIdType";
const ID_KEY: &str = "Id";

/// The dict shape, for (de)serialization only.
#[derive(Serialize, Deserialize)]
struct Wire {
    #[serde(rename = "ManagedIdentityIdType")]
    kind: String,
    #[serde(rename = "Id", default)]
    id: Option<String>,
}

impl Serialize for ManagedIdentity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let wire = match self {
            Self::SystemAssigned => Wire {
                kind: "SystemAssigned".into(),
                id: None,
            },
            Self::UserAssigned(id) => Wire {
                kind: id.kind().into(),
                id: Some(id.value().to_owned()),
            },
        };
        wire.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ManagedIdentity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(deserializer)?;
        let id = wire.id.filter(|s| !s.is_empty());
        // MSAL Python rejects the same shapes ("Incorrect managed_identity").
        match (wire.kind.as_str(), id) {
            ("SystemAssigned", None) => Ok(Self::SystemAssigned),
            ("SystemAssigned", Some(_)) => Err(de::Error::custom(format_args!(
                "a SystemAssigned managed identity takes no {ID_KEY}"
            ))),
            ("ClientId", Some(v)) => Ok(Self::UserAssigned(UserAssignedId::ClientId(v))),
            ("ObjectId", Some(v)) => Ok(Self::UserAssigned(UserAssignedId::ObjectId(v))),
            ("ResourceId", Some(v)) => Ok(Self::UserAssigned(UserAssignedId::ResourceId(v))),
            ("ClientId" | "ObjectId" | "ResourceId", None) => Err(de::Error::custom(format_args!(
                "a user-assigned managed identity needs a non-empty {ID_KEY}"
            ))),
            (other, _) => Err(de::Error::custom(format_args!(
                "unknown {TYPE_KEY} {other:?}; expected SystemAssigned, ClientId, ObjectId or ResourceId"
            ))),
        }
    }
}

impl fmt::Display for ManagedIdentity {
    /// `system-assigned` or `user-assigned <Kind> <id>`: ids are not secrets, and logs need them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SystemAssigned => f.write_str("system-assigned"),
            Self::UserAssigned(id) => write!(f, "user-assigned {} {}", id.kind(), id.value()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]
    use super::*;
    use serde_json::json;

    #[test]
    fn serde_matches_python_dicts() {
        for (mi, value) in [
            (
                ManagedIdentity::SystemAssigned,
                json!({"ManagedIdentityIdType": "SystemAssigned", "Id": null}),
            ),
            (
                UserAssignedManagedIdentity::client_id("c").into(),
                json!({"ManagedIdentityIdType": "ClientId", "Id": "c"}),
            ),
            (
                UserAssignedManagedIdentity::object_id("o").into(),
                json!({"ManagedIdentityIdType": "ObjectId", "Id": "o"}),
            ),
            (
                UserAssignedManagedIdentity::resource_id("/r").into(),
                json!({"ManagedIdentityIdType": "ResourceId", "Id": "/r"}),
            ),
        ] {
            assert_eq!(serde_json::to_value(&mi).unwrap(), value);
            assert_eq!(
                serde_json::from_value::<ManagedIdentity>(value).unwrap(),
                mi
            );
        }
        let no_id: ManagedIdentity =
            serde_json::from_value(json!({"ManagedIdentityIdType": "SystemAssigned"})).unwrap();
        assert_eq!(no_id, ManagedIdentity::SystemAssigned);
    }

    #[test]
    fn invalid_dicts_are_rejected() {
        for bad in [
            json!({"ManagedIdentityIdType": "SystemAssigned", "Id": "x"}),
            json!({"ManagedIdentityIdType": "ClientId", "Id": null}),
            json!({"ManagedIdentityIdType": "ClientId", "Id": ""}),
            json!({"ManagedIdentityIdType": "Nope", "Id": "x"}),
            json!({"Id": "x"}),
            json!("SystemAssigned"),
        ] {
            assert!(
                serde_json::from_value::<ManagedIdentity>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn display_and_cache_ids() {
        let mi: ManagedIdentity = UserAssignedManagedIdentity::client_id("abc").into();
        assert_eq!(mi.to_string(), "user-assigned ClientId abc");
        assert_eq!(mi.cache_client_id(), "abc");
        assert_eq!(ManagedIdentity::SystemAssigned.cache_client_id(), "");
    }
}
