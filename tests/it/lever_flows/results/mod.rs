//! Provider results through the built-ins: the request step runs first (a stage change
//! against the recording provider), then a `providerResult` document is handed to the same
//! handler, and the fake Lever shows what was written, each thing once.

mod assessment_hris;
mod background_check;
mod through_the_endpoint;

use super::replay::platform_with_retries;
use super::*;
use lever_hooks::config::DEFAULT_ACCOUNT;
use lever_hooks::fake_lever::FailureRule;
use lever_hooks::handler::{
    Handler, HandlerContext, HandlerRegistry, KindContext, Outcome, Records,
};
use lever_hooks::EventDocument;

/// Stage "Onsite".
const ONSITE: &str = "b37523a5-3b4a-4ee2-8463-513755ac0ecd";
/// Stage "Offer".
const OFFER: &str = "offer";
const REPORT: &str = "https://checkr.example.com/reports/r-1";

const CHECKR: &str = r#"
[on_result.clear]
add_tags = ["Report Clear"]
stage = "Offer"

[on_result.consider]
add_tags = ["Report Consider"]
"#;

struct World {
    lever: FakeLever,
    provider: Provider,
    store: Arc<dyn Store>,
    handler: Arc<dyn Handler>,
    ctx: HandlerContext,
}

impl World {
    /// The fake Lever and provider, and handler `name` of `kind` with `settings`.
    async fn start(kind: &str, name: &str, settings: &str) -> World {
        Self::start_with_retries(kind, name, settings, 5).await
    }

    /// Like [`World::start`], with a Data API client retrying `max_retries` times.
    async fn start_with_retries(kind: &str, name: &str, settings: &str, max_retries: u32) -> World {
        let lever = fake_lever::start(FakeLeverOptions::new(example()))
            .await
            .unwrap();
        let provider = Provider::start().await;
        let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
        let section: toml::Value = toml::from_str(&format!(
            "provider = {{ kind = \"http\", url = \"{}\" }}\n{settings}",
            provider.url
        ))
        .unwrap();
        let handler = HandlerRegistry::new()
            .read_settings(kind, section)
            .unwrap()
            .unwrap()
            .build(&KindContext {
                name,
                base_dir: Path::new("."),
            })
            .unwrap();
        let ctx = HandlerContext::new(
            name,
            DEFAULT_ACCOUNT,
            platform_with_retries(&lever, store.clone(), max_retries),
        );
        World {
            lever,
            provider,
            store,
            handler,
            ctx,
        }
    }

    /// Runs the job to the end as the dispatcher would, retrying on `Retry`.
    async fn run(&self, doc: &EventDocument) -> Outcome {
        for _ in 0..5 {
            match self.handler.handle(doc, &self.ctx).await.unwrap() {
                Outcome::Retry { .. } => continue,
                other => return other,
            }
        }
        panic!("{} still retrying after 5 attempts", doc.id);
    }

    /// Moves `opportunity` into `stage` as a recruiter, then runs the request step.
    async fn request(&self, opportunity: &str, stage: &str, event: &str) {
        self.recruiter_put(opportunity, "stage", json!({ "stage": stage }))
            .await;
        let data = json!({"opportunityId": opportunity, "contactId": DANA, "fromStageId": PHONE_SCREEN, "toStageId": stage});
        let doc = document(
            event,
            &self.ctx.handler,
            "candidateStageChange",
            opportunity,
            data,
        );
        assert_eq!(self.run(&doc).await, Outcome::Done);
    }

    async fn recruiter_put(&self, opportunity: &str, what: &str, body: Value) {
        let response = reqwest::Client::new()
            .put(format!(
                "{}/opportunities/{opportunity}/{what}",
                self.lever.url()
            ))
            .basic_auth("recruiter-key", Some(""))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }

    /// The handler's record `name`.
    async fn record(&self, name: &str) -> Value {
        Records::new(self.store.clone(), self.ctx.handler.as_str())
            .get(name)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no record {name}"))
    }

    fn stage(&self, opportunity: &str) -> String {
        self.lever
            .state()
            .opportunity(opportunity)
            .unwrap()
            .stage
            .clone()
    }

    fn tags(&self, opportunity: &str) -> Vec<String> {
        self.lever
            .state()
            .opportunity(opportunity)
            .unwrap()
            .tags
            .clone()
    }

    /// How many times the report URL is among the opportunity's links.
    fn report_links(&self, opportunity: &str) -> usize {
        let state = self.lever.state();
        let rest = &state.opportunity(opportunity).unwrap().rest;
        let links = rest.get("links").and_then(Value::as_array);
        links.into_iter().flatten().filter(|l| *l == REPORT).count()
    }

    fn notes_with(&self, opportunity: &str, text: &str) -> usize {
        self.lever
            .state()
            .notes_of(opportunity)
            .iter()
            .filter(|n| n.to_string().contains(text))
            .count()
    }

    /// Successful writes `action` (`notes`, `addTags`, `stage`, …) on `opportunity`
    /// from request `since` of the fake's log on.
    fn writes(&self, since: usize, opportunity: &str, action: &str) -> usize {
        let path = format!("/v1/opportunities/{opportunity}/{action}");
        self.lever.requests()[since..]
            .iter()
            .filter(|r| r.method != "GET" && r.path == path && (200..300).contains(&r.status))
            .count()
    }

    async fn stop(self) {
        self.lever.stop().await;
    }
}

fn document(
    event: &str,
    handler: &str,
    name: &str,
    opportunity: &str,
    data: Value,
) -> EventDocument {
    serde_json::from_value(json!({
        "id": event, "account": DEFAULT_ACCOUNT, "event": name,
        "triggeredAt": 1, "receivedAt": 2, "opportunityId": opportunity, "contactId": DANA,
        "data": data, "handler": handler, "attempt": 1,
        "idempotencyKey": format!("{event}:{handler}"),
    }))
    .unwrap()
}

/// A `providerResult` for `reference`, with the optional `fields` the provider sent.
fn result(
    event: &str,
    handler: &str,
    opportunity: &str,
    reference: &str,
    fields: Value,
) -> EventDocument {
    let mut data = json!({
        "handler": handler, "reference": reference, "webhookId": format!("msg_{event}"),
        "opportunityId": opportunity, "contactId": DANA,
    });
    data.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    document(event, handler, "providerResult", opportunity, data)
}
