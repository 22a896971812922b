//! The built-in `background-check` handler: one check per opportunity when it enters the
//! configured stage, cancelled when the opportunity is archived as not hired or deleted,
//! and its result written back ([`results`]).

pub mod results;

use super::common::{
    candidate_block, lever_failure, posting_block, read_opportunity, read_posting, settle,
    stale_stage_reason, store_failure, writer,
};
use super::provider::{answer_id, Provider, ProviderConfig};
use crate::document::EventDocument;
use crate::event::{ArchiveChange, LeverEvent, StageChange};
use crate::handler::{
    async_trait, BoxError, Handler, HandlerContext, HandlerKind, KindContext, Outcome,
};
use crate::lever::LeverError;
use crate::store::now_millis;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use tracing::info;

/// `[handlers.NAME] kind = "background-check"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackgroundCheckConfig {
    /// The background-check vendor (or your bridge to it).
    pub provider: ProviderConfig,
    /// The vendor's package to order, sent as `package`.
    #[serde(default)]
    pub package: Option<String>,
    /// Tag added to the opportunity once the check is requested.
    #[serde(default = "default_tag")]
    pub tag: String,
    /// Cancel an open check when the opportunity is archived as not hired, or deleted.
    #[serde(default = "default_true")]
    pub cancel_on_archive: bool,
    /// What a result with each status writes (`[handlers.NAME.on_result.STATUS]`).
    #[serde(default)]
    pub on_result: BTreeMap<String, results::OnResult>,
}

fn default_tag() -> String {
    "Background check requested".to_owned()
}

fn default_true() -> bool {
    true
}

impl BackgroundCheckConfig {
    /// Problems with these settings, as `(key, message)` pairs.
    fn problems(&self, base_dir: &Path) -> Vec<(String, String)> {
        let mut problems = self.provider.check(base_dir);
        if self.tag.trim().is_empty() {
            problems.push(("tag".to_owned(), "must not be empty".to_owned()));
        }
        problems.extend(results::problems(&self.on_result));
        problems
    }
}

/// Requests a background check per opportunity through a provider, and cancels it.
///
/// Route it stage changes into the check stage, and (for cancelling) archives and
/// deletions:
///
/// ```toml
/// [[routes]]
/// events = ["candidateStageChange"]
/// to_stage = "Background Check"
/// handler = "bgcheck"
///
/// [[routes]]
/// events = ["archived", "candidateDeleted"]
/// handler = "bgcheck"
/// ```
#[derive(Debug)]
pub struct BackgroundCheckHandler {
    config: BackgroundCheckConfig,
    provider: Provider,
}

/// The record of the check requested for `opportunity` (in the handler's records).
fn check_record(account: &str, opportunity: &str) -> String {
    format!("check/{account}/{opportunity}")
}

impl BackgroundCheckHandler {
    /// Builds the handler.
    pub fn new(config: BackgroundCheckConfig, base_dir: &Path) -> Result<Self, BoxError> {
        Ok(Self {
            provider: config.provider.build(base_dir)?,
            config,
        })
    }

    async fn start(
        &self,
        ctx: &HandlerContext,
        doc: &EventDocument,
        change: &StageChange,
    ) -> Result<Outcome, Outcome> {
        let api = ctx.lever()?;
        let records = ctx.records();
        let opportunity_id = change.opportunity_id.as_str();
        let key = check_record(&doc.account, opportunity_id);
        let record = records.get(&key).await.map_err(store_failure)?;
        if let Some(check) = record.as_ref().and_then(|r| r["checkId"].as_str()) {
            info!(event_id = %doc.id, opportunity = opportunity_id, check, "a background check was already requested for this opportunity");
            return Ok(Outcome::Done);
        }
        let resuming = record
            .as_ref()
            .is_some_and(|r| r["idempotencyKey"] == doc.idempotency_key.as_str());
        let opportunity = read_opportunity(api.client(), opportunity_id).await?;
        if !resuming {
            if let Some(reason) =
                stale_stage_reason(&opportunity, change.to_stage.as_str(), "check")
            {
                let stage = opportunity.stage.as_ref().map(|s| s.id.as_str());
                info!(event_id = %doc.id, opportunity = opportunity_id, stage = ?stage, "stale trigger: {reason}; nothing requested");
                return Ok(Outcome::Done);
            }
        }
        let write = writer(ctx, api);
        if opportunity.emails.is_empty() {
            let note = "Background check not requested: the candidate has no email address. Add one, then move the opportunity to the stage again.";
            write
                .note_once(
                    &format!("{}:no-email", doc.idempotency_key),
                    opportunity_id,
                    note,
                )
                .await?;
            return Ok(Outcome::give_up("no email address on the profile"));
        }
        records
            .put(
                &key,
                json!({"state": "requesting", "idempotencyKey": doc.idempotency_key, "stage": change.to_stage.as_str(), "at": now_millis()}),
            )
            .await
            .map_err(store_failure)?;
        let posting = read_posting(api.client(), &opportunity).await?;
        let contact = doc
            .contact_id
            .as_ref()
            .map(|c| c.to_string())
            .or_else(|| opportunity.contact.clone());
        let request = json!({
            "action": "create",
            "idempotencyKey": doc.idempotency_key,
            "opportunityId": opportunity_id,
            "contactId": contact,
            "candidate": candidate_block(&opportunity),
            "posting": posting_block(posting.as_ref()),
            "package": self.config.package,
        });
        let answer = self.provider.call(&request).await?;
        let Some(check_id) = answer_id(&answer, "id") else {
            return Err(Outcome::give_up(
                "the provider's answer to `create` has no `id`",
            ));
        };
        // The provider's result comes back with this id (POST /providers/…/HANDLER).
        ctx.remember_reference(&check_id, opportunity_id, contact.as_deref())
            .await
            .map_err(store_failure)?;
        records
            .put(
                &key,
                json!({"state": "open", "checkId": check_id, "idempotencyKey": doc.idempotency_key, "stage": change.to_stage.as_str(), "at": now_millis()}),
            )
            .await
            .map_err(store_failure)?;
        write
            .tags_once(
                &format!("{}:tag", doc.idempotency_key),
                opportunity_id,
                std::slice::from_ref(&self.config.tag),
            )
            .await?;
        let package = match &self.config.package {
            Some(p) => format!(" (package {p})"),
            None => String::new(),
        };
        let note = format!("Background check requested{package}. Provider reference: {check_id}.");
        write
            .note_once(
                &format!("{}:note", doc.idempotency_key),
                opportunity_id,
                &note,
            )
            .await?;
        info!(event_id = %doc.id, opportunity = opportunity_id, check = %check_id, "background check requested");
        Ok(Outcome::Done)
    }

    async fn cancel(
        &self,
        ctx: &HandlerContext,
        doc: &EventDocument,
        opportunity_id: &str,
        archive: Option<&ArchiveChange>,
    ) -> Result<Outcome, Outcome> {
        if !self.config.cancel_on_archive {
            return Ok(Outcome::Done);
        }
        let api = ctx.lever()?;
        let records = ctx.records();
        let key = check_record(&doc.account, opportunity_id);
        let record = records.get(&key).await.map_err(store_failure)?;
        let Some(record) = record.filter(|r| r["state"] == "open") else {
            return Ok(Outcome::Done);
        };
        let check_id = record["checkId"].as_str().unwrap_or_default().to_owned();
        let deleted = archive.is_none();
        if let Some(archive) = archive {
            let reason = archive.to_archived.as_ref().and_then(|a| a.reason.as_ref());
            if let Some(reason) = reason {
                let found = api
                    .archive_reason(reason.as_str())
                    .await
                    .map_err(|e| lever_failure("looking up the archive reason", e))?;
                if found.is_some_and(|r| r.is_hired()) {
                    return Ok(Outcome::Done);
                }
            }
            match api.client().opportunity(opportunity_id).await {
                Ok(opportunity) if opportunity.archived.is_none() => {
                    info!(event_id = %doc.id, opportunity = opportunity_id, "stale trigger: the opportunity is active again; check left open");
                    return Ok(Outcome::Done);
                }
                Ok(_) | Err(LeverError::NotFound { .. }) => {}
                Err(e) => return Err(lever_failure("reading the opportunity", e)),
            }
        }
        let request = json!({
            "action": "cancel",
            "idempotencyKey": doc.idempotency_key,
            "checkId": check_id,
            "opportunityId": opportunity_id,
            "contactId": doc.contact_id,
            "reason": if deleted { "deleted" } else { "archived" },
        });
        self.provider.call(&request).await?;
        let mut cancelled = record.clone();
        cancelled["state"] = Value::from("cancelled");
        cancelled["cancelledAt"] = Value::from(now_millis());
        records.put(&key, cancelled).await.map_err(store_failure)?;
        if !deleted {
            let note =
                format!("Background check {check_id} cancelled: the opportunity was archived.");
            writer(ctx, api)
                .note_once(
                    &format!("{}:cancel-note", doc.idempotency_key),
                    opportunity_id,
                    &note,
                )
                .await?;
        }
        info!(event_id = %doc.id, opportunity = opportunity_id, check = %check_id, deleted, "background check cancelled");
        Ok(Outcome::Done)
    }
}

#[async_trait]
impl Handler for BackgroundCheckHandler {
    async fn handle(&self, doc: &EventDocument, ctx: &HandlerContext) -> Result<Outcome, BoxError> {
        match doc.provider_result() {
            Some(Ok(result)) => {
                return Ok(results::handle(&self.config, ctx, &doc.account, &result).await)
            }
            Some(Err(e)) => return Ok(Outcome::give_up(format!("the result does not parse: {e}"))),
            None => {}
        }
        let event = match doc.lever_event() {
            Ok(event) => event,
            Err(e) => return Ok(Outcome::give_up(e.to_string())),
        };
        let result = match &event {
            LeverEvent::CandidateStageChange(change) => self.start(ctx, doc, change).await,
            LeverEvent::CandidateArchiveChange(change) if !change.is_unarchive() => {
                self.cancel(ctx, doc, change.opportunity_id.as_str(), Some(change))
                    .await
            }
            LeverEvent::CandidateDeleted(deleted) => {
                self.cancel(ctx, doc, deleted.opportunity_id.as_str(), None)
                    .await
            }
            other => {
                info!(event_id = %doc.id, event = other.name(), "background-check has nothing to do for this event");
                Ok(Outcome::Done)
            }
        };
        Ok(settle(result))
    }
}

impl HandlerKind for BackgroundCheckConfig {
    const KIND: &'static str = "background-check";
    const USES_LEVER_API: bool = true;
    const TAKES_RESULTS: bool = true;

    fn check(&self, cx: &KindContext) -> Vec<(String, String)> {
        self.problems(cx.base_dir)
    }

    fn build(&self, cx: &KindContext) -> Result<Arc<dyn Handler>, BoxError> {
        Ok(Arc::new(BackgroundCheckHandler::new(
            self.clone(),
            cx.base_dir,
        )?))
    }
}
