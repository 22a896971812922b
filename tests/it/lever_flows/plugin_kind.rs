//! A plugin kind configured in TOML, end to end: `examples/hire_announcement`'s
//! `hire-announcement` reads the Data API through the account's shared client, announces
//! each hire once although Lever sends two events for it, and stays inside the rate limit
//! it shares with the built-in handlers.

#[path = "../../../examples/hire_announcement/announce.rs"]
mod announce;

use super::*;
use announce::HireAnnouncement;
use lever_hooks::fake_lever::AuthKind;

/// The plugin's section and a route sending it both hire events, posting to `url`.
fn announce_section(url: &str) -> String {
    format!(
        r#"
[handlers.announce]
kind = "hire-announcement"
url = "{url}"

[[routes]]
events = ["candidateHired", "candidateArchiveChange"]
handler = "announce"
"#
    )
}

fn announcements(flow: &Flow) -> Vec<String> {
    flow.provider
        .bodies()
        .iter()
        .filter_map(|b| b["text"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hire_is_announced_once_with_names_read_through_the_shared_client() {
    let plugins = HandlerRegistry::new().register_kind::<HireAnnouncement>();
    let flow = Flow::start_with_plugins(|_| {}, (8, 15), plugins, announce_section).await;

    // Archiving with a hired reason makes the fake send candidateArchiveChange and
    // candidateHired, as Lever does.
    flow.archive(ELENA_OFFER, HIRED).await;
    // Both events' jobs finish; the second finds the recorded announcement.
    for _ in 0..1000 {
        if announce_jobs_done(&flow).await >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        announce_jobs_done(&flow).await,
        2,
        "both hire events were handled"
    );

    // The names come from three Data API reads (opportunity, posting, user): the
    // webhook carries ids only.
    assert_eq!(
        announcements(&flow),
        ["Elena Marquez was hired as Backend Engineer! Hiring manager: Priya Raman."]
    );
    flow.stop().await;
}

/// How many of the `announce` jobs are done.
async fn announce_jobs_done(flow: &Flow) -> usize {
    let filter = lever_hooks::store::EventFilter {
        handler: Some("announce".to_owned()),
        ..Default::default()
    };
    let page = flow.store.list_events(&filter, None, 100).await.unwrap();
    page.events
        .iter()
        .flat_map(|view| &view.jobs)
        .filter(|job| job.handler == "announce" && job.state == JobState::Done)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_and_the_built_ins_share_the_accounts_rate_limit() {
    // The fake allows 4 requests/s (bursts of 8) per key; the client keeps to 3 (6).
    let plugins = HandlerRegistry::new().register_kind::<HireAnnouncement>();
    let flow = Flow::start_with_plugins(
        |options| options.rate_limit = Some((4, 8)),
        (3, 6),
        plugins,
        announce_section,
    )
    .await;

    tokio::join!(
        flow.move_to(DANA_BACKEND, BACKGROUND_CHECK),
        flow.move_to(DANA_SALES, ASSESSMENT),
        flow.archive(ELENA_OFFER, HIRED),
    );
    eventually("the built-ins' notes and the plugin's announcement", || {
        let noted = [DANA_BACKEND, DANA_SALES, ELENA_OFFER]
            .iter()
            .all(|o| flow.notes(o).iter().any(|n| n.contains("lever-hooks ref")));
        noted && !announcements(&flow).is_empty()
    })
    .await;

    let requests = flow.lever.requests();
    let by_handlers: Vec<_> = requests
        .iter()
        .filter(|r| {
            r.auth == AuthKind::ApiKey
                && r.path.starts_with("/v1/")
                && !r.path.ends_with("/stage")
                && !r.path.ends_with("/archived")
        })
        .collect();
    assert!(
        by_handlers.iter().any(|r| r.path.starts_with("/v1/users/")),
        "the plugin read through the client"
    );
    assert!(
        by_handlers.len() > 8,
        "more requests ({}) than the fake's burst",
        by_handlers.len()
    );
    assert_eq!(
        flow.lever.rate_limited(),
        0,
        "together they never ran into Lever's limit"
    );
    flow.stop().await;
}
