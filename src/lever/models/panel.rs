//! An interview panel: interviews scheduled together for one opportunity.

use super::de;
use super::Interview;
use serde::{Deserialize, Serialize};

/// `GET /opportunities/:id/panels[/:panel]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Panel {
    /// The panel UID.
    pub id: String,
    /// The applications (UIDs) it is for.
    #[serde(default, deserialize_with = "de::ids")]
    pub applications: Vec<String>,
    /// Canceled, ms since the epoch; `None` unless canceled.
    #[serde(default, deserialize_with = "de::millis")]
    pub canceled_at: Option<i64>,
    /// Created, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub created_at: Option<i64>,
    /// The first interview starts, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub start: Option<i64>,
    /// The last interview ends, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub end: Option<i64>,
    /// IANA time zone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// When to remind interviewers: `once`, `daily`, `frequently` or `none`.
    #[serde(default)]
    pub feedback_reminder: Option<String>,
    /// Who scheduled it (user UID).
    #[serde(default, deserialize_with = "de::id_of")]
    pub user: Option<String>,
    /// The opportunity's stage (UID) when it was scheduled.
    #[serde(default, deserialize_with = "de::id_of")]
    pub stage: Option<String>,
    /// The note shown to interviewers.
    #[serde(default)]
    pub note: Option<String>,
    /// Created through the API (only those can be changed or deleted through it).
    #[serde(default, deserialize_with = "de::flag")]
    pub externally_managed: bool,
    /// The scheduling tool's page, for externally managed panels.
    #[serde(default)]
    pub external_url: Option<String>,
    /// Its interviews.
    #[serde(default, deserialize_with = "de::list")]
    pub interviews: Vec<Interview>,
}
