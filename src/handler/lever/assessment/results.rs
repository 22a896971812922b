//! What `assessment` writes for a provider's result: a verdict from the score and the
//! `pass_at` / `review_at` thresholds, its tag, a note with the score and report, a stage on
//! a pass, and a pointer note on the person's other opportunities that waited on the invite.

use super::super::common::{settle, store_failure, writer};
use super::super::results::{default_note, read_for_result, write_key, write_result, ResultWrites};
use super::{invite_record, AssessmentConfig};
use crate::event::ProviderResult;
use crate::handler::{HandlerContext, Outcome};
use tracing::info;

/// What a result says about the candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// At or above `pass_at` (or the provider said passed).
    Pass,
    /// At or above `review_at`, below `pass_at`.
    Review,
    /// Below the thresholds (or the provider said not passed).
    Fail,
}

impl Verdict {
    fn word(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Review => "needs review",
            Self::Fail => "fail",
        }
    }
}

/// The record, next to the invite record `invite_key`, saying that `opportunity` was told
/// "not sent again" and waits on that invite's result.
pub fn waiting_record(invite_key: &str, opportunity: &str) -> String {
    format!("{invite_key}/waiting/{opportunity}")
}

/// The verdict on `result`: from the score and thresholds when both are there, else from
/// the provider's `passed`; `None` when the result carries neither (an interim status).
pub fn verdict(config: &AssessmentConfig, result: &ProviderResult) -> Option<Verdict> {
    let thresholds = config.pass_at.is_some() || config.review_at.is_some();
    match result.score {
        Some(score) if thresholds => Some(if config.pass_at.is_some_and(|p| score >= p) {
            Verdict::Pass
        } else if config.review_at.is_some_and(|r| score >= r) {
            Verdict::Review
        } else {
            Verdict::Fail
        }),
        _ => result
            .passed
            .map(|passed| if passed { Verdict::Pass } else { Verdict::Fail }),
    }
}

/// What to write for `result` on the opportunity that triggered the invite: the pure
/// decision.
pub fn plan(config: &AssessmentConfig, result: &ProviderResult) -> ResultWrites {
    let mut note = default_note(&format!("Assessment {}", config.assessment), result);
    let verdict = verdict(config, result);
    let Some(verdict) = verdict else {
        return ResultWrites {
            note,
            link: result.report_url.clone(),
            ..ResultWrites::default()
        };
    };
    note.push_str(&format!("\nVerdict: {}.", verdict.word()));
    let tags = [
        (Verdict::Pass, &config.pass_tag),
        (Verdict::Review, &config.review_tag),
        (Verdict::Fail, &config.fail_tag),
    ];
    let add = tags
        .iter()
        .find(|(v, _)| *v == verdict)
        .map(|(_, t)| (*t).clone());
    let mut remove = vec![config.tag.clone()];
    remove.extend(
        tags.iter()
            .filter(|(v, _)| *v != verdict)
            .map(|(_, t)| (*t).clone()),
    );
    ResultWrites {
        note,
        link: result.report_url.clone(),
        add_tags: add.into_iter().collect(),
        remove_tags: remove,
        stage: config
            .pass_stage
            .clone()
            .filter(|_| verdict == Verdict::Pass),
    }
}

/// The short note on another opportunity of the person that waited on this result.
pub fn pointer_note(config: &AssessmentConfig, result: &ProviderResult) -> String {
    let verdict = verdict(config, result)
        .map(|v| format!(", {}", v.word()))
        .unwrap_or_default();
    let score = super::super::results::score_text(result)
        .map(|s| format!(", score {s}"))
        .unwrap_or_default();
    format!(
        "Assessment {} result for this person: {}{score}{verdict}. Written in full on opportunity {}.",
        config.assessment, result.status, result.opportunity_id
    )
}

/// Writes what `result` calls for, on the invite's opportunity and the ones waiting on it.
pub async fn handle(
    config: &AssessmentConfig,
    ctx: &HandlerContext,
    account: &str,
    result: &ProviderResult,
) -> Outcome {
    settle(apply(config, ctx, account, result).await)
}

async fn apply(
    config: &AssessmentConfig,
    ctx: &HandlerContext,
    account: &str,
    result: &ProviderResult,
) -> Result<Outcome, Outcome> {
    let api = ctx.lever()?;
    let records = ctx.records();
    let opportunity_id = result.opportunity_id.as_str();
    let Some(opportunity) = read_for_result(api.client(), opportunity_id).await? else {
        info!(opportunity = opportunity_id, reference = %result.reference, "the opportunity was deleted; the result is not written");
        return Ok(Outcome::Done);
    };
    let contact = result
        .contact_id
        .as_ref()
        .map(|c| c.to_string())
        .or_else(|| opportunity.contact.clone());
    let key = contact.map(|c| invite_record(account, &c, &config.assessment));
    let record = match &key {
        Some(key) => records.get(key).await.map_err(store_failure)?,
        None => None,
    };
    // The stage that sent this invite, if the record is this invite's.
    let trigger = record
        .as_ref()
        .filter(|r| r["inviteId"] == result.reference.as_str())
        .and_then(|r| r["stage"].as_str());
    write_result(
        ctx,
        api,
        result,
        &opportunity,
        &plan(config, result),
        trigger,
    )
    .await?;

    // Interim statuses (no score, no verdict) stay on the invite's opportunity.
    let scored = result.score.is_some() || verdict(config, result).is_some();
    let waiting = match &key {
        Some(key) if scored => records
            .list(&waiting_record(key, ""))
            .await
            .map_err(store_failure)?,
        _ => Vec::new(),
    };
    let note = pointer_note(config, result);
    for (name, value) in waiting {
        let other = name.rsplit_once('/').map_or(name.as_str(), |(_, o)| o);
        if other == opportunity_id || value["inviteId"] != result.reference.as_str() {
            continue;
        }
        match read_for_result(api.client(), other).await? {
            Some(o) if o.archived.is_none() => {
                let pointer = write_key(result, &format!("pointer:{other}"));
                writer(ctx, api).note_once(&pointer, other, &note).await?;
            }
            _ => info!(
                opportunity = other,
                "no pointer note: the opportunity is archived or deleted"
            ),
        }
    }
    info!(opportunity = opportunity_id, reference = %result.reference, status = %result.status, "assessment result written");
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(extra: &str) -> AssessmentConfig {
        toml::from_str(&format!(
            "provider = {{ kind = \"http\", url = \"http://p\" }}\nassessment = \"take-home\"\n{extra}"
        ))
        .unwrap()
    }

    fn result(fields: serde_json::Value) -> ProviderResult {
        let mut value = json!({
            "handler": "assessment", "reference": "inv_1", "status": "completed",
            "webhookId": "msg_1", "opportunityId": "opp-1",
        });
        value
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        serde_json::from_value(value).unwrap()
    }

    const THRESHOLDS: &str = "pass_at = 70\nreview_at = 50\npass_stage = \"Onsite\"\n";

    #[test]
    fn scores_map_to_pass_review_and_fail_at_the_thresholds() {
        let config = config(THRESHOLDS);
        let at = |score: f64| verdict(&config, &result(json!({"score": score})));
        assert_eq!(at(70.0), Some(Verdict::Pass));
        assert_eq!(at(69.9), Some(Verdict::Review));
        assert_eq!(at(50.0), Some(Verdict::Review));
        assert_eq!(at(49.0), Some(Verdict::Fail));
        assert_eq!(
            verdict(&config, &result(json!({"score": 90, "passed": false}))),
            Some(Verdict::Pass),
            "the thresholds decide when set"
        );
        assert_eq!(verdict(&config, &result(json!({}))), None);
    }

    #[test]
    fn without_thresholds_the_providers_verdict_decides() {
        let config = config("");
        assert_eq!(
            verdict(&config, &result(json!({"score": 10, "passed": true}))),
            Some(Verdict::Pass)
        );
        assert_eq!(verdict(&config, &result(json!({"score": 10}))), None);
    }

    #[test]
    fn a_pass_swaps_tags_and_moves_and_a_review_does_not_move() {
        let config = config(THRESHOLDS);
        let pass = plan(&config, &result(json!({"score": 82, "maxScore": 100})));
        assert_eq!(pass.add_tags, ["Assessment passed"]);
        assert_eq!(
            pass.remove_tags,
            [
                "Assessment invited",
                "Assessment needs review",
                "Assessment failed"
            ]
        );
        assert_eq!(pass.stage.as_deref(), Some("Onsite"));
        assert!(
            pass.note.contains("Score: 82 / 100.") && pass.note.ends_with("Verdict: pass."),
            "{}",
            pass.note
        );

        let review = plan(&config, &result(json!({"score": 55})));
        assert_eq!(review.add_tags, ["Assessment needs review"]);
        assert_eq!(review.stage, None);

        let interim = plan(&config, &result(json!({"status": "started"})));
        assert!(interim.add_tags.is_empty() && interim.remove_tags.is_empty());
    }

    #[test]
    fn the_pointer_note_names_the_opportunity_with_the_full_result() {
        let note = pointer_note(&config(THRESHOLDS), &result(json!({"score": 40})));
        assert_eq!(
            note,
            "Assessment take-home result for this person: completed, score 40, fail. Written in full on opportunity opp-1."
        );
    }
}
