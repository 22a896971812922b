//! The built-in `categorize` handler: ordered rules over the opportunity as it is now
//! (the `[[routes]]` conditions) that tag, untag, note, move or archive it, each rule's
//! actions written once per event ([`rules`] holds the pure core).

pub mod rules;

use super::common::{lever_failure, settle, store_failure, writer};
use crate::document::EventDocument;
use crate::event::LeverEvent;
use crate::handler::{
    async_trait, BoxError, Handler, HandlerContext, HandlerKind, KindContext, LeverApi, Outcome,
};
use crate::lever::OpportunityFacts;
use rules::{matching, stale_reason, Mode, Rule, Trigger};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use tracing::info;

/// `[handlers.NAME] kind = "categorize"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategorizeConfig {
    /// `first` (the default): only the first matching rule acts; `all`: every one.
    #[serde(default)]
    pub mode: Mode,
    /// The rules, in order.
    pub rules: Vec<Rule>,
}

/// Applies the rules of a [`CategorizeConfig`] to the event's opportunity.
///
/// ```toml
/// [[routes]]
/// events = ["applicationCreated"]
/// handler = "categorize"
/// ```
#[derive(Debug)]
pub struct CategorizeHandler {
    config: CategorizeConfig,
}

/// The record holding which rules an event's run chose (so a retry finishes them even
/// after its own writes changed what the rules would see).
fn plan_record(idempotency_key: &str) -> String {
    format!("plan/{idempotency_key}")
}

impl CategorizeHandler {
    /// Builds the handler.
    pub fn new(config: CategorizeConfig) -> Self {
        Self { config }
    }

    /// The rules to apply, chosen on the first attempt from fresh facts and recorded;
    /// `None` when the trigger is stale.
    async fn plan(
        &self,
        ctx: &HandlerContext,
        api: LeverApi<'_>,
        doc: &EventDocument,
        opportunity: &str,
        trigger: Trigger<'_>,
    ) -> Result<Option<Vec<usize>>, Outcome> {
        let records = ctx.records();
        let key = plan_record(&doc.idempotency_key);
        if let Some(plan) = records.get(&key).await.map_err(store_failure)? {
            return Ok(Some(indices(&plan)));
        }
        let facts = api
            .opportunity_facts(opportunity)
            .await
            .map_err(|e| lever_failure("reading the opportunity", e))?;
        if let Some(reason) = stale_reason(trigger, &facts.opportunity) {
            info!(event_id = %doc.id, opportunity, reason, "stale trigger: the opportunity was already moved on; categorize leaves it alone");
            return Ok(None);
        }
        let chosen = matching(&self.config.rules, self.config.mode, &facts);
        let plan = json!({ "rules": chosen });
        let plan = match records.insert(&key, plan.clone()).await {
            Ok(Some(earlier)) => earlier,
            Ok(None) => plan,
            Err(e) => return Err(store_failure(e)),
        };
        Ok(Some(indices(&plan)))
    }

    async fn run(
        &self,
        ctx: &HandlerContext,
        doc: &EventDocument,
        opportunity: &str,
        trigger: Trigger<'_>,
    ) -> Result<Outcome, Outcome> {
        let api = ctx.lever()?;
        let Some(chosen) = self.plan(ctx, api, doc, opportunity, trigger).await? else {
            return Ok(Outcome::Done);
        };
        if chosen.is_empty() {
            info!(event_id = %doc.id, opportunity, "no categorize rule matches");
        }
        for index in chosen {
            let Some(rule) = self.config.rules.get(index) else {
                continue;
            };
            let key = format!("{}:rule{index}", doc.idempotency_key);
            apply(ctx, api, &key, opportunity, rule).await?;
            info!(event_id = %doc.id, opportunity, rule = rule.label(index), "categorize rule applied");
        }
        Ok(Outcome::Done)
    }
}

fn indices(plan: &Value) -> Vec<usize> {
    plan["rules"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i.as_u64())
                .map(|i| i as usize)
                .collect()
        })
        .unwrap_or_default()
}

/// Does what `rule` says to `opportunity`, each action once under `key`.
async fn apply(
    ctx: &HandlerContext,
    api: LeverApi<'_>,
    key: &str,
    opportunity: &str,
    rule: &Rule,
) -> Result<(), Outcome> {
    let write = writer(ctx, api);
    if !rule.add_tags.is_empty() {
        write
            .tags_once(&format!("{key}:add"), opportunity, &rule.add_tags)
            .await?;
    }
    if !rule.remove_tags.is_empty() {
        write
            .remove_tags_once(&format!("{key}:remove"), opportunity, &rule.remove_tags)
            .await?;
    }
    if let Some(note) = &rule.note {
        write
            .note_once(&format!("{key}:note"), opportunity, note)
            .await?;
    }
    if let Some(name) = &rule.stage {
        let stage = api
            .stage_by_name(name)
            .await
            .map_err(|e| lever_failure("looking up the stage", e))?
            .ok_or_else(|| Outcome::give_up(format!("Lever has no stage named `{name}`")))?;
        write
            .stage_once(&format!("{key}:stage"), opportunity, &stage.id)
            .await?;
    }
    if let Some(name) = &rule.archive {
        let reason = archive_reason(api, name).await?;
        write
            .archive_once(&format!("{key}:archive"), opportunity, &reason)
            .await?;
    }
    Ok(())
}

/// The id of the non-hired archive reason named `name`, read through the Data API now.
async fn archive_reason(api: LeverApi<'_>, name: &str) -> Result<String, Outcome> {
    let reasons = api
        .client()
        .archive_reasons()
        .await
        .map_err(|e| lever_failure("listing archive reasons", e))?;
    let found = reasons
        .iter()
        .find(|r| {
            r.text
                .as_deref()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(name.trim()))
        })
        .ok_or_else(|| Outcome::give_up(format!("Lever has no archive reason named `{name}`")))?;
    if found.is_hired() {
        return Err(Outcome::give_up(format!(
            "the archive reason `{name}` is a hired reason; categorize never archives as hired (hire through Lever)"
        )));
    }
    Ok(found.id.clone())
}

/// What `rules test` shows: the rules that would act on `facts`, each with its actions.
pub fn explain(config: &CategorizeConfig, facts: &OpportunityFacts) -> Vec<(String, Vec<String>)> {
    matching(&config.rules, config.mode, facts)
        .into_iter()
        .map(|i| (config.rules[i].label(i), config.rules[i].actions()))
        .collect()
}

#[async_trait]
impl Handler for CategorizeHandler {
    async fn handle(&self, doc: &EventDocument, ctx: &HandlerContext) -> Result<Outcome, BoxError> {
        let Some(opportunity) = doc.opportunity_id.as_ref().map(|o| o.to_string()) else {
            info!(event_id = %doc.id, event = doc.event, "categorize has nothing to do: the event names no opportunity");
            return Ok(Outcome::Done);
        };
        let event = doc.lever_event();
        let trigger = match &event {
            Ok(LeverEvent::ApplicationCreated(_)) => Trigger::ApplicationCreated,
            Ok(LeverEvent::CandidateStageChange(change)) => {
                Trigger::StageChange(change.to_stage.as_str())
            }
            _ => Trigger::Other,
        };
        Ok(settle(self.run(ctx, doc, &opportunity, trigger).await))
    }
}

impl HandlerKind for CategorizeConfig {
    const KIND: &'static str = "categorize";
    const USES_LEVER_API: bool = true;

    fn check(&self, _cx: &KindContext) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if self.rules.is_empty() {
            problems.push(("rules".to_owned(), "add at least one rule".to_owned()));
        }
        for (i, rule) in self.rules.iter().enumerate() {
            for (key, message) in rule.check() {
                problems.push((format!("rules[{i}].{key}"), message));
            }
        }
        problems
    }

    fn build(&self, _cx: &KindContext) -> Result<Arc<dyn Handler>, BoxError> {
        Ok(Arc::new(CategorizeHandler::new(self.clone())))
    }
}
