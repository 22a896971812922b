//! A job posting.

use super::de;
use super::User;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// `GET /postings/:id` and each item of `GET /postings`.
///
/// `hiring_manager`, `owner` and `user` are always the user UIDs; when Lever expanded
/// them (`expand=hiringManager` and so on) the user objects are in [`Posting::expanded`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct Posting {
    /// The posting UID.
    pub id: String,
    /// The job title.
    #[serde(default)]
    pub text: Option<String>,
    /// `published`, `internal`, `closed`, `draft`, `pending` or `rejected`.
    #[serde(default)]
    pub state: Option<String>,
    /// `confidential` or `non-confidential`.
    #[serde(default)]
    pub confidentiality: Option<String>,
    /// Team, department, location, commitment.
    #[serde(default)]
    pub categories: PostingCategories,
    /// The hiring manager's user UID.
    #[serde(default, deserialize_with = "de::id_of")]
    pub hiring_manager: Option<String>,
    /// The owner's user UID.
    #[serde(default, deserialize_with = "de::id_of")]
    pub owner: Option<String>,
    /// The creator's user UID.
    #[serde(default, deserialize_with = "de::id_of")]
    pub user: Option<String>,
    /// Tags.
    #[serde(default, deserialize_with = "de::list")]
    pub tags: Vec<String>,
    /// Requisition codes linked to the posting.
    #[serde(default, deserialize_with = "de::list")]
    pub requisition_codes: Vec<String>,
    /// ISO 3166-1 alpha-2 country.
    #[serde(default)]
    pub country: Option<String>,
    /// `onsite`, `remote`, `hybrid` or `unspecified`.
    #[serde(default)]
    pub workplace_type: Option<String>,
    /// Created, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub created_at: Option<i64>,
    /// Last updated, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub updated_at: Option<i64>,
    /// Where it is listed: `public`, `internal`.
    #[serde(default, deserialize_with = "de::list")]
    pub distribution_channels: Vec<String>,
    /// Followers' user UIDs.
    #[serde(default, deserialize_with = "de::ids")]
    pub followers: Vec<String>,
    /// Links to the job site.
    #[serde(default)]
    pub urls: Option<PostingUrls>,
    /// The users Lever expanded on request; empty otherwise.
    #[serde(default, skip_serializing_if = "PostingUsers::is_empty")]
    pub expanded: PostingUsers,
}

impl<'de> Deserialize<'de> for Posting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        let user = |key: &str| -> Result<Option<User>, D::Error> {
            match map.get(key) {
                Some(value @ Value::Object(_)) => User::deserialize(value.clone())
                    .map(Some)
                    .map_err(serde::de::Error::custom),
                _ => Ok(None),
            }
        };
        let expanded = PostingUsers {
            hiring_manager: user("hiringManager")?,
            owner: user("owner")?,
            user: user("user")?,
        };
        let mut posting =
            Posting::deserialize(Value::Object(map)).map_err(serde::de::Error::custom)?;
        if !expanded.is_empty() {
            posting.expanded = expanded;
        }
        Ok(posting)
    }
}

impl Serialize for Posting {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Posting::serialize(self, s)
    }
}

/// The users of a posting that Lever expanded (`expand=hiringManager|owner|user`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostingUsers {
    /// The hiring manager, with `expand=hiringManager`.
    #[serde(default)]
    pub hiring_manager: Option<User>,
    /// The owner, with `expand=owner`.
    #[serde(default)]
    pub owner: Option<User>,
    /// The creator, with `expand=user`.
    #[serde(default)]
    pub user: Option<User>,
}

impl PostingUsers {
    /// Whether nothing was expanded.
    pub fn is_empty(&self) -> bool {
        self.hiring_manager.is_none() && self.owner.is_none() && self.user.is_none()
    }
}

/// Links to a posting on the job site.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostingUrls {
    /// Every posting of the account.
    #[serde(default)]
    pub list: Option<String>,
    /// This posting.
    #[serde(default)]
    pub show: Option<String>,
    /// Its application form.
    #[serde(default)]
    pub apply: Option<String>,
}

/// How a posting is filed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostingCategories {
    /// Team.
    #[serde(default)]
    pub team: Option<String>,
    /// Department.
    #[serde(default)]
    pub department: Option<String>,
    /// The primary location.
    #[serde(default)]
    pub location: Option<String>,
    /// Every location.
    #[serde(default, deserialize_with = "de::list")]
    pub all_locations: Vec<String>,
    /// Full-time, part-time…
    #[serde(default)]
    pub commitment: Option<String>,
    /// Level (deprecated by Lever).
    #[serde(default)]
    pub level: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expanded_users_keep_the_id_and_the_user() {
        let posting: Posting = serde_json::from_str(
            r#"{"id": "p1", "hiringManager": {"id": "u1", "name": "Priya"},
                "owner": "u2", "user": null, "urls": null, "distributionChannels": null}"#,
        )
        .unwrap();
        assert_eq!(posting.hiring_manager.as_deref(), Some("u1"));
        assert_eq!(posting.owner.as_deref(), Some("u2"));
        let manager = posting.expanded.hiring_manager.as_ref().unwrap();
        assert_eq!(manager.name.as_deref(), Some("Priya"));
        assert!(posting.expanded.owner.is_none() && posting.expanded.user.is_none());
        assert!(posting.distribution_channels.is_empty() && posting.urls.is_none());
        let again: Posting =
            serde_json::from_value(serde_json::to_value(&posting).unwrap()).unwrap();
        assert_eq!(again, posting, "a serialized posting decodes to itself");
        assert!(serde_json::from_str::<Posting>(r#"{"id": "p", "owner": {"name": "x"}}"#).is_err());
    }
}
