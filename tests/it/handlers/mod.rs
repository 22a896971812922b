//! The built-in `command` and `http` handlers, driven through their public config the way
//! `[handlers.NAME]` builds them.

mod command;
mod http;

use lever_hooks::document::idempotency_key;
use lever_hooks::event::{ContactId, EventId, OpportunityId};
use lever_hooks::handler::{Handler, HandlerConfig, HandlerContext, Outcome};
use lever_hooks::EventDocument;
use serde_json::value::RawValue;
use std::path::Path;
use std::sync::Arc;

/// A realistic document for `handler`, on its third attempt.
pub fn document(handler: &str) -> EventDocument {
    document_with_data(
        handler,
        r#"{"opportunityId":"3410c8b9-opp","toStageId":"stage-bg"}"#,
    )
}

/// A document whose `data` is `data` (raw JSON).
pub fn document_with_data(handler: &str, data: &str) -> EventDocument {
    let id = EventId::new("evt_0190d5f8a0c47c2e9f6b5d1e2a3b4c5d");
    EventDocument {
        account: "default".to_owned(),
        event: "candidateStageChange".to_owned(),
        triggered_at: 1_431_454_330_072,
        received_at: 1_431_454_330_101,
        opportunity_id: Some(OpportunityId::new("3410c8b9-opp")),
        contact_id: Some(ContactId::new("05c248f9-contact")),
        data: RawValue::from_string(data.to_owned()).expect("valid JSON"),
        handler: handler.to_owned(),
        attempt: 3,
        idempotency_key: idempotency_key(&id, handler),
        id,
    }
}

/// Parses a `[handlers.NAME]` table.
pub fn config(table: toml::Table) -> HandlerConfig {
    toml::Value::Table(table)
        .try_into()
        .expect("a valid handler config")
}

/// Builds a handler from `config` after checking it has no problems.
pub fn build(config: &HandlerConfig, base_dir: &Path) -> Arc<dyn Handler> {
    let problems = config.check(base_dir);
    assert!(
        problems.is_empty(),
        "unexpected config problems: {problems:?}"
    );
    config.build(base_dir, None).expect("the handler builds")
}

/// Runs one attempt of `doc`.
pub async fn run(handler: &Arc<dyn Handler>, doc: &EventDocument) -> Outcome {
    let ctx = HandlerContext::new(doc.handler.clone(), doc.account.clone());
    handler
        .handle(doc, &ctx)
        .await
        .expect("the handler answers with an outcome")
}
