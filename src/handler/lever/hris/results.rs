//! What `hris` writes for the HRIS's answer: `created` (with `employeeId`) a note and a
//! tag; `failed` a note, then the job gives up so it becomes a dead letter and alerts;
//! any other status a note.

use super::super::common::settle;
use super::super::results::{default_note, read_for_result, write_result, ResultWrites};
use super::HrisConfig;
use crate::event::ProviderResult;
use crate::handler::{HandlerContext, Outcome};
use tracing::info;

/// What to write for `result`: the pure decision.
pub fn plan(config: &HrisConfig, result: &ProviderResult) -> ResultWrites {
    let status = result.status.to_lowercase();
    let mut writes = ResultWrites {
        note: default_note("HRIS", result),
        link: result.report_url.clone(),
        ..ResultWrites::default()
    };
    if status == "created" {
        let employee = result
            .employee_id
            .as_deref()
            .map(|id| format!(" {id}"))
            .unwrap_or_default();
        writes.note = format!(
            "Employee record{employee} created in the HRIS.\n{}",
            writes.note
        );
        writes.add_tags = vec![config.created_tag.clone()];
    } else if status == "failed" {
        writes.note = format!(
            "The HRIS could not create the employee record; someone needs to look at it.\n{}",
            writes.note
        );
    }
    writes
}

/// Why the job ends as a dead letter after the note: `Some` for `failed`, naming the
/// HRIS's summary.
pub fn failure_reason(result: &ProviderResult) -> Option<String> {
    result.status.eq_ignore_ascii_case("failed").then(|| {
        let summary = result
            .summary
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or("no summary given");
        format!(
            "the HRIS reported `failed` for {}: {}",
            result.reference,
            summary.trim()
        )
    })
}

/// Writes what `result` calls for on the hire's opportunity.
pub async fn handle(config: &HrisConfig, ctx: &HandlerContext, result: &ProviderResult) -> Outcome {
    settle(apply(config, ctx, result).await)
}

async fn apply(
    config: &HrisConfig,
    ctx: &HandlerContext,
    result: &ProviderResult,
) -> Result<Outcome, Outcome> {
    let api = ctx.lever()?;
    let opportunity_id = result.opportunity_id.as_str();
    let Some(opportunity) = read_for_result(api.client(), opportunity_id).await? else {
        info!(opportunity = opportunity_id, reference = %result.reference, "the opportunity was deleted; the result is not written");
        return Ok(Outcome::Done);
    };
    write_result(ctx, api, result, &opportunity, &plan(config, result), None).await?;
    info!(opportunity = opportunity_id, reference = %result.reference, status = %result.status, "HRIS result written");
    Ok(failure_reason(result).map_or(Outcome::Done, Outcome::give_up))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> HrisConfig {
        toml::from_str("provider = { kind = \"http\", url = \"http://p\" }\n").unwrap()
    }

    fn result(status: &str) -> ProviderResult {
        serde_json::from_value(json!({
            "handler": "hris", "reference": "emp_1", "status": status,
            "webhookId": "msg_1", "opportunityId": "opp-1",
            "employeeId": "E-1042", "summary": "Missing tax id",
        }))
        .unwrap()
    }

    #[test]
    fn created_writes_a_note_with_the_employee_and_the_tag() {
        let writes = plan(&config(), &result("created"));
        assert!(
            writes
                .note
                .starts_with("Employee record E-1042 created in the HRIS."),
            "{}",
            writes.note
        );
        assert_eq!(writes.add_tags, ["HRIS record created"]);
        assert_eq!(failure_reason(&result("created")), None);
    }

    #[test]
    fn failed_writes_a_note_and_names_the_summary_in_the_give_up() {
        let writes = plan(&config(), &result("failed"));
        assert!(writes.note.contains("could not create"), "{}", writes.note);
        assert!(writes.add_tags.is_empty());
        assert_eq!(
            failure_reason(&result("failed")).as_deref(),
            Some("the HRIS reported `failed` for emp_1: Missing tax id")
        );
    }

    #[test]
    fn other_statuses_write_the_default_note_only() {
        let writes = plan(&config(), &result("pending"));
        assert!(writes.note.starts_with("HRIS: pending."), "{}", writes.note);
        assert!(writes.add_tags.is_empty() && writes.stage.is_none());
        assert_eq!(failure_reason(&result("pending")), None);
    }
}
