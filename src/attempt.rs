//! One handler attempt, shared by jobs and alerts: the event document a handler is given,
//! and the call of the handler behind its panic guard.

use crate::document::EventDocument;
use crate::error::error_chain;
use crate::event::{EventId, EventSource};
use crate::handler::{Handler, HandlerContext, Outcome};
use crate::store::{Job, StoredEvent};
use futures_util::FutureExt;
use serde_json::value::RawValue;
use std::panic::AssertUnwindSafe;

/// The reason recorded when a handler panicked instead of answering.
pub const PANICKED: &str = "handler panicked";

/// The document for attempt `attempt` of `job`, which runs a handler on the stored `event`.
pub fn job_document(event: &StoredEvent, job: &Job, attempt: u32) -> EventDocument {
    EventDocument {
        id: event.id.clone(),
        account: event.account.clone(),
        event: event.event.clone(),
        source: event.source(),
        triggered_at: event.triggered_at,
        received_at: event.received_at,
        opportunity_id: event.opportunity_id.clone(),
        contact_id: event.contact_id.clone(),
        data: event.data.clone(),
        handler: job.handler.clone(),
        attempt,
        idempotency_key: job.id.clone(),
    }
}

/// The document of an event lever-hooks itself raises at `now` (an alert): a fresh id, no
/// candidacy, a single attempt.
pub fn own_event_document(
    account: &str,
    event: &str,
    data: Box<RawValue>,
    handler: &str,
    idempotency_key: String,
    now: u64,
) -> EventDocument {
    EventDocument {
        id: EventId::generate(),
        account: account.to_owned(),
        event: event.to_owned(),
        source: EventSource::Internal,
        triggered_at: now,
        received_at: now,
        opportunity_id: None,
        contact_id: None,
        data,
        handler: handler.to_owned(),
        attempt: 1,
        idempotency_key,
    }
}

/// Runs `handler` on `doc`. A handler error becomes a retry with the error's chain as its
/// reason, and a panic a retry with [`PANICKED`], so neither takes the caller down.
pub async fn invoke(handler: &dyn Handler, doc: &EventDocument, ctx: &HandlerContext) -> Outcome {
    match AssertUnwindSafe(handler.handle(doc, ctx))
        .catch_unwind()
        .await
    {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => Outcome::retry(error_chain(e.as_ref())),
        Err(_) => Outcome::retry(PANICKED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::{async_trait, BoxError, Platform};

    struct Panics;

    #[async_trait]
    impl Handler for Panics {
        async fn handle(&self, _: &EventDocument, _: &HandlerContext) -> Result<Outcome, BoxError> {
            panic!("boom")
        }
    }

    struct Fails;

    #[async_trait]
    impl Handler for Fails {
        async fn handle(&self, _: &EventDocument, _: &HandlerContext) -> Result<Outcome, BoxError> {
            Err("outer".into())
        }
    }

    fn doc() -> EventDocument {
        let data = serde_json::value::to_raw_value(&serde_json::json!({})).unwrap();
        own_event_document("default", "test", data, "h", "k".into(), 5)
    }

    #[tokio::test]
    async fn a_panic_becomes_a_retry_and_does_not_unwind() {
        let ctx = HandlerContext::new("h", "default", Platform::temporary().unwrap());
        assert_eq!(
            invoke(&Panics, &doc(), &ctx).await,
            Outcome::retry(PANICKED)
        );
    }

    #[tokio::test]
    async fn an_error_becomes_a_retry_with_its_message() {
        let ctx = HandlerContext::new("h", "default", Platform::temporary().unwrap());
        assert_eq!(invoke(&Fails, &doc(), &ctx).await, Outcome::retry("outer"));
    }

    #[test]
    fn an_own_event_document_is_a_first_attempt_at_now_without_candidacy() {
        let d = doc();
        assert_eq!((d.triggered_at, d.received_at, d.attempt), (5, 5, 1));
        assert!(d.opportunity_id.is_none() && d.contact_id.is_none());
        assert_eq!(d.source, EventSource::Internal);
        assert_eq!((d.handler.as_str(), d.idempotency_key.as_str()), ("h", "k"));
    }
}
