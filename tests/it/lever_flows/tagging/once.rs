//! Each write once when the handlers run again: after a Lever 503 midway, and as a
//! replay; and the hired archive reason categorize refuses.

use super::super::replay::platform_with_retries;
use super::*;
use lever_hooks::config::DEFAULT_ACCOUNT;
use lever_hooks::fake_lever::FailureRule;
use lever_hooks::handler::{HandlerContext, KindContext, Outcome};
use lever_hooks::EventDocument;

/// A handler of `kind` built from `section`, and a context over `lever` whose client
/// does not retry (so a 503 ends the attempt).
fn handler_over(
    lever: &FakeLever,
    kind: &str,
    section: &str,
) -> (Arc<dyn lever_hooks::handler::Handler>, HandlerContext) {
    let section: toml::Value = toml::from_str(section).unwrap();
    let settings = HandlerRegistry::new()
        .read_settings(kind, section)
        .unwrap()
        .unwrap();
    let handler = settings
        .build(&KindContext {
            name: "h",
            base_dir: Path::new("."),
        })
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
    let ctx = HandlerContext::new("h", DEFAULT_ACCOUNT, platform_with_retries(lever, store, 0));
    (handler, ctx)
}

fn document(event: &str, opportunity: &str, data: Value) -> EventDocument {
    serde_json::from_value(json!({
        "id": "evt_t", "account": DEFAULT_ACCOUNT, "event": event,
        "triggeredAt": 1, "receivedAt": 2, "opportunityId": opportunity, "contactId": DANA,
        "data": data, "handler": "h", "attempt": 1, "idempotencyKey": "evt_t:h",
    }))
    .unwrap()
}

fn application_created(opportunity: &str) -> EventDocument {
    document(
        "applicationCreated",
        opportunity,
        json!({"opportunityId": opportunity, "contactId": DANA, "applicationId": "a-1"}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_categorize_write_happens_once_through_a_503_midway_and_a_replay() {
    let lever = fake_lever::start(FakeLeverOptions::new(example()))
        .await
        .unwrap();
    // The rule stops matching once its own tag is on: only the recorded plan finishes it.
    let (handler, ctx) = handler_over(
        &lever,
        "categorize",
        r#"
[[rules]]
when = { posting_department = "Sales", tags_none = ["Dept: Sales"] }
add_tags = ["Dept: Sales"]
note = "Sales application"
stage = "Phone Screen"
"#,
    );
    lever.fail_next(
        FailureRule::new(503, 1).on_path(format!("/v1/opportunities/{DANA_SALES}/stage")),
    );
    let doc = application_created(DANA_SALES);

    let first = handler.handle(&doc, &ctx).await.unwrap();
    assert!(matches!(first, Outcome::Retry { .. }), "{first:?}");
    for run in ["retry", "replay"] {
        assert_eq!(
            handler.handle(&doc, &ctx).await.unwrap(),
            Outcome::Done,
            "{run}"
        );
    }

    let state = lever.state();
    assert_eq!(state.opportunity(DANA_SALES).unwrap().stage, PHONE_SCREEN);
    assert_eq!(writes(&lever, DANA_SALES, "/addTags"), 1);
    assert_eq!(writes(&lever, DANA_SALES, "/notes"), 1);
    assert_eq!(writes(&lever, DANA_SALES, "/stage"), 1);
    lever.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn categorize_refuses_to_archive_with_a_hired_reason() {
    let lever = fake_lever::start(FakeLeverOptions::new(example()))
        .await
        .unwrap();
    let (handler, ctx) = handler_over(&lever, "categorize", "[[rules]]\narchive = \"Hired\"\n");

    let outcome = handler
        .handle(&application_created(DANA_SALES), &ctx)
        .await
        .unwrap();

    let Outcome::GiveUp { reason } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(reason.contains("`Hired` is a hired reason"), "{reason}");
    assert!(lever
        .state()
        .opportunity(DANA_SALES)
        .unwrap()
        .archived
        .is_none());
    assert_eq!(writes(&lever, DANA_SALES, "/archived"), 0);
    lever.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_scoped_tag_is_written_once_per_opportunity_through_a_503() {
    let lever = fake_lever::start(FakeLeverOptions::new(example()))
        .await
        .unwrap();
    let (handler, ctx) = handler_over(
        &lever,
        "tagger",
        "scope = \"contact\"\nadd = [\"Alumni\"]\n",
    );
    let path = |o: &str| format!("/v1/opportunities/{o}/addTags");
    // Whichever opportunity comes second fails once.
    lever.fail_next(FailureRule::new(503, 1).on_path(path(DANA_SALES)));
    lever.fail_next(FailureRule::new(503, 1).on_path(path(DANA_BACKEND)));
    let doc = document("contactUpdated", DANA_SALES, json!({"contactId": DANA}));

    let mut outcomes = Vec::new();
    for _ in 0..4 {
        outcomes.push(handler.handle(&doc, &ctx).await.unwrap());
    }

    assert!(
        outcomes[..2]
            .iter()
            .all(|o| matches!(o, Outcome::Retry { .. })),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[2..], [Outcome::Done, Outcome::Done]);
    for opportunity in [DANA_BACKEND, DANA_SALES] {
        assert_eq!(writes(&lever, opportunity, "/addTags"), 1, "{opportunity}");
        assert!(lever
            .state()
            .opportunity(opportunity)
            .unwrap()
            .tags
            .contains(&"Alumni".to_owned()));
    }
    lever.stop().await;
}
