//! A requisition: an approved headcount (HRIS).

use super::de;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `GET /requisitions/:id`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Requisition {
    /// The requisition UID.
    pub id: String,
    /// The customer's requisition code.
    #[serde(default)]
    pub requisition_code: Option<String>,
    /// The requisition's name.
    #[serde(default)]
    pub name: Option<String>,
    /// `open`, `onHold`, `closed`…
    #[serde(default)]
    pub status: Option<String>,
    /// The hiring manager's user UID.
    #[serde(default, deserialize_with = "de::id_of")]
    pub hiring_manager: Option<String>,
    /// The owner's user UID.
    #[serde(default, deserialize_with = "de::id_of")]
    pub owner: Option<String>,
    /// Full-time, part-time…
    #[serde(default)]
    pub employment_status: Option<String>,
    /// Location.
    #[serde(default, deserialize_with = "de::location")]
    pub location: Option<String>,
    /// Team.
    #[serde(default)]
    pub team: Option<String>,
    /// Department.
    #[serde(default)]
    pub department: Option<String>,
    /// Headcount, as Lever sent it (a number, or a word such as `unlimited`).
    #[serde(default)]
    pub headcount_total: Value,
    /// How many were hired.
    #[serde(default, deserialize_with = "de::millis")]
    pub headcount_hired: Option<i64>,
    /// Whether it replaces someone.
    #[serde(default)]
    pub backfill: Option<bool>,
    /// `{currency, interval, min, max}` as Lever sent it.
    #[serde(default)]
    pub compensation_band: Option<Value>,
    /// Linked posting UIDs.
    #[serde(default, deserialize_with = "de::ids")]
    pub postings: Vec<String>,
    /// Linked offer UIDs.
    #[serde(default, deserialize_with = "de::ids")]
    pub offer_ids: Vec<String>,
    /// The account's custom fields, as Lever sent them.
    #[serde(default)]
    pub custom_fields: Value,
    /// `confidential` or `non-confidential`.
    #[serde(default)]
    pub confidentiality: Option<String>,
    /// Created, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub created_at: Option<i64>,
    /// Closed, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub closed_at: Option<i64>,
    /// Last updated, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub updated_at: Option<i64>,
    /// Who created it (user UID).
    #[serde(default, deserialize_with = "de::id_of")]
    pub creator: Option<String>,
    /// Time to fill starts counting, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub time_to_fill_start_at: Option<i64>,
    /// Time to fill stops counting, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub time_to_fill_end_at: Option<i64>,
}
