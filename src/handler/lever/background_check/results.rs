//! What `background-check` writes for a provider's result: the `on_result.STATUS`
//! sections (tags swapped, a note template, the report link, a stage to move to) and the
//! thin edge that applies them.

use super::super::common::{settle, store_failure};
use super::super::results::{default_note, read_for_result, write_result, ResultWrites};
use super::{check_record, BackgroundCheckConfig};
use crate::event::ProviderResult;
use crate::handler::{HandlerContext, Outcome};
use serde::Deserialize;
use std::collections::BTreeMap;
use tracing::info;

/// The statuses after which a check is over, so archiving no longer cancels it (Checkr's
/// final ones, and the usual words for "done").
const FINAL_STATUSES: [&str; 6] = [
    "clear",
    "consider",
    "canceled",
    "cancelled",
    "complete",
    "completed",
];

/// The placeholders a note template may use.
const PLACEHOLDERS: [&str; 4] = ["status", "summary", "report_url", "reference"];

/// `[handlers.NAME.on_result.STATUS]`: what a result with that status writes besides the
/// default note and link.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnResult {
    /// Tags to add.
    #[serde(default)]
    pub add_tags: Vec<String>,
    /// Tags to remove; by default the handler's `tag` and every other status's
    /// `add_tags`, so tags swap.
    #[serde(default)]
    pub remove_tags: Option<Vec<String>>,
    /// The note, a template with `{status}`, `{summary}`, `{report_url}`, `{reference}`.
    #[serde(default)]
    pub note: Option<String>,
    /// Add the report URL as a link on the opportunity (default true).
    #[serde(default = "default_true")]
    pub link: bool,
    /// The NAME of the stage to move to, when the opportunity still waits in the stage
    /// that requested the check.
    #[serde(default)]
    pub stage: Option<String>,
}

fn default_true() -> bool {
    true
}

/// Problems with the `on_result` sections, as `(key, message)` pairs.
pub fn problems(on_result: &BTreeMap<String, OnResult>) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    for (status, section) in on_result {
        let key = |name: &str| format!("on_result.{status}.{name}");
        let tags = section
            .add_tags
            .iter()
            .chain(section.remove_tags.iter().flatten());
        if tags.into_iter().any(|t| t.trim().is_empty()) {
            problems.push((key("add_tags"), "tags must not be empty".to_owned()));
        }
        if section.stage.as_ref().is_some_and(|s| s.trim().is_empty()) {
            problems.push((key("stage"), "must name a stage".to_owned()));
        }
        if let Some(note) = &section.note {
            for unknown in unknown_placeholders(note) {
                problems.push((
                    key("note"),
                    format!("unknown placeholder {{{unknown}}}; use {{status}}, {{summary}}, {{report_url}} or {{reference}}"),
                ));
            }
        }
    }
    problems
}

/// The `{name}` placeholders of `template` that [`render`] does not fill.
fn unknown_placeholders(template: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !PLACEHOLDERS.contains(&name) {
            unknown.push(name.to_owned());
        }
        rest = &after[end + 1..];
    }
    unknown
}

/// Fills a note template with the result's fields (missing ones are empty).
pub fn render(template: &str, result: &ProviderResult) -> String {
    template
        .replace("{status}", &result.status)
        .replace("{summary}", result.summary.as_deref().unwrap_or_default())
        .replace(
            "{report_url}",
            result.report_url.as_deref().unwrap_or_default(),
        )
        .replace("{reference}", &result.reference)
}

/// True when a result with `status` ends the check.
pub fn closes_check(status: &str) -> bool {
    FINAL_STATUSES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(status))
}

/// The section for `status` (matched ignoring case), with its configured name.
fn section_for<'a>(
    on_result: &'a BTreeMap<String, OnResult>,
    status: &str,
) -> Option<(&'a str, &'a OnResult)> {
    on_result
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(status))
        .map(|(name, section)| (name.as_str(), section))
}

/// What to write for `result` under `config`: the pure decision.
pub fn plan(config: &BackgroundCheckConfig, result: &ProviderResult) -> ResultWrites {
    let note = default_note("Background check", result);
    let Some((status, section)) = section_for(&config.on_result, &result.status) else {
        return ResultWrites {
            note,
            link: result.report_url.clone(),
            ..ResultWrites::default()
        };
    };
    let remove_tags = section.remove_tags.clone().unwrap_or_else(|| {
        let mut tags = vec![config.tag.clone()];
        for (other, section) in &config.on_result {
            if other != status {
                tags.extend(section.add_tags.iter().cloned());
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        tags.retain(|t| !section.add_tags.contains(t) && seen.insert(t.clone()));
        tags
    });
    ResultWrites {
        note: section
            .note
            .as_deref()
            .map(|t| render(t, result))
            .unwrap_or(note),
        link: result.report_url.clone().filter(|_| section.link),
        add_tags: section.add_tags.clone(),
        remove_tags,
        stage: section.stage.clone(),
    }
}

/// Writes what `result` calls for on the opportunity of the check.
pub async fn handle(
    config: &BackgroundCheckConfig,
    ctx: &HandlerContext,
    account: &str,
    result: &ProviderResult,
) -> Outcome {
    settle(apply(config, ctx, account, result).await)
}

async fn apply(
    config: &BackgroundCheckConfig,
    ctx: &HandlerContext,
    account: &str,
    result: &ProviderResult,
) -> Result<Outcome, Outcome> {
    let api = ctx.lever()?;
    let opportunity_id = result.opportunity_id.as_str();
    let Some(opportunity) = read_for_result(api.client(), opportunity_id).await? else {
        info!(opportunity = opportunity_id, reference = %result.reference, "the opportunity was deleted; the result is not written");
        return Ok(Outcome::Done);
    };
    let records = ctx.records();
    let key = check_record(account, opportunity_id);
    let record = records.get(&key).await.map_err(store_failure)?;
    // The record, if it is this check's, and the stage that requested the check.
    let record = record.filter(|r| r["checkId"] == result.reference.as_str());
    let trigger = record.as_ref().and_then(|r| r["stage"].as_str());
    let writes = plan(config, result);
    write_result(ctx, api, result, &opportunity, &writes, trigger).await?;
    if let Some(mut record) = record.filter(|r| r["state"] == "open") {
        if closes_check(&result.status) {
            record["state"] = "closed".into();
            record["result"] = result.status.as_str().into();
            records.put(&key, record).await.map_err(store_failure)?;
        }
    }
    info!(opportunity = opportunity_id, reference = %result.reference, status = %result.status, "background check result written");
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(sections: &str) -> BackgroundCheckConfig {
        toml::from_str(&format!(
            "provider = {{ kind = \"http\", url = \"http://p\" }}\n{sections}"
        ))
        .unwrap()
    }

    fn result(status: &str) -> ProviderResult {
        serde_json::from_value(json!({
            "handler": "bgcheck", "reference": "chk_1", "status": status,
            "webhookId": "msg_1", "opportunityId": "opp-1",
            "reportUrl": "https://checkr.example.com/r/1", "summary": "All clear",
        }))
        .unwrap()
    }

    const CHECKR: &str = r#"
[on_result.clear]
add_tags = ["Report Clear"]
stage = "Offer"
note = "Check {status}: {summary} ({report_url}, {reference})"

[on_result.consider]
add_tags = ["Report Consider"]
link = false
"#;

    #[test]
    fn a_status_section_swaps_tags_renders_its_note_and_names_its_stage() {
        let writes = plan(&config(CHECKR), &result("CLEAR"));
        assert_eq!(writes.add_tags, ["Report Clear"]);
        assert_eq!(
            writes.remove_tags,
            ["Background check requested", "Report Consider"]
        );
        assert_eq!(
            writes.note,
            "Check CLEAR: All clear (https://checkr.example.com/r/1, chk_1)"
        );
        assert_eq!(
            writes.link.as_deref(),
            Some("https://checkr.example.com/r/1")
        );
        assert_eq!(writes.stage.as_deref(), Some("Offer"));

        let consider = plan(&config(CHECKR), &result("consider"));
        assert_eq!(
            consider.remove_tags,
            ["Background check requested", "Report Clear"]
        );
        assert_eq!(consider.link, None, "link = false");
        assert_eq!(consider.stage, None);
        assert!(consider.note.starts_with("Background check: consider."));
    }

    #[test]
    fn a_status_without_a_section_gets_the_default_note_and_link_only() {
        let writes = plan(&config(CHECKR), &result("suspended"));
        assert!(
            writes.note.contains("Background check: suspended."),
            "{}",
            writes.note
        );
        assert_eq!(
            writes.link.as_deref(),
            Some("https://checkr.example.com/r/1")
        );
        assert!(writes.add_tags.is_empty() && writes.remove_tags.is_empty());
        assert_eq!(writes.stage, None);
    }

    #[test]
    fn final_statuses_close_the_check_and_interim_ones_do_not() {
        assert!(closes_check("clear") && closes_check("Consider") && closes_check("canceled"));
        assert!(!closes_check("pending") && !closes_check("suspended"));
    }

    #[test]
    fn explicit_remove_tags_replace_the_default() {
        let config = config("[on_result.canceled]\nremove_tags = [\"Keep me out\"]\n");
        assert_eq!(
            plan(&config, &result("canceled")).remove_tags,
            ["Keep me out"]
        );
    }

    #[test]
    fn bad_sections_are_named_by_key() {
        let config = config(
            "[on_result.clear]\nadd_tags = [\" \"]\nstage = \"\"\nnote = \"{status} {score}\"\n",
        );
        let keys: Vec<String> = problems(&config.on_result)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            [
                "on_result.clear.add_tags",
                "on_result.clear.stage",
                "on_result.clear.note"
            ]
        );
    }
}
