//! What the built-ins share when a provider's result comes back: the writes a result calls
//! for ([`ResultWrites`]), the default note, whether a stage may still be moved, and the
//! thin edge that re-reads the opportunity and makes each write once per
//! (handler, reference, status).

use super::common::{lever_failure, writer};
use crate::event::ProviderResult;
use crate::handler::{HandlerContext, LeverApi, Outcome};
use crate::lever::{LeverClient, LeverError, Opportunity};
use tracing::info;

/// What to write on the opportunity for one result, decided from the handler's settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultWrites {
    /// The note's text (the write's reference line is added below it).
    pub note: String,
    /// A URL to add as a link on the opportunity.
    pub link: Option<String>,
    /// Tags to add.
    pub add_tags: Vec<String>,
    /// Tags to remove (before adding `add_tags`).
    pub remove_tags: Vec<String>,
    /// The NAME of a stage to move to, when the opportunity still waits where the request
    /// was made.
    pub stage: Option<String>,
}

/// The key of the write `what` for `result`: once per (reference, status) in the
/// handler's records, so a retried or replayed result writes nothing twice.
pub fn write_key(result: &ProviderResult, what: &str) -> String {
    format!(
        "result:{}:{}:{what}",
        result.reference,
        result.status.to_lowercase()
    )
}

/// A score as people write it: `82`, `82.5`, `82 / 100`.
pub fn score_text(result: &ProviderResult) -> Option<String> {
    let number = |n: f64| {
        if n.fract() == 0.0 && n.abs() < 1e15 {
            format!("{}", n as i64)
        } else {
            format!("{n}")
        }
    };
    let score = number(result.score?);
    Some(match result.max_score {
        Some(max) => format!("{score} / {}", number(max)),
        None => score,
    })
}

/// The note every result gets unless its settings say otherwise: what came back (the
/// status, the score if any), the provider's summary, the report link and the reference.
pub fn default_note(label: &str, result: &ProviderResult) -> String {
    let mut note = format!("{label}: {}.", result.status);
    if let Some(score) = score_text(result) {
        note.push_str(&format!(" Score: {score}."));
    }
    if let Some(summary) = result.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        note.push_str(&format!("\n{}", summary.trim()));
    }
    if let Some(url) = &result.report_url {
        note.push_str(&format!("\nReport: {url}"));
    }
    note.push_str(&format!("\nProvider reference: {}.", result.reference));
    note
}

/// Why no stage may be moved for a result: the opportunity is archived, or it has left
/// `trigger_stage` (the stage whose entry made the request; `None` when unknown). `None`
/// while the opportunity still waits there.
pub fn stage_move_blocked(
    opportunity: &Opportunity,
    trigger_stage: Option<&str>,
) -> Option<String> {
    if opportunity.archived.is_some() {
        return Some("the opportunity is archived".to_owned());
    }
    let Some(trigger) = trigger_stage else {
        return Some("the stage that triggered the request is not known".to_owned());
    };
    let current = opportunity.stage.as_ref().map(|s| s.id.as_str());
    (current != Some(trigger)).then(|| {
        "the opportunity has moved on from the stage that triggered the request".to_owned()
    })
}

/// Reads the opportunity a result is for; `None` when it was deleted.
pub async fn read_for_result(
    client: &LeverClient,
    id: &str,
) -> Result<Option<Opportunity>, Outcome> {
    match client.opportunity(id).await {
        Ok(opportunity) => Ok(Some(opportunity)),
        Err(LeverError::NotFound { .. }) => Ok(None),
        Err(e) => Err(lever_failure("reading the opportunity", e)),
    }
}

/// Makes `writes` on `opportunity`, each once for `result`: tags removed, tags added, the
/// link, the note, then the stage (only when [`stage_move_blocked`] finds no reason).
/// A stage name Lever does not know gives up, after the rest is written.
pub async fn write_result(
    ctx: &HandlerContext,
    api: LeverApi<'_>,
    result: &ProviderResult,
    opportunity: &Opportunity,
    writes: &ResultWrites,
    trigger_stage: Option<&str>,
) -> Result<(), Outcome> {
    let write = writer(ctx, api);
    let id = opportunity.id.as_str();
    if !writes.remove_tags.is_empty() {
        let key = write_key(result, "remove-tags");
        write
            .remove_tags_once(&key, id, &writes.remove_tags)
            .await?;
    }
    if !writes.add_tags.is_empty() {
        let key = write_key(result, "add-tags");
        write.tags_once(&key, id, &writes.add_tags).await?;
    }
    if let Some(link) = &writes.link {
        let key = write_key(result, "link");
        write
            .links_once(&key, id, std::slice::from_ref(link))
            .await?;
    }
    write
        .note_once(&write_key(result, "note"), id, &writes.note)
        .await?;
    let Some(stage_name) = &writes.stage else {
        return Ok(());
    };
    if let Some(reason) = stage_move_blocked(opportunity, trigger_stage) {
        info!(opportunity = id, reference = %result.reference, stage = %stage_name, "no stage move: {reason}");
        return Ok(());
    }
    let stage = api
        .stage_by_name(stage_name)
        .await
        .map_err(|e| lever_failure("looking up the stage", e))?;
    let Some(stage) = stage else {
        return Err(Outcome::give_up(format!(
            "no stage named `{stage_name}` in this account's pipeline: fix the handler's settings, then replay"
        )));
    };
    write
        .stage_once(&write_key(result, "stage"), id, &stage.id)
        .await?;
    info!(opportunity = id, reference = %result.reference, stage = %stage_name, "moved after the provider's result");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(status: &str, extra: serde_json::Value) -> ProviderResult {
        let mut value = json!({
            "handler": "bgcheck", "reference": "chk_1", "status": status,
            "webhookId": "msg_1", "opportunityId": "opp-1",
        });
        value
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(value).unwrap()
    }

    fn opportunity(stage: &str, archived: bool) -> Opportunity {
        serde_json::from_value(json!({
            "id": "opp-1",
            "stage": stage,
            "archived": archived.then(|| json!({"archivedAt": 1, "reason": "r-1"})),
        }))
        .unwrap()
    }

    #[test]
    fn the_default_note_says_status_score_summary_report_and_reference() {
        let full = result(
            "completed",
            json!({"score": 82.0, "maxScore": 100.0, "summary": " Strong on SQL. ", "reportUrl": "https://p.example.com/r/1"}),
        );
        assert_eq!(
            default_note("Assessment", &full),
            "Assessment: completed. Score: 82 / 100.\nStrong on SQL.\nReport: https://p.example.com/r/1\nProvider reference: chk_1."
        );
        let bare = result("pending", json!({}));
        assert_eq!(
            default_note("Background check", &bare),
            "Background check: pending.\nProvider reference: chk_1."
        );
        assert_eq!(
            score_text(&result("x", json!({"score": 7.5}))).as_deref(),
            Some("7.5")
        );
    }

    #[test]
    fn writes_are_keyed_by_reference_and_status() {
        assert_eq!(
            write_key(&result("Clear", json!({})), "note"),
            "result:chk_1:clear:note"
        );
        assert_ne!(
            write_key(&result("clear", json!({})), "note"),
            write_key(&result("consider", json!({})), "note")
        );
    }

    #[test]
    fn a_stage_moves_only_while_the_opportunity_waits_where_the_request_was_made() {
        assert_eq!(
            stage_move_blocked(&opportunity("bg", false), Some("bg")),
            None
        );
        assert_eq!(
            stage_move_blocked(&opportunity("bg", true), Some("bg")).as_deref(),
            Some("the opportunity is archived")
        );
        assert_eq!(
            stage_move_blocked(&opportunity("offer", false), Some("bg")).as_deref(),
            Some("the opportunity has moved on from the stage that triggered the request")
        );
        assert!(stage_move_blocked(&opportunity("bg", false), None).is_some());
    }
}
