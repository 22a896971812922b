//! The built-in `scheduling` handler: hands an opportunity's interviews to a scheduling
//! provider when it enters the configured stage (one request per opportunity), forwards
//! Lever's interview events for it so the provider can mirror them, and writes the
//! provider's results back ([`results`]).

pub mod interviews;
pub mod request;
pub mod results;
pub mod settings;

pub use settings::SchedulingConfig;

use super::common::{
    candidate_block, lever_failure, posting_block, read_opportunity, read_posting, settle,
    stale_stage_reason, store_failure, writer,
};
use super::provider::{answer_id, Provider};
use crate::document::EventDocument;
use crate::event::{LeverEvent, StageChange};
use crate::handler::{
    async_trait, BoxError, Handler, HandlerContext, HandlerKind, KindContext, Outcome,
};
use crate::lever::{LeverError, User};
use crate::store::now_millis;
use request::{hiring_manager_block, list_block, request_note, stage_block};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use tracing::info;

/// Asks a scheduling provider to schedule an opportunity's interviews, and keeps it
/// told of Lever's interview changes.
///
/// ```toml
/// [[routes]]
/// events = ["candidateStageChange"]
/// to_stage = "Onsite"
/// handler = "scheduling"
///
/// [[routes]]
/// events = ["interviewCreated", "interviewUpdated", "interviewDeleted"]
/// handler = "scheduling"
/// ```
#[derive(Debug)]
pub struct SchedulingHandler {
    config: SchedulingConfig,
    provider: Provider,
}

/// The record of the scheduling request made for `opportunity` (in the handler's records).
pub fn request_record(account: &str, opportunity: &str) -> String {
    format!("request/{account}/{opportunity}")
}

impl SchedulingHandler {
    /// Builds the handler.
    pub fn new(config: SchedulingConfig, base_dir: &Path) -> Result<Self, BoxError> {
        Ok(Self {
            provider: config.provider.build(base_dir)?,
            config,
        })
    }

    async fn schedule(
        &self,
        ctx: &HandlerContext,
        doc: &EventDocument,
        change: &StageChange,
    ) -> Result<Outcome, Outcome> {
        let api = ctx.lever()?;
        let records = ctx.records();
        let opportunity_id = change.opportunity_id.as_str();
        let key = request_record(&doc.account, opportunity_id);
        let record = records.get(&key).await.map_err(store_failure)?;
        let ours = record
            .as_ref()
            .is_some_and(|r| r["idempotencyKey"] == doc.idempotency_key.as_str());
        match &record {
            Some(r) if r["state"] == "open" && ours => {
                // A retry or replay after the request: only the writes may be missing.
                return self.write_request(ctx, doc, opportunity_id, r).await;
            }
            Some(r) if r["state"] == "open" => {
                info!(event_id = %doc.id, opportunity = opportunity_id, reference = ?r["reference"].as_str(), "a scheduling request is already open for this opportunity");
                return Ok(Outcome::Done);
            }
            _ => {}
        }
        let opportunity = read_opportunity(api.client(), opportunity_id).await?;
        if !ours {
            if let Some(reason) =
                stale_stage_reason(&opportunity, change.to_stage.as_str(), "scheduling")
            {
                let stage = opportunity.stage.as_ref().map(|s| s.id.as_str());
                info!(event_id = %doc.id, opportunity = opportunity_id, stage = ?stage, "stale trigger: {reason}; nothing requested");
                return Ok(Outcome::Done);
            }
        }
        let stage_id = change.to_stage.as_str();
        let stage_name = api
            .stage_name(stage_id)
            .await
            .map_err(|e| lever_failure("looking up the stage", e))?;
        records
            .put(
                &key,
                json!({"state": "requesting", "idempotencyKey": doc.idempotency_key, "stage": stage_id, "at": now_millis()}),
            )
            .await
            .map_err(store_failure)?;
        let posting = read_posting(api.client(), &opportunity).await?;
        let manager = match posting.as_ref().and_then(|p| p.hiring_manager.as_deref()) {
            Some(id) => read_user(api.client(), id).await?,
            None => None,
        };
        // Never a cached interview id: what the opportunity has now, read now.
        let interviews = api
            .client()
            .interviews(opportunity_id)
            .await
            .map_err(|e| lever_failure("reading the interviews", e))?;
        let panels = api
            .client()
            .panels(opportunity_id)
            .await
            .map_err(|e| lever_failure("reading the panels", e))?;
        let contact = opportunity
            .contact
            .clone()
            .or_else(|| doc.contact_id.as_ref().map(|c| c.to_string()));
        let request = json!({
            "action": "schedule",
            "idempotencyKey": doc.idempotency_key,
            "opportunityId": opportunity_id,
            "contactId": contact,
            "candidate": candidate_block(&opportunity),
            "posting": posting_block(posting.as_ref()),
            "hiringManager": hiring_manager_block(manager.as_ref()),
            "stage": stage_block(stage_id, stage_name.as_deref()),
            "interviews": list_block(&interviews),
            "panels": list_block(&panels),
        });
        let answer = self.provider.call(&request).await?;
        let Some(reference) = answer_id(&answer, "id") else {
            return Err(Outcome::give_up(
                "the provider's answer to `schedule` has no `id`",
            ));
        };
        // The provider's result comes back with this id (POST /providers/…/HANDLER).
        ctx.remember_reference(&reference, opportunity_id, contact.as_deref())
            .await
            .map_err(store_failure)?;
        let open = json!({
            "state": "open",
            "idempotencyKey": doc.idempotency_key,
            "reference": reference,
            "schedulingUrl": answer_id(&answer, "schedulingUrl"),
            "stage": stage_id,
            "stageName": stage_name,
            "posting": posting.as_ref().and_then(|p| p.text.clone()),
            "at": now_millis(),
        });
        records
            .put(&key, open.clone())
            .await
            .map_err(store_failure)?;
        info!(event_id = %doc.id, opportunity = opportunity_id, reference = %reference, "scheduling requested");
        self.write_request(ctx, doc, opportunity_id, &open).await
    }

    /// The tag and the note of the open request `record`, each once per job.
    async fn write_request(
        &self,
        ctx: &HandlerContext,
        doc: &EventDocument,
        opportunity_id: &str,
        record: &Value,
    ) -> Result<Outcome, Outcome> {
        let write = writer(ctx, ctx.lever()?);
        write
            .tags_once(
                &format!("{}:tag", doc.idempotency_key),
                opportunity_id,
                std::slice::from_ref(&self.config.tag),
            )
            .await?;
        let stage = record["stageName"]
            .as_str()
            .or(record["stage"].as_str())
            .unwrap_or_default();
        let note = request_note(
            self.config.note.as_deref(),
            stage,
            record["posting"].as_str(),
            record["schedulingUrl"].as_str(),
            record["reference"].as_str().unwrap_or_default(),
        );
        write
            .note_once(
                &format!("{}:note", doc.idempotency_key),
                opportunity_id,
                &note,
            )
            .await?;
        Ok(Outcome::Done)
    }
}

/// Reads a user; `None` when Lever no longer has them.
async fn read_user(client: &crate::lever::LeverClient, id: &str) -> Result<Option<User>, Outcome> {
    match client.user(id).await {
        Ok(user) => Ok(Some(user)),
        Err(LeverError::NotFound { .. }) => Ok(None),
        Err(e) => Err(lever_failure("reading the hiring manager", e)),
    }
}

#[async_trait]
impl Handler for SchedulingHandler {
    async fn handle(&self, doc: &EventDocument, ctx: &HandlerContext) -> Result<Outcome, BoxError> {
        match doc.provider_result() {
            Some(Ok(result)) => return Ok(results::handle(ctx, &result).await),
            Some(Err(e)) => return Ok(Outcome::give_up(format!("the result does not parse: {e}"))),
            None => {}
        }
        let event = match doc.lever_event() {
            Ok(event) => event,
            Err(e) => return Ok(Outcome::give_up(e.to_string())),
        };
        let result = match &event {
            LeverEvent::CandidateStageChange(change) => self.schedule(ctx, doc, change).await,
            LeverEvent::InterviewCreated(change)
            | LeverEvent::InterviewUpdated(change)
            | LeverEvent::InterviewDeleted(change) => {
                interviews::forward(&self.provider, ctx, doc, event.name(), change).await
            }
            other => {
                info!(event_id = %doc.id, event = other.name(), "scheduling has nothing to do for this event");
                Ok(Outcome::Done)
            }
        };
        Ok(settle(result))
    }
}

impl HandlerKind for SchedulingConfig {
    const KIND: &'static str = "scheduling";
    const USES_LEVER_API: bool = true;
    const TAKES_RESULTS: bool = true;

    fn check(&self, cx: &KindContext) -> Vec<(String, String)> {
        self.problems(cx.base_dir)
    }

    fn build(&self, cx: &KindContext) -> Result<Arc<dyn Handler>, BoxError> {
        Ok(Arc::new(SchedulingHandler::new(self.clone(), cx.base_dir)?))
    }
}
