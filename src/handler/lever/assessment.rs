//! The built-in `assessment` handler: invites a person to an assessment when their
//! opportunity enters the configured stage, once per person and assessment within a reuse
//! window (someone who applies to two jobs is not tested twice), and writes the score back
//! when it comes ([`results`]).

pub mod results;

use super::common::{
    candidate_block, date_of, posting_block, read_opportunity, read_posting, settle,
    stale_stage_reason, store_failure, writer,
};
use super::provider::{answer_id, Provider, ProviderConfig};
use crate::document::EventDocument;
use crate::event::{LeverEvent, StageChange};
use crate::handler::{
    async_trait, BoxError, Handler, HandlerContext, HandlerKind, KindContext, Outcome,
};
use crate::store::{now_millis, Millis};
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tracing::info;

/// How long to wait when another opportunity of the same person is being invited now.
const CONCURRENT_INVITE_WAIT: Duration = Duration::from_secs(30);

/// `[handlers.NAME] kind = "assessment"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentConfig {
    /// The assessment platform (or your bridge to it).
    pub provider: ProviderConfig,
    /// Which assessment to invite to, sent as `assessment`.
    pub assessment: String,
    /// Only opportunities carrying this tag are invited (Lever's recommended set-up:
    /// the customer tags the postings that use the assessment).
    #[serde(default)]
    pub required_tag: Option<String>,
    /// How long an invite counts for the same person; default 180 days.
    #[serde(
        default = "default_reuse_window",
        deserialize_with = "crate::duration::deserialize"
    )]
    pub reuse_window: Duration,
    /// Tag added to the opportunity once invited.
    #[serde(default = "default_tag")]
    pub tag: String,
    /// A score at or above this passes (in the provider's units).
    #[serde(default)]
    pub pass_at: Option<f64>,
    /// A score at or above this (and below `pass_at`) needs review; below it fails.
    #[serde(default)]
    pub review_at: Option<f64>,
    /// Tag for a pass.
    #[serde(default = "default_pass_tag")]
    pub pass_tag: String,
    /// Tag for a score that needs review.
    #[serde(default = "default_review_tag")]
    pub review_tag: String,
    /// Tag for a fail.
    #[serde(default = "default_fail_tag")]
    pub fail_tag: String,
    /// The NAME of the stage to move to on a pass, when the opportunity still waits in
    /// the stage that sent the invite.
    #[serde(default)]
    pub pass_stage: Option<String>,
}

fn default_pass_tag() -> String {
    "Assessment passed".to_owned()
}

fn default_review_tag() -> String {
    "Assessment needs review".to_owned()
}

fn default_fail_tag() -> String {
    "Assessment failed".to_owned()
}

fn default_reuse_window() -> Duration {
    Duration::from_secs(180 * 86_400)
}

fn default_tag() -> String {
    "Assessment invited".to_owned()
}

impl AssessmentConfig {
    /// Problems with these settings, as `(key, message)` pairs.
    fn problems(&self, base_dir: &Path) -> Vec<(String, String)> {
        let mut problems = self.provider.check(base_dir);
        if self.assessment.trim().is_empty() {
            problems.push(("assessment".to_owned(), "must not be empty".to_owned()));
        }
        for (key, tag) in [
            ("tag", &self.tag),
            ("pass_tag", &self.pass_tag),
            ("review_tag", &self.review_tag),
            ("fail_tag", &self.fail_tag),
        ] {
            if tag.trim().is_empty() {
                problems.push((key.to_owned(), "must not be empty".to_owned()));
            }
        }
        if let (Some(review), Some(pass)) = (self.review_at, self.pass_at) {
            if review > pass {
                problems.push((
                    "review_at".to_owned(),
                    format!("must not be above pass_at ({pass})"),
                ));
            }
        }
        if self
            .pass_stage
            .as_ref()
            .is_some_and(|s| s.trim().is_empty())
        {
            problems.push(("pass_stage".to_owned(), "must name a stage".to_owned()));
        }
        problems
    }
}

/// Invites people to an assessment through a provider.
///
/// ```toml
/// [[routes]]
/// events = ["candidateStageChange"]
/// to_stage = "Assessment"
/// handler = "assessment"
/// ```
#[derive(Debug)]
pub struct AssessmentHandler {
    config: AssessmentConfig,
    provider: Provider,
}

/// The record of `contact`'s invite to `assessment` (in the handler's records).
fn invite_record(account: &str, contact: &str, assessment: &str) -> String {
    format!("invite/{account}/{contact}/{assessment}")
}

impl AssessmentHandler {
    /// Builds the handler.
    pub fn new(config: AssessmentConfig, base_dir: &Path) -> Result<Self, BoxError> {
        Ok(Self {
            provider: config.provider.build(base_dir)?,
            config,
        })
    }

    async fn invite(
        &self,
        ctx: &HandlerContext,
        doc: &EventDocument,
        change: &StageChange,
    ) -> Result<Outcome, Outcome> {
        let api = ctx.lever()?;
        let records = ctx.records();
        let opportunity_id = change.opportunity_id.as_str();
        let opportunity = read_opportunity(api.client(), opportunity_id).await?;
        if let Some(reason) =
            stale_stage_reason(&opportunity, change.to_stage.as_str(), "assessment")
        {
            let stage = opportunity.stage.as_ref().map(|s| s.id.as_str());
            info!(event_id = %doc.id, opportunity = opportunity_id, stage = ?stage, "stale trigger: {reason}; nobody invited");
            return Ok(Outcome::Done);
        }
        if let Some(tag) = &self.config.required_tag {
            if !opportunity.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
                info!(event_id = %doc.id, opportunity = opportunity_id, tag = %tag, "the opportunity lacks the required tag; nobody invited");
                return Ok(Outcome::Done);
            }
        }
        let Some(contact) = opportunity
            .contact
            .clone()
            .or_else(|| doc.contact_id.as_ref().map(|c| c.to_string()))
        else {
            return Err(Outcome::give_up("the opportunity names no contact"));
        };
        let write = writer(ctx, api);
        if opportunity.emails.is_empty() {
            let note = format!(
                "Assessment {} not sent: the candidate has no email address.",
                self.config.assessment
            );
            write
                .note_once(
                    &format!("{}:no-email", doc.idempotency_key),
                    opportunity_id,
                    &note,
                )
                .await?;
            return Ok(Outcome::give_up("no email address on the profile"));
        }

        // Claim the person's invite for this assessment, or find the earlier one.
        let key = invite_record(&doc.account, &contact, &self.config.assessment);
        let stage = change.to_stage.as_str();
        let mine = json!({"state": "inviting", "by": doc.idempotency_key, "opportunityId": opportunity_id, "stage": stage, "at": now_millis()});
        if let Some(earlier) = records
            .insert(&key, mine.clone())
            .await
            .map_err(store_failure)?
        {
            let ours = earlier["by"] == doc.idempotency_key.as_str();
            let at = earlier["at"].as_u64().unwrap_or(0);
            let window = self.config.reuse_window.as_millis() as Millis;
            let current = now_millis().saturating_sub(at) < window;
            if !ours && current {
                return self.reuse(ctx, doc, opportunity_id, &key, &earlier).await;
            }
            if !ours {
                // The earlier invite is older than the reuse window: invite again.
                records.put(&key, mine).await.map_err(store_failure)?;
            }
        }

        let posting = read_posting(api.client(), &opportunity).await?;
        let request = json!({
            "action": "invite",
            "idempotencyKey": doc.idempotency_key,
            "opportunityId": opportunity_id,
            "contactId": contact,
            "candidate": candidate_block(&opportunity),
            "posting": posting_block(posting.as_ref()),
            "assessment": self.config.assessment,
        });
        let answer = self.provider.call(&request).await?;
        let invite = answer_id(&answer, "id");
        if let Some(invite) = &invite {
            // The provider's result comes back with this id (POST /providers/…/HANDLER).
            ctx.remember_reference(invite, opportunity_id, Some(&contact))
                .await
                .map_err(store_failure)?;
        }
        records
            .put(
                &key,
                json!({"state": "invited", "by": doc.idempotency_key, "opportunityId": opportunity_id, "inviteId": invite, "stage": stage, "at": now_millis()}),
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
        let reference = invite
            .as_deref()
            .map(|i| format!(" Provider reference: {i}."))
            .unwrap_or_default();
        let note = format!(
            "Invited to assessment {}.{reference}",
            self.config.assessment
        );
        write
            .note_once(
                &format!("{}:note", doc.idempotency_key),
                opportunity_id,
                &note,
            )
            .await?;
        info!(event_id = %doc.id, opportunity = opportunity_id, invite = ?invite, "assessment invite sent");
        Ok(Outcome::Done)
    }

    /// The person was invited recently (or is being invited now) for another opportunity.
    async fn reuse(
        &self,
        ctx: &HandlerContext,
        doc: &EventDocument,
        opportunity_id: &str,
        key: &str,
        earlier: &Value,
    ) -> Result<Outcome, Outcome> {
        let earlier_opportunity = earlier["opportunityId"].as_str().unwrap_or_default();
        if earlier["state"] == "inviting" {
            return Err(Outcome::Retry {
                after: Some(CONCURRENT_INVITE_WAIT),
                reason: format!("an invite for this person is being sent for opportunity {earlier_opportunity}; checking again shortly"),
            });
        }
        if earlier_opportunity == opportunity_id {
            info!(event_id = %doc.id, opportunity = opportunity_id, "already invited for this opportunity");
            return Ok(Outcome::Done);
        }
        let api = ctx.lever()?;
        let when = earlier["at"]
            .as_u64()
            .map(date_of)
            .unwrap_or_else(|| "earlier".to_owned());
        let invite = earlier["inviteId"]
            .as_str()
            .map(|i| format!(", reference {i}"))
            .unwrap_or_default();
        let note = format!(
            "Assessment {} not sent again: this person was invited on {when} for opportunity {earlier_opportunity}{invite}.",
            self.config.assessment
        );
        writer(ctx, api)
            .note_once(
                &format!("{}:reuse-note", doc.idempotency_key),
                opportunity_id,
                &note,
            )
            .await?;
        // This opportunity now waits on the earlier invite's result (see `results`).
        ctx.records()
            .put(
                &results::waiting_record(key, opportunity_id),
                json!({"inviteId": earlier["inviteId"], "by": doc.idempotency_key, "at": now_millis()}),
            )
            .await
            .map_err(store_failure)?;
        info!(event_id = %doc.id, opportunity = opportunity_id, earlier = earlier_opportunity, "the person was already invited within the reuse window");
        Ok(Outcome::Done)
    }
}

#[async_trait]
impl Handler for AssessmentHandler {
    async fn handle(&self, doc: &EventDocument, ctx: &HandlerContext) -> Result<Outcome, BoxError> {
        match doc.provider_result() {
            Some(Ok(result)) => {
                return Ok(results::handle(&self.config, ctx, &doc.account, &result).await)
            }
            Some(Err(e)) => return Ok(Outcome::give_up(format!("the result does not parse: {e}"))),
            None => {}
        }
        match doc.lever_event() {
            Ok(LeverEvent::CandidateStageChange(change)) => {
                Ok(settle(self.invite(ctx, doc, &change).await))
            }
            Ok(other) => {
                info!(event_id = %doc.id, event = other.name(), "assessment has nothing to do for this event");
                Ok(Outcome::Done)
            }
            Err(e) => Ok(Outcome::give_up(e.to_string())),
        }
    }
}

impl HandlerKind for AssessmentConfig {
    const KIND: &'static str = "assessment";
    const USES_LEVER_API: bool = true;
    const TAKES_RESULTS: bool = true;

    fn check(&self, cx: &KindContext) -> Vec<(String, String)> {
        self.problems(cx.base_dir)
    }

    fn build(&self, cx: &KindContext) -> Result<Arc<dyn Handler>, BoxError> {
        Ok(Arc::new(AssessmentHandler::new(self.clone(), cx.base_dir)?))
    }
}
