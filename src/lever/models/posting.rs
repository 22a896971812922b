//! A job posting.

use super::de;
use serde::{Deserialize, Serialize};

/// `GET /postings/:id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
