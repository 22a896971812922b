//! Provider results through the built-ins: the request step runs first (a stage change
//! against the recording provider), then a `providerResult` document is handed to the same
//! handler, and the fake Lever shows what was written, each thing once.

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

/// A background check requested for Dana's backend opportunity; returns its reference.
async fn checked(world: &World) -> String {
    world
        .request(DANA_BACKEND, BACKGROUND_CHECK, "evt_stage")
        .await;
    assert_eq!(world.provider.actions("create").len(), 1);
    assert!(world
        .tags(DANA_BACKEND)
        .contains(&"Background check requested".to_owned()));
    let record = world.record(&format!("check/default/{DANA_BACKEND}")).await;
    assert_eq!(
        record["stage"], BACKGROUND_CHECK,
        "the trigger stage is kept"
    );
    record["checkId"].as_str().unwrap().to_owned()
}

fn clear(reference: &str, event: &str) -> EventDocument {
    let fields = json!({"status": "clear", "reportUrl": REPORT, "summary": "No records found"});
    result(event, "bgcheck", DANA_BACKEND, reference, fields)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clear_check_swaps_tags_adds_the_report_link_and_moves_to_the_next_stage() {
    let world = World::start("background-check", "bgcheck", CHECKR).await;
    let reference = checked(&world).await;

    assert_eq!(
        world.run(&clear(&reference, "evt_clear")).await,
        Outcome::Done
    );

    let tags = world.tags(DANA_BACKEND);
    assert!(tags.contains(&"Report Clear".to_owned()), "{tags:?}");
    assert!(
        !tags.contains(&"Background check requested".to_owned()),
        "{tags:?}"
    );
    assert_eq!(world.report_links(DANA_BACKEND), 1);
    assert_eq!(world.stage(DANA_BACKEND), OFFER);
    assert_eq!(
        world.notes_with(DANA_BACKEND, "Background check: clear."),
        1
    );
    assert_eq!(world.notes_with(DANA_BACKEND, "No records found"), 1);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consider_result_tags_and_notes_but_moves_no_stage() {
    let world = World::start("background-check", "bgcheck", CHECKR).await;
    let reference = checked(&world).await;
    let fields = json!({"status": "consider", "reportUrl": REPORT});
    let doc = result("evt_consider", "bgcheck", DANA_BACKEND, &reference, fields);

    assert_eq!(world.run(&doc).await, Outcome::Done);

    let tags = world.tags(DANA_BACKEND);
    assert!(tags.contains(&"Report Consider".to_owned()), "{tags:?}");
    assert!(
        !tags.contains(&"Background check requested".to_owned()),
        "{tags:?}"
    );
    assert_eq!(world.stage(DANA_BACKEND), BACKGROUND_CHECK);
    assert_eq!(
        world.notes_with(DANA_BACKEND, "Background check: consider."),
        1
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_for_an_archived_opportunity_is_noted_but_moves_no_stage() {
    let world = World::start("background-check", "bgcheck", CHECKR).await;
    let reference = checked(&world).await;
    world
        .recruiter_put(DANA_BACKEND, "archived", json!({ "reason": WITHDREW }))
        .await;

    assert_eq!(
        world.run(&clear(&reference, "evt_clear")).await,
        Outcome::Done
    );

    assert_eq!(
        world.notes_with(DANA_BACKEND, "Background check: clear."),
        1
    );
    assert!(world
        .tags(DANA_BACKEND)
        .contains(&"Report Clear".to_owned()));
    assert_eq!(
        world.stage(DANA_BACKEND),
        BACKGROUND_CHECK,
        "not moved to Offer"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_for_an_opportunity_moved_on_is_noted_but_moves_no_stage() {
    let world = World::start("background-check", "bgcheck", CHECKR).await;
    let reference = checked(&world).await;
    world
        .recruiter_put(DANA_BACKEND, "stage", json!({ "stage": ONSITE }))
        .await;

    assert_eq!(
        world.run(&clear(&reference, "evt_clear")).await,
        Outcome::Done
    );

    assert_eq!(
        world.notes_with(DANA_BACKEND, "Background check: clear."),
        1
    );
    assert_eq!(world.stage(DANA_BACKEND), ONSITE);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_for_a_deleted_opportunity_writes_nothing() {
    let world = World::start("background-check", "bgcheck", CHECKR).await;
    let reference = checked(&world).await;
    assert!(world.lever.delete_opportunity(DANA_BACKEND, None));
    let since = world.lever.requests().len();

    assert_eq!(
        world.run(&clear(&reference, "evt_clear")).await,
        Outcome::Done
    );

    let writes: Vec<_> = world.lever.requests()[since..]
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(writes, Vec::<String>::new());
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_result_handled_again_or_replayed_writes_nothing_twice() {
    let world = World::start("background-check", "bgcheck", CHECKR).await;
    let reference = checked(&world).await;
    let since = world.lever.requests().len();

    for event in ["evt_clear", "evt_clear", "evt_clear_replayed"] {
        assert_eq!(world.run(&clear(&reference, event)).await, Outcome::Done);
    }

    for action in ["notes", "addTags", "removeTags", "addLinks", "stage"] {
        assert_eq!(world.writes(since, DANA_BACKEND, action), 1, "{action}");
    }
    assert_eq!(
        world.notes_with(DANA_BACKEND, "Background check: clear."),
        1
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_and_a_503_from_lever_midway_still_write_each_thing_once() {
    // Retried by the client, and (with no client retries) by running the job again.
    for max_retries in [5, 0] {
        each_write_once_through_failures(max_retries).await;
    }
}

async fn each_write_once_through_failures(max_retries: u32) {
    let world = World::start_with_retries("background-check", "bgcheck", CHECKR, max_retries).await;
    let reference = checked(&world).await;
    let since = world.lever.requests().len();
    let path = |action: &str| format!("/v1/opportunities/{DANA_BACKEND}/{action}");
    world
        .lever
        .fail_next(FailureRule::new(429, 1).on_path(path("addLinks")));
    world
        .lever
        .fail_next(FailureRule::new(503, 1).on_path(path("notes")));
    world
        .lever
        .fail_next(FailureRule::new(503, 1).on_path(path("stage")));

    assert_eq!(
        world.run(&clear(&reference, "evt_clear")).await,
        Outcome::Done
    );

    let failed: Vec<u16> = world.lever.requests()[since..]
        .iter()
        .map(|r| r.status)
        .filter(|s| *s >= 400)
        .collect();
    assert_eq!(failed, [429, 503, 503], "the failures were served");
    for action in ["notes", "addTags", "removeTags", "addLinks", "stage"] {
        assert_eq!(world.writes(since, DANA_BACKEND, action), 1, "{action}");
    }
    assert_eq!(
        world.notes_with(DANA_BACKEND, "Background check: clear."),
        1
    );
    assert_eq!(world.stage(DANA_BACKEND), OFFER);
    world.stop().await;
}

/// Dana invited for the backend job; her sales opportunity then waits on that invite.
async fn invited(world: &World) -> String {
    world.request(DANA_BACKEND, ASSESSMENT, "evt_invite").await;
    world.request(DANA_SALES, ASSESSMENT, "evt_waiting").await;
    assert_eq!(world.provider.actions("invite").len(), 1);
    assert_eq!(world.notes_with(DANA_SALES, "not sent again"), 1);
    let record = world
        .record(&format!("invite/default/{DANA}/backend-take-home"))
        .await;
    record["inviteId"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assessment_scores_pass_review_or_fail_and_the_waiting_opportunity_gets_a_pointer() {
    let settings = "assessment = \"backend-take-home\"\npass_at = 70\nreview_at = 50\npass_stage = \"Onsite\"\n";
    for (score, tag, stage) in [
        (82, "Assessment passed", ONSITE),
        (60, "Assessment needs review", ASSESSMENT),
        (30, "Assessment failed", ASSESSMENT),
    ] {
        let world = World::start("assessment", "assessment", settings).await;
        let reference = invited(&world).await;
        let fields =
            json!({"status": "completed", "score": score, "maxScore": 100, "reportUrl": REPORT});
        let doc = result("evt_scored", "assessment", DANA_BACKEND, &reference, fields);

        for _ in 0..2 {
            assert_eq!(world.run(&doc).await, Outcome::Done, "score {score}");
        }

        let tags = world.tags(DANA_BACKEND);
        assert!(tags.contains(&tag.to_owned()), "score {score}: {tags:?}");
        assert!(!tags.contains(&"Assessment invited".to_owned()), "{tags:?}");
        assert_eq!(world.stage(DANA_BACKEND), stage, "score {score}");
        assert_eq!(
            world.notes_with(DANA_BACKEND, &format!("Score: {score} / 100.")),
            1,
            "score {score}"
        );
        assert_eq!(world.report_links(DANA_BACKEND), 1);
        assert_eq!(
            world.notes_with(
                DANA_SALES,
                &format!("Written in full on opportunity {DANA_BACKEND}")
            ),
            1,
            "one pointer note on the waiting opportunity (score {score})"
        );
        assert!(!world.tags(DANA_SALES).contains(&tag.to_owned()));
        world.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hris_created_notes_and_tags_and_failed_notes_and_gives_up() {
    let world = World::start("hris", "hris", "").await;
    let created = json!({"status": "created", "employeeId": "E-1042"});
    let doc = result("evt_created", "hris", ELENA_OFFER, "emp-1", created);

    assert_eq!(world.run(&doc).await, Outcome::Done);
    assert_eq!(
        world.notes_with(ELENA_OFFER, "Employee record E-1042 created"),
        1
    );
    assert!(world
        .tags(ELENA_OFFER)
        .contains(&"HRIS record created".to_owned()));

    let failed = json!({"status": "failed", "summary": "Missing tax id"});
    let doc = result("evt_failed", "hris", ELENA_OFFER, "emp-2", failed);
    match world.run(&doc).await {
        Outcome::GiveUp { reason } => assert!(reason.contains("Missing tax id"), "{reason}"),
        other => panic!("a failed HRIS result is a dead letter, not {other:?}"),
    }
    assert_eq!(
        world.notes_with(ELENA_OFFER, "could not create the employee record"),
        1
    );
    world.stop().await;
}
