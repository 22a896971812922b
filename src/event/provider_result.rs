//! A provider's result for a request a handler made (a background check came back clear,
//! an assessment was scored, an employee record exists), as stored and handed to the
//! handler that made the request: the `providerResult` event.

use super::{ContactId, OpportunityId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The event name results are stored under.
pub const PROVIDER_RESULT_EVENT: &str = "providerResult";

/// One result, with the context of the request it answers.
///
/// The provider sends `reference` and `status` and any of the optional fields;
/// lever-hooks adds `handler`, `webhookId` and the request's opportunity and contact,
/// found by the reference, before storing it. Fields it does not know are kept in
/// `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderResult {
    /// The handler that made the request (and gets the result).
    pub handler: String,
    /// The provider's id for the request: the `id` it answered the request with.
    pub reference: String,
    /// The provider's status word (`clear`, `consider`, `completed`, `created`, …).
    pub status: String,
    /// A score, for assessments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The highest possible score, when `score` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_score: Option<f64>,
    /// The provider's own verdict, when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
    /// Where a recruiter can read the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_url: Option<String>,
    /// A line or two a recruiter can read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The employee's id in the HRIS, for `hris` results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
    /// When the provider finished, in ms since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<u64>,
    /// The `webhook-id` the provider signed it with (its dedupe key).
    pub webhook_id: String,
    /// The opportunity the request was made for.
    pub opportunity_id: OpportunityId,
    /// The person, when the request named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ContactId>,
    /// Every other field the provider sent, passed on as is.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
