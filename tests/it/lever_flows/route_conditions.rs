//! Routes with conditions against the fake Lever: each condition family picks one
//! opportunity and passes over another, read through the account's Data API; events
//! whose routes have no conditions read nothing, and it all stays in the rate limit.

use super::*;
use lever_hooks::document::EventDocument;
use lever_hooks::event::EventId;
use lever_hooks::handler::{async_trait, BoxError, Handler, HandlerContext, Outcome};
use lever_hooks::store::EventFilter;

/// Posting "Backend Engineer" (Dana's and Sam's).
const BACKEND_POSTING: &str = "d1784030-35c9-48c4-a68d-c8f46a423cf9";
/// Archive reason "Underqualified" (non-hired).
const UNDERQUALIFIED: &str = "683447c1-0cc8-4f11-9d4e-abbd1fcfb980";

/// Does nothing: routing is what is under test.
struct Noop;

#[async_trait]
impl Handler for Noop {
    async fn handle(&self, _: &EventDocument, _: &HandlerContext) -> Result<Outcome, BoxError> {
        Ok(Outcome::Done)
    }
}

/// One route per condition family: (handler, events, conditions).
const ROUTES: [(&str, &str, &str); 11] = [
    (
        "by-posting",
        "applicationCreated",
        r#"posting = "Backend Engineer""#,
    ),
    (
        "by-team",
        "applicationCreated",
        r#"posting_team = "Mid-Market""#,
    ),
    (
        "by-department",
        "applicationCreated",
        r#"posting_department = "engineering""#,
    ),
    (
        "by-location",
        "applicationCreated",
        r#"posting_location = "Chicago""#,
    ),
    ("by-origin", "applicationCreated", r#"origin = "sourced""#),
    (
        "by-source",
        "applicationCreated",
        r#"sources_any = ["Indeed", "LinkedIn"]"#,
    ),
    (
        "tags-any",
        "applicationCreated",
        r#"tags_any = ["Sales", "Alumni"]"#,
    ),
    (
        "tags-all",
        "applicationCreated",
        r#"tags_all = ["Engineering", "Referral bonus eligible"]"#,
    ),
    (
        "tags-none",
        "applicationCreated",
        r#"tags_none = ["Engineering"]"#,
    ),
    (
        "authorized",
        "applicationCreated",
        r#"answers = { "Are you authorized to work in the US?" = "Yes" }"#,
    ),
    (
        "withdrew",
        "candidateArchiveChange",
        r#"archive_reason = "Withdrew""#,
    ),
];

fn sections(_: &str) -> String {
    let mut text = String::from(
        "[[routes]]\nevents = [\"applicationCreated\", \"candidateStageChange\", \"candidateArchiveChange\"]\nhandler = \"always\"\n",
    );
    for (handler, event, conditions) in ROUTES {
        text +=
            &format!("[[routes]]\nevents = [\"{event}\"]\n{conditions}\nhandler = \"{handler}\"\n");
    }
    text
}

async fn start() -> Flow {
    let mut plugins = HandlerRegistry::new().register("always", Noop);
    for (handler, _, _) in ROUTES {
        plugins = plugins.register(handler, Noop);
    }
    Flow::start_with_plugins(|_| {}, (8, 15), plugins, sections).await
}

/// The handlers of [`ROUTES`] `event` went to, once its jobs are done (not `always` nor
/// the built-ins the flow also configures).
async fn routed(flow: &Flow, event: &EventId) -> Vec<String> {
    let mut handlers: Vec<String> = flow
        .finished(event)
        .await
        .into_iter()
        .map(|(handler, _)| handler)
        .filter(|h| ROUTES.iter().any(|(name, _, _)| name == h))
        .collect();
    handlers.sort();
    handlers
}

async fn application_created(flow: &Flow, opportunity: &str) -> Vec<String> {
    let data = json!({ "opportunityId": opportunity, "candidateId": opportunity });
    let event = flow.deliver("applicationCreated", data).await;
    routed(flow, &event).await
}

/// Archives `opportunity` in the fake (which sends the webhook); where its event went.
async fn archived_with(flow: &Flow, opportunity: &str, reason: &str) -> Vec<String> {
    flow.archive(opportunity, reason).await;
    let filter = EventFilter {
        opportunity: Some(opportunity.to_owned()),
        event: Some("candidateArchiveChange".to_owned()),
        ..EventFilter::default()
    };
    for _ in 0..1000 {
        let page = flow.store.list_events(&filter, None, 10).await.unwrap();
        if let Some(view) = page.events.first() {
            return routed(flow, &view.event.id).await;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no candidateArchiveChange for {opportunity}");
}

/// Data API reads of opportunities and postings so far.
fn fact_reads(flow: &Flow) -> usize {
    flow.lever
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v1/opportunities/") || r.path.starts_with("/v1/postings/"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_condition_family_routes_one_opportunity_and_not_another() {
    let flow = start().await;

    // A stage change: no route with conditions names it, so nothing is read for it.
    let before = fact_reads(&flow);
    let data = json!({ "opportunityId": DANA_SALES, "fromStageId": "applicant-new", "toStageId": PHONE_SCREEN });
    let moved = flow.deliver("candidateStageChange", data).await;
    assert_eq!(routed(&flow, &moved).await, Vec::<String>::new());
    assert_eq!(
        fact_reads(&flow),
        before,
        "no Data API read for routes without conditions"
    );

    // Dana on Backend Engineer: referred, tagged Engineering + Referral bonus eligible,
    // authorized to work in the US.
    assert_eq!(
        application_created(&flow, DANA_BACKEND).await,
        ["authorized", "by-department", "by-posting", "tags-all"]
    );
    // Dana on Account Executive (Mid-Market, Sales, Chicago), applied, tagged Sales.
    assert_eq!(
        application_created(&flow, DANA_SALES).await,
        ["by-location", "by-team", "tags-any", "tags-none"]
    );
    // Sam on Backend Engineer: sourced from LinkedIn, tagged Engineering only, not
    // authorized.
    assert_eq!(
        application_created(&flow, SAM_NO_EMAIL).await,
        ["by-department", "by-origin", "by-posting", "by-source"]
    );
    assert_eq!(
        archived_with(&flow, DANA_SALES, WITHDREW).await,
        ["withdrew"]
    );
    assert_eq!(
        archived_with(&flow, SAM_NO_EMAIL, UNDERQUALIFIED).await,
        Vec::<String>::new()
    );

    let posting_reads = flow
        .lever
        .requests()
        .iter()
        .filter(|r| r.path == format!("/v1/postings/{BACKEND_POSTING}"))
        .count();
    assert_eq!(posting_reads, 1, "the posting is cached across events");
    assert_eq!(flow.lever.rate_limited(), 0, "within Lever's rate limit");
    flow.stop().await;
}
