//! The poll and the webhooks together, in the running app: a webhook that arrives after a
//! pass ran its change runs nothing (and says which event covered it), and a webhook that
//! arrives first leaves the next pass nothing to find.

use super::*;
use crate::lever_flows::{eventually, Flow, DANA, DANA_SALES, PHONE_SCREEN};
use lever_hooks::opportunity_state::late;
use lever_hooks::store::JobState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_webhooks_run_nothing_and_early_ones_leave_nothing_to_find() {
    let flow = Flow::start().await;
    let poller = poller(&flow.lever, &flow.store);
    assert!(pass(&poller).await.first, "the first pass only records");

    // A move made while Lever's webhooks are not getting through: the pass finds it and
    // the background check runs once.
    flow.lever.stop_webhooks();
    flow.move_to(DANA_BACKEND, BACKGROUND_CHECK).await;
    let found = pass(&poller).await;
    assert_eq!(found.found.len(), 1, "{:?}", found.found);
    eventually("the check requested once", || {
        flow.provider.actions("create").len() == 1
    })
    .await;

    // Lever's late delivery of the same move: stored and answered 200, but it runs nothing.
    let late_event = flow
        .deliver(
            "candidateStageChange",
            json!({"opportunityId": DANA_BACKEND, "contactId": DANA, "fromStageId": PHONE_SCREEN, "toStageId": BACKGROUND_CHECK}),
        )
        .await;
    let mut covered = None;
    for _ in 0..500 {
        covered = late::covered_by(&*flow.store, "default", &late_event)
            .await
            .unwrap();
        if covered.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let reconciled = events(&*flow.store)
        .await
        .into_iter()
        .find(|e| e.dedupe_key.starts_with("reconcile:"))
        .expect("the pass stored its event");
    assert_eq!(
        covered,
        Some(reconciled.id.clone()),
        "the late webhook names what covered it"
    );
    assert!(flow.store.jobs_of(&late_event).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(flow.provider.actions("create").len(), 1, "no second check");

    // A move whose webhook gets through first: the assessment runs from the webhook, and
    // the next pass finds nothing to add.
    flow.lever.resume_webhooks();
    flow.move_to(DANA_SALES, ASSESSMENT).await;
    eventually("the invite from the webhook", || {
        flow.provider.actions("invite").len() == 1
    })
    .await;
    let mut webhook_routed = false;
    for _ in 0..500 {
        let mut states = Vec::new();
        for event in events(&*flow.store).await {
            if event.opportunity_id.as_ref().map(|o| o.as_str()) == Some(DANA_SALES) {
                for job in flow.store.jobs_of(&event.id).await.unwrap() {
                    states.push(job.state);
                }
            }
        }
        if !states.is_empty() && states.iter().all(|s| *s != JobState::Pending) {
            webhook_routed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(webhook_routed, "the webhook's job finished");
    let next = pass(&poller).await;
    assert!(
        next.found.is_empty(),
        "nothing left to find: {:?}",
        next.found
    );
    assert_eq!(flow.provider.actions("invite").len(), 1);
    flow.stop().await;
}
