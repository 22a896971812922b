//! The built-in `command` and `http` handlers, driven through their public config the way
//! `[handlers.NAME]` builds them.

mod command;
mod http;

use lever_hooks::document::idempotency_key;
use lever_hooks::event::{ContactId, EventId, EventSource, OpportunityId};
use lever_hooks::handler::{
    Handler, HandlerContext, HandlerRegistry, HandlerSettings, KindContext, Outcome, Platform,
};
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
        source: EventSource::Webhook,
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

/// Reads a `[handlers.NAME]` table through its kind, as the config does; the problems
/// when it cannot be read.
pub fn read(mut table: toml::Table) -> Result<HandlerSettings, Vec<(String, String)>> {
    let kind = table.remove("kind").expect("the table names its kind");
    HandlerRegistry::new()
        .read_settings(kind.as_str().unwrap(), toml::Value::Table(table))
        .expect("a built-in kind")
}

/// Reads a valid `[handlers.NAME]` table.
pub fn config(table: toml::Table) -> HandlerSettings {
    read(table).expect("a valid handler config")
}

/// The problems check-config reports for `config`.
pub fn problems(config: &HandlerSettings, base_dir: &Path) -> Vec<(String, String)> {
    config.check(&KindContext {
        name: "under-test",
        base_dir,
    })
}

/// Builds a handler from `config` after checking it has no problems.
pub fn build(config: &HandlerSettings, base_dir: &Path) -> Arc<dyn Handler> {
    let found = problems(config, base_dir);
    assert!(found.is_empty(), "unexpected config problems: {found:?}");
    config
        .build(&KindContext {
            name: "under-test",
            base_dir,
        })
        .expect("the handler builds")
}

/// Runs one attempt of `doc`.
pub async fn run(handler: &Arc<dyn Handler>, doc: &EventDocument) -> Outcome {
    let platform = Platform::temporary().expect("a temporary store");
    let ctx = HandlerContext::new(doc.handler.clone(), doc.account.clone(), platform);
    handler
        .handle(doc, &ctx)
        .await
        .expect("the handler answers with an outcome")
}
