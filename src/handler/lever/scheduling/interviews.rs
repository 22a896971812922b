//! `scheduling`'s side of Lever's interview events: for an opportunity with an open
//! scheduling request, the interview is re-read (or found gone) and sent to the provider
//! as `interview-changed`, once per event; for any other opportunity, nothing.

use super::super::common::{lever_failure, store_failure};
use super::super::provider::Provider;
use super::{request, request_record};
use crate::document::EventDocument;
use crate::event::InterviewChange;
use crate::handler::{HandlerContext, Outcome};
use crate::lever::LeverError;
use crate::store::now_millis;
use serde_json::json;
use tracing::info;

/// Forwards an interview event for an opportunity with an open request to `provider`.
pub async fn forward(
    provider: &Provider,
    ctx: &HandlerContext,
    doc: &EventDocument,
    event: &str,
    change: &InterviewChange,
) -> Result<Outcome, Outcome> {
    let Some(opportunity_id) = change
        .opportunity_id
        .as_ref()
        .or(doc.opportunity_id.as_ref())
        .map(|o| o.as_str().to_owned())
    else {
        info!(event_id = %doc.id, event, "the interview event names no opportunity; nothing forwarded");
        return Ok(Outcome::Done);
    };
    let records = ctx.records();
    let key = request_record(&doc.account, &opportunity_id);
    let record = records.get(&key).await.map_err(store_failure)?;
    let Some(reference) = record
        .filter(|r| r["state"] == "open")
        .and_then(|r| r["reference"].as_str().map(str::to_owned))
    else {
        info!(event_id = %doc.id, opportunity = %opportunity_id, event, "no scheduling request for this opportunity; nothing forwarded");
        return Ok(Outcome::Done);
    };
    let forwarded = format!("forwarded/{}", doc.idempotency_key);
    if records
        .get(&forwarded)
        .await
        .map_err(store_failure)?
        .is_some()
    {
        return Ok(Outcome::Done);
    }
    let api = ctx.lever()?;
    let interview_id = change.interview_id.as_ref().map(|i| i.as_str());
    let interview = match interview_id {
        Some(id) => match api.client().interview(&opportunity_id, id).await {
            Ok(interview) => Some(interview),
            Err(LeverError::NotFound { .. }) => None,
            Err(e) => return Err(lever_failure("reading the interview", e)),
        },
        None => None,
    };
    let request = request::interview_changed_request(
        &doc.idempotency_key,
        &reference,
        &opportunity_id,
        event,
        interview_id,
        interview.as_ref(),
    );
    provider.call(&request).await?;
    records
        .put(&forwarded, json!({"at": now_millis()}))
        .await
        .map_err(store_failure)?;
    info!(event_id = %doc.id, opportunity = %opportunity_id, event, gone = interview.is_none(), "interview change forwarded");
    Ok(Outcome::Done)
}
