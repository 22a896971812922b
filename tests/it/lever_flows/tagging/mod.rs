//! The `tagger` and `categorize` kinds against the fake Lever: tags on every opportunity
//! of a person, rules over the opportunity as it is now, each write once through replays
//! and a Lever 503 ([`once`]), and `rules test`, which writes nothing ([`rules_test`]).

mod answers;
mod once;
mod rules_test;

use super::*;
use lever_hooks::fake_lever::AuthKind;
use lever_hooks::store::EventFilter;

/// Archive reason "Underqualified" (type non-hired).
const UNDERQUALIFIED: &str = "683447c1-0cc8-4f11-9d4e-abbd1fcfb980";
/// Posting "Backend Engineer" (department Engineering).
const BACKEND_POSTING: &str = "d1784030-35c9-48c4-a68d-c8f46a423cf9";
/// Posting "Account Executive" (department Sales).
const SALES_POSTING: &str = "af5d8bb0-9f2e-4ea4-b658-90e0f94855d0";

const TAGGERS: &str = r#"
[handlers.tag-person]
kind = "tagger"
scope = "contact"
add = ["Talent community"]

[[routes]]
events = ["candidateStageChange"]
handler = "tag-person"

[handlers.untag-person]
kind = "tagger"
scope = "contact"
remove = ["Sales"]

[[routes]]
events = ["contactUpdated"]
handler = "untag-person"
"#;

pub(super) const CATEGORIZE: &str = r#"
[handlers.categorize]
kind = "categorize"
mode = "all"

[[handlers.categorize.rules]]
name = "engineering"
when = { posting_department = "Engineering" }
add_tags = ["Dept: Engineering"]

[[handlers.categorize.rules]]
name = "sales"
when = { posting_department = "Sales" }
add_tags = ["Dept: Sales"]

[[handlers.categorize.rules]]
name = "referrals"
when = { origin = "referred" }
stage = "Phone Screen"
note = "Referred: moved to Phone Screen"

[[handlers.categorize.rules]]
name = "agency"
when = { sources_any = ["Agency X"] }
archive = "Underqualified"

[[routes]]
events = ["applicationCreated"]
handler = "categorize"
"#;

/// Successful API-key writes (not GETs) whose path ends with `suffix`, on `opportunity`.
pub(super) fn writes(lever: &FakeLever, opportunity: &str, suffix: &str) -> usize {
    lever
        .requests()
        .iter()
        .filter(|r| {
            r.auth == AuthKind::ApiKey
                && r.method != "GET"
                && r.status < 300
                && r.path == format!("/v1/opportunities/{opportunity}{suffix}")
        })
        .count()
}

/// Creates an opportunity in the fake as a recruiter would (announced with
/// `applicationCreated`); returns its id.
async fn create(flow: &Flow, body: Value) -> String {
    let response = reqwest::Client::new()
        .post(format!(
            "{}/opportunities?perform_as={INTEGRATION_USER}",
            flow.lever.url()
        ))
        .basic_auth("recruiter-key", Some(""))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    created["data"]["id"].as_str().unwrap().to_owned()
}

/// The ids of the events with a job of `handler`, oldest first.
async fn events_of(flow: &Flow, handler: &str) -> Vec<lever_hooks::event::EventId> {
    let filter = EventFilter {
        handler: Some(handler.to_owned()),
        ..Default::default()
    };
    let page = flow.store.list_events(&filter, None, 100).await.unwrap();
    let mut ids: Vec<_> = page
        .events
        .iter()
        .map(|v| (v.event.seq, v.event.id.clone()))
        .collect();
    ids.sort_by_key(|(seq, _)| *seq);
    ids.into_iter().map(|(_, id)| id).collect()
}

async fn replay(flow: &Flow, event: &lever_hooks::event::EventId, handler: &str) {
    let now = lever_hooks::store::now_millis();
    let ids = flow.store.replay(event, Some(handler), now).await.unwrap();
    assert_eq!(ids.len(), 1, "the job runs again");
    let states = flow.finished(event).await;
    assert!(
        states.iter().all(|(_, s)| *s == JobState::Done),
        "{states:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_scoped_tagger_tags_every_opportunity_of_the_person_once() {
    let flow = Flow::start_with_plugins(
        |_| {},
        (8, 15),
        HandlerRegistry::new(),
        |_| TAGGERS.to_owned(),
    )
    .await;
    let event = flow
        .deliver(
            "candidateStageChange",
            json!({"opportunityId": DANA_SALES, "contactId": DANA, "fromStageId": "applicant-new", "toStageId": PHONE_SCREEN}),
        )
        .await;
    assert_eq!(
        flow.finished(&event).await,
        [("tag-person".to_owned(), JobState::Done)]
    );
    for opportunity in [DANA_BACKEND, DANA_SALES] {
        assert!(
            flow.tags(opportunity)
                .contains(&"Talent community".to_owned()),
            "{opportunity}"
        );
        assert_eq!(writes(&flow.lever, opportunity, "/addTags"), 1);
    }
    assert!(!flow
        .tags(SAM_NO_EMAIL)
        .contains(&"Talent community".to_owned()));

    // A recruiter takes the tag off one; a replay puts nothing back and calls nothing.
    reqwest::Client::new()
        .post(format!(
            "{}/opportunities/{DANA_BACKEND}/removeTags",
            flow.lever.url()
        ))
        .basic_auth("recruiter-key", Some(""))
        .json(&json!({"tags": ["Talent community"]}))
        .send()
        .await
        .unwrap();
    replay(&flow, &event, "tag-person").await;
    assert!(!flow
        .tags(DANA_BACKEND)
        .contains(&"Talent community".to_owned()));
    assert_eq!(writes(&flow.lever, DANA_BACKEND, "/addTags"), 1);
    assert_eq!(writes(&flow.lever, DANA_SALES, "/addTags"), 1);

    // contactUpdated names only the person: the remove goes on each of their opportunities.
    let removed_before = writes(&flow.lever, DANA_BACKEND, "/removeTags");
    let updated = flow
        .deliver("contactUpdated", json!({"contactId": DANA}))
        .await;
    assert_eq!(
        flow.finished(&updated).await,
        [("untag-person".to_owned(), JobState::Done)]
    );
    assert!(
        !flow.tags(DANA_SALES).contains(&"Sales".to_owned()),
        "{:?}",
        flow.tags(DANA_SALES)
    );
    assert_eq!(
        writes(&flow.lever, DANA_BACKEND, "/removeTags"),
        removed_before + 1,
        "the person's other opportunity too"
    );
    flow.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn categorize_rules_tag_move_and_archive_new_applications_and_leave_moved_ones_alone() {
    let flow = Flow::start_with_plugins(
        |_| {},
        (8, 15),
        HandlerRegistry::new(),
        |_| CATEGORIZE.to_owned(),
    )
    .await;
    let referral = create(
        &flow,
        json!({"name": "Rae Referral", "emails": ["rae@example.com"], "origin": "referred",
               "sources": ["Referral"], "postings": [BACKEND_POSTING], "stage": "applicant-new"}),
    )
    .await;
    let agency = create(
        &flow,
        json!({"name": "Ari Agency", "emails": ["ari@example.com"], "origin": "agency",
               "sources": ["Agency X"], "postings": [SALES_POSTING], "stage": "applicant-new"}),
    )
    .await;
    eventually("both new applications categorized", || {
        let state = flow.lever.state();
        let archived = state
            .opportunity(&agency)
            .is_some_and(|o| o.archived.is_some());
        let moved = state
            .opportunity(&referral)
            .is_some_and(|o| o.stage == PHONE_SCREEN);
        archived && moved && flow.notes(&referral).iter().any(|n| n.contains("Referred"))
    })
    .await;
    assert_eq!(flow.tags(&referral), ["Dept: Engineering"]);
    assert_eq!(flow.tags(&agency), ["Dept: Sales"]);
    let archived = flow
        .lever
        .state()
        .opportunity(&agency)
        .unwrap()
        .archived
        .clone()
        .unwrap();
    assert_eq!(
        archived.reason, UNDERQUALIFIED,
        "archived with the reason named"
    );

    // Replaying the referral's event writes nothing more.
    let events = events_of(&flow, "categorize").await;
    assert_eq!(events.len(), 2, "one applicationCreated each");
    for event in &events {
        replay(&flow, event, "categorize").await;
    }
    assert_eq!(writes(&flow.lever, &referral, "/addTags"), 1);
    assert_eq!(writes(&flow.lever, &referral, "/stage"), 1);
    assert_eq!(writes(&flow.lever, &referral, "/notes"), 1);
    assert_eq!(writes(&flow.lever, &agency, "/archived"), 1);

    // Dana's backend application already left its first stage: left alone.
    let stale = flow
        .deliver(
            "applicationCreated",
            json!({"opportunityId": DANA_BACKEND, "contactId": DANA, "applicationId": "a-1"}),
        )
        .await;
    assert_eq!(
        flow.finished(&stale).await,
        [("categorize".to_owned(), JobState::Done)]
    );
    assert!(!flow
        .tags(DANA_BACKEND)
        .contains(&"Dept: Engineering".to_owned()));
    assert_eq!(writes(&flow.lever, DANA_BACKEND, "/addTags"), 0);
    flow.stop().await;
}
