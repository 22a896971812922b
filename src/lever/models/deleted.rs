//! A deleted opportunity, as `GET /opportunities/deleted` lists it.

use super::de;
use serde::{Deserialize, Serialize};

/// One entry of `GET /opportunities/deleted`: the opportunity can no longer be fetched,
/// so this is what is left to key a deletion on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedOpportunity {
    /// The opportunity UID.
    pub id: String,
    /// When it was deleted, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub deleted_at: Option<i64>,
    /// The user UID who deleted it.
    #[serde(default, deserialize_with = "de::id_of")]
    pub deleted_by: Option<String>,
    /// The person (contact UID) it belonged to, when Lever says.
    #[serde(default, deserialize_with = "de::id_of")]
    pub contact: Option<String>,
    /// The candidate's name, when Lever says.
    #[serde(default)]
    pub name: Option<String>,
    /// Created, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub created_at: Option<i64>,
}
