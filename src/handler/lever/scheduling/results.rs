//! What `scheduling` writes for a provider's result: "Interview scheduled for …" when the
//! provider booked the interview, the default result note for any other status; each
//! once per (reference, status), on the opportunity as re-read (a deleted one gets nothing).

use super::super::common::settle;
use super::super::results::{default_note, read_for_result, write_result, ResultWrites};
use crate::event::ProviderResult;
use crate::handler::{HandlerContext, Outcome};
use serde_json::Value;
use std::time::Duration;
use tracing::info;

/// When the interview takes place, as people read it: the result's `interviewAt` (ms since
/// the epoch, or text as the provider wrote it), else its `completedAt`.
pub fn interview_time(result: &ProviderResult) -> Option<String> {
    let millis = match result.extra.get("interviewAt") {
        Some(Value::String(text)) if !text.trim().is_empty() => {
            return Some(text.trim().to_owned())
        }
        Some(Value::Number(n)) => n.as_u64(),
        _ => None,
    };
    let millis = millis.or(result.completed_at)?;
    let time = std::time::UNIX_EPOCH + Duration::from_millis(millis);
    let text = humantime::format_rfc3339_seconds(time).to_string();
    // `2026-01-15T17:00:00Z` → `2026-01-15 17:00 UTC`.
    Some(format!("{} {} UTC", &text[..10], &text[11..16]))
}

/// What to write for `result`: the pure decision.
pub fn plan(result: &ProviderResult) -> ResultWrites {
    if !result.status.eq_ignore_ascii_case("scheduled") {
        return ResultWrites {
            note: default_note("Interview scheduling", result),
            ..ResultWrites::default()
        };
    }
    let when = interview_time(result).unwrap_or_else(|| "a time the provider did not say".into());
    let mut note = format!("Interview scheduled for {when}.");
    if let Some(summary) = result.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        note.push_str(&format!("\n{}", summary.trim()));
    }
    note.push_str(&format!("\nProvider reference: {}.", result.reference));
    ResultWrites {
        note,
        ..ResultWrites::default()
    }
}

/// Writes what `result` calls for on its opportunity.
pub async fn handle(ctx: &HandlerContext, result: &ProviderResult) -> Outcome {
    settle(apply(ctx, result).await)
}

async fn apply(ctx: &HandlerContext, result: &ProviderResult) -> Result<Outcome, Outcome> {
    let api = ctx.lever()?;
    let id = result.opportunity_id.as_str();
    let Some(opportunity) = read_for_result(api.client(), id).await? else {
        info!(opportunity = id, reference = %result.reference, "the opportunity was deleted; the result is not written");
        return Ok(Outcome::Done);
    };
    write_result(ctx, api, result, &opportunity, &plan(result), None).await?;
    info!(opportunity = id, reference = %result.reference, status = %result.status, "scheduling result written");
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(status: &str, fields: Value) -> ProviderResult {
        let mut value = json!({
            "handler": "scheduling", "reference": "sch_1", "status": status,
            "webhookId": "msg_1", "opportunityId": "opp-1",
        });
        value
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn scheduled_names_the_interview_time_from_interview_at_or_completed_at() {
        let at = plan(&result(
            "scheduled",
            json!({"interviewAt": 1_768_496_400_000u64}),
        ));
        assert_eq!(
            at.note,
            "Interview scheduled for 2026-01-15 17:00 UTC.\nProvider reference: sch_1."
        );
        let completed = plan(&result(
            "Scheduled",
            json!({"completedAt": 1_768_496_400_000u64}),
        ));
        assert!(completed
            .note
            .starts_with("Interview scheduled for 2026-01-15 17:00 UTC."));
        let text = plan(&result(
            "scheduled",
            json!({"interviewAt": "Thu 15 Jan, 9:00 PST", "completedAt": 1}),
        ));
        assert!(text
            .note
            .starts_with("Interview scheduled for Thu 15 Jan, 9:00 PST."));
        assert!(at.add_tags.is_empty() && at.stage.is_none());
    }

    #[test]
    fn other_statuses_get_the_default_note() {
        let declined = plan(&result("declined", json!({"summary": "No slot fits."})));
        assert_eq!(
            declined.note,
            "Interview scheduling: declined.\nNo slot fits.\nProvider reference: sch_1."
        );
    }
}
