//! What the Lever-aware handlers share: the write-back for a handler's context, the
//! `candidate` and `posting` blocks of provider requests, and how Data API and store
//! failures become outcomes. Everything here is built on the public plugin API.

use super::write_back::WriteBack;
use crate::handler::{HandlerContext, LeverApi, Outcome};
use crate::lever::{LeverClient, LeverError, Opportunity, Posting};
use crate::store::Millis;
use crate::store::StoreError;
use serde_json::{json, Value};
use std::time::Duration;

/// The outcome of a failed Data API call made while `doing` something.
pub fn lever_failure(doing: &str, e: LeverError) -> Outcome {
    let reason = format!("{doing}: {e}");
    if e.is_retryable() {
        Outcome::Retry {
            after: e.retry_after(),
            reason,
        }
    } else {
        Outcome::give_up(reason)
    }
}

/// The outcome of a failed store call: always worth retrying.
pub fn store_failure(e: StoreError) -> Outcome {
    Outcome::retry(format!("store: {e}"))
}

/// Reads the opportunity, or the outcome to end the attempt with.
pub async fn read_opportunity(client: &LeverClient, id: &str) -> Result<Opportunity, Outcome> {
    client
        .opportunity(id)
        .await
        .map_err(|e| lever_failure("reading the opportunity", e))
}

/// Why a stage-change trigger is stale: the opportunity was archived, or has left
/// `to_stage` (named `stage_label` in the message); `None` while the trigger still holds.
pub fn stale_stage_reason(
    opportunity: &Opportunity,
    to_stage: &str,
    stage_label: &str,
) -> Option<String> {
    if opportunity.archived.is_some() {
        return Some("the opportunity is archived".to_owned());
    }
    let current = opportunity.stage.as_ref().map(|s| s.id.as_str());
    (current != Some(to_stage))
        .then(|| format!("the opportunity is no longer in the {stage_label} stage"))
}

/// The `candidate` block: who the provider deals with.
pub fn candidate_block(opportunity: &Opportunity) -> Value {
    json!({
        "name": opportunity.name,
        "emails": opportunity.emails,
        "phones": opportunity.phones.iter().map(|p| json!({"type": p.r#type, "value": p.value})).collect::<Vec<_>>(),
        "location": opportunity.location,
    })
}

/// The posting the opportunity applied to (its one application's), if any.
pub fn posting_id(opportunity: &Opportunity) -> Option<&str> {
    opportunity
        .applications
        .iter()
        .find_map(|a| a.posting.as_deref())
}

/// Reads the posting the opportunity applied to; `None` when it has none.
pub async fn read_posting(
    client: &LeverClient,
    opportunity: &Opportunity,
) -> Result<Option<Posting>, Outcome> {
    let Some(id) = posting_id(opportunity) else {
        return Ok(None);
    };
    match client.posting(id).await {
        Ok(posting) => Ok(Some(posting)),
        // A deleted or confidential posting: go on without it rather than fail the job.
        Err(LeverError::NotFound { .. }) | Err(LeverError::Forbidden { .. }) => Ok(None),
        Err(e) => Err(lever_failure("reading the posting", e)),
    }
}

/// The `posting` block: the job, as far as it is known.
pub fn posting_block(posting: Option<&Posting>) -> Value {
    match posting {
        None => Value::Null,
        Some(p) => json!({
            "id": p.id,
            "title": p.text,
            "team": p.categories.team,
            "department": p.categories.department,
            "location": p.categories.location,
        }),
    }
}

/// The write-back of `ctx`'s handler, through `api` (its account's Data API).
pub fn writer<'a>(ctx: &HandlerContext, api: LeverApi<'a>) -> WriteBack<'a> {
    WriteBack::new(ctx.records(), api.client(), api.perform_as())
}

/// `YYYY-MM-DD` (UTC) of a time in ms since the epoch.
pub fn date_of(millis: Millis) -> String {
    let time = std::time::UNIX_EPOCH + Duration::from_millis(millis);
    humantime::format_rfc3339(time).to_string()[..10].to_owned()
}

/// Runs a handler body written with `?` on outcomes: `Err(outcome)` ends it early.
pub fn settle(result: Result<Outcome, Outcome>) -> Outcome {
    match result {
        Ok(outcome) | Err(outcome) => outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opportunity(stage: &str, archived: bool) -> Opportunity {
        serde_json::from_value(json!({
            "id": "opp-1",
            "stage": stage,
            "archived": archived.then(|| json!({"archivedAt": 1, "reason": "r-1"})),
        }))
        .unwrap()
    }

    #[test]
    fn an_archived_opportunity_is_stale_because_it_is_archived() {
        let archived = opportunity("assessment", true);
        assert_eq!(
            stale_stage_reason(&archived, "assessment", "assessment").as_deref(),
            Some("the opportunity is archived")
        );
    }

    #[test]
    fn an_opportunity_in_another_stage_is_stale_because_it_moved() {
        let moved = opportunity("phone-screen", false);
        assert_eq!(
            stale_stage_reason(&moved, "assessment", "assessment").as_deref(),
            Some("the opportunity is no longer in the assessment stage")
        );
        let still_there = opportunity("assessment", false);
        assert_eq!(
            stale_stage_reason(&still_there, "assessment", "assessment"),
            None
        );
    }

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(date_of(1_719_792_000_000), "2024-07-01");
        assert_eq!(date_of(0), "1970-01-01");
    }
}
