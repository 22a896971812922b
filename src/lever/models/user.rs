//! A Lever user (a recruiter, hiring manager, interviewer).

use super::de;
use serde::{Deserialize, Serialize};

/// `GET /users/:id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The user UID.
    pub id: String,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Username.
    #[serde(default)]
    pub username: Option<String>,
    /// `super admin`, `admin`, `team member`, `limited team member` or `interviewer`.
    #[serde(default)]
    pub access_role: Option<String>,
    /// Job title.
    #[serde(default)]
    pub job_title: Option<String>,
    /// The manager's user UID.
    #[serde(default, deserialize_with = "de::id_of")]
    pub manager_id: Option<String>,
    /// The id in the customer's directory (HRIS).
    #[serde(default)]
    pub external_directory_id: Option<String>,
    /// Deactivated, ms since the epoch; `None` while active.
    #[serde(default, deserialize_with = "de::millis")]
    pub deactivated_at: Option<i64>,
}
