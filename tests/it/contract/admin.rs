//! Contract: what operators do through the admin API: list events by filter, newest
//! first in pages; replay; retry dead letters with a fresh budget; purge; prune.

use super::fixtures::{accept, attempt, fresh_delivery, routing, ALL, LEASE, T0};
use lever_hooks::route::order_key;
use lever_hooks::store::{
    AttemptOutcome, EventFilter, EventStatus, JobState, NewJob, NextStep, StoreError, StoredEvent,
};
use lever_hooks::Store;
use std::sync::Arc;

/// Stores an event about `opportunity` routed to `handlers`.
async fn routed(store: &dyn Store, opportunity: &str, handlers: &[&str]) -> StoredEvent {
    let event = accept(store, fresh_delivery(Some(opportunity))).await;
    let jobs = handlers
        .iter()
        .map(|h| NewJob {
            handler: h.to_string(),
            order_key: order_key(&event, h),
            run_at: T0,
        })
        .collect();
    store.route(routing(&event, jobs)).await.unwrap();
    event
}

/// Runs every claimable job once with `outcome` (dead: a dead letter).
async fn run_all(store: &dyn Store, now: u64, outcome: AttemptOutcome) {
    let next = match outcome {
        AttemptOutcome::Done => NextStep::Done,
        _ => NextStep::Dead,
    };
    for claimed in store.claim(now, ALL, LEASE).await.unwrap() {
        let number = claimed.job.next_attempt_number();
        store
            .finish_attempt(&claimed.job.id, attempt(number, now, outcome), next)
            .await
            .unwrap();
    }
}

fn filter() -> EventFilter {
    EventFilter::default()
}

pub async fn events_list_newest_first_in_pages_with_status_and_filters(store: Arc<dyn Store>) {
    let a = routed(&*store, "opp-a", &["h1", "h2"]).await;
    let b = routed(&*store, "opp-b", &["h1"]).await;
    let c = accept(&*store, fresh_delivery(Some("opp-a"))).await; // not routed
    run_all(&*store, T0, AttemptOutcome::GiveUp).await; // a:h1 a:h2 b:h1 all dead

    let first = store.list_events(&filter(), None, 2).await.unwrap();
    let ids: Vec<_> = first.events.iter().map(|v| v.event.id.clone()).collect();
    assert_eq!(ids, [c.id.clone(), b.id.clone()], "newest first");
    let next = first.next.expect("a second page");
    let second = store.list_events(&filter(), Some(&next), 2).await.unwrap();
    assert_eq!(second.events.len(), 1);
    assert_eq!(second.events[0].event.id, a.id);
    assert_eq!(second.next, None);
    assert_eq!(first.events[0].status, EventStatus::Unrouted);
    assert_eq!(first.events[1].status, EventStatus::Dead);
    assert_eq!(second.events[0].jobs.len(), 2, "with its jobs");

    let about_a = EventFilter {
        opportunity: Some("opp-a".into()),
        ..filter()
    };
    assert_eq!(
        store
            .list_events(&about_a, None, 10)
            .await
            .unwrap()
            .events
            .len(),
        2
    );
    let dead_h2 = EventFilter {
        handler: Some("h2".into()),
        status: Some(EventStatus::Dead),
        ..filter()
    };
    let page = store.list_events(&dead_h2, None, 10).await.unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].event.id, a.id);
    let later = EventFilter {
        since: Some(a.received_at + 1),
        ..filter()
    };
    assert!(
        store
            .list_events(&later, None, 10)
            .await
            .unwrap()
            .events
            .is_empty(),
        "all received at the same time"
    );
}

/// A `before` that is not an event id is refused, never read as a place in the order
/// (which would silently give a page from somewhere, or nothing); a well-formed id that
/// names no event is a fine cursor.
pub async fn a_malformed_cursor_is_refused(store: Arc<dyn Store>) {
    let event = routed(&*store, "opp-a", &["h1"]).await;
    for garbage in [
        "garbage",
        "",
        "evt_",
        "evt_XYZ",
        "evt_0123456789abcdef0123456789abcdef0",
        "evt_1' OR '1'='1",
        "zzz",
    ] {
        match store.list_events(&filter(), Some(garbage), 10).await {
            Err(StoreError::InvalidCursor(text)) => assert_eq!(text, garbage),
            other => panic!("before={garbage:?}: {other:?}"),
        }
    }
    let after_everything = "evt_ffffffffffffffffffffffffffffffff";
    let page = store
        .list_events(&filter(), Some(after_everything), 10)
        .await
        .unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].event.id, event.id);
}

pub async fn retrying_dead_letters_gives_a_fresh_budget_and_keeps_attempts(store: Arc<dyn Store>) {
    let a = routed(&*store, "opp-a", &["h1", "h2"]).await;
    let b = routed(&*store, "opp-b", &["h1"]).await;
    run_all(&*store, T0, AttemptOutcome::GiveUp).await;

    let only_h1 = EventFilter {
        handler: Some("h1".into()),
        ..filter()
    };
    let mut retried = store.retry_dead(&only_h1, T0 + 10).await.unwrap();
    retried.sort();
    let mut expected = vec![format!("{}:h1", a.id), format!("{}:h1", b.id)];
    expected.sort();
    assert_eq!(retried, expected);

    let jobs = store.jobs_of(&a.id).await.unwrap();
    let h1 = jobs.iter().find(|j| j.handler == "h1").unwrap();
    let h2 = jobs.iter().find(|j| j.handler == "h2").unwrap();
    assert_eq!(
        (
            h1.state,
            h1.next_at,
            h1.attempts.len(),
            h1.attempts_in_budget()
        ),
        (JobState::Pending, T0 + 10, 1, 0)
    );
    assert_eq!(
        h2.state,
        JobState::Dead,
        "another handler's dead letter stays"
    );
    run_all(&*store, T0 + 10, AttemptOutcome::Done).await;
    let h1 = store
        .jobs_of(&a.id)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.handler == "h1")
        .unwrap();
    assert_eq!(h1.state, JobState::Done);
    assert_eq!(
        h1.attempts.iter().map(|a| a.number).collect::<Vec<_>>(),
        [1, 2],
        "numbering goes on"
    );
}

pub async fn replaying_runs_finished_jobs_again(store: Arc<dyn Store>) {
    let a = routed(&*store, "opp-a", &["h1", "h2"]).await;
    run_all(&*store, T0, AttemptOutcome::Done).await;

    let replayed = store.replay(&a.id, Some("h2"), T0 + 5).await.unwrap();
    assert_eq!(replayed, [format!("{}:h2", a.id)]);
    assert_eq!(store.claim(T0 + 5, ALL, LEASE).await.unwrap().len(), 1);
    let all = store.replay(&a.id, None, T0 + 6).await.unwrap();
    assert_eq!(
        all.len(),
        2,
        "both jobs will run (h2 is already pending, leased)"
    );
    assert!(store
        .replay(&a.id, Some("nobody"), T0)
        .await
        .unwrap()
        .is_empty());
}

pub async fn purging_by_filter_and_pruning_old_finished_events(store: Arc<dyn Store>) {
    let a = routed(&*store, "opp-a", &["h1"]).await;
    let b = routed(&*store, "opp-b", &["h1"]).await;
    let waiting = accept(&*store, fresh_delivery(Some("opp-c"))).await;
    run_all(&*store, T0, AttemptOutcome::Done).await;

    let about_b = EventFilter {
        opportunity: Some("opp-b".into()),
        ..filter()
    };
    assert_eq!(store.purge_events(&about_b, T0 + 1).await.unwrap(), 1);
    assert_eq!(
        store.event(&b.id).await.unwrap().unwrap().purged_at,
        Some(T0 + 1)
    );
    assert_eq!(store.event(&a.id).await.unwrap().unwrap().purged_at, None);

    let cutoff = a.received_at + 1;
    assert_eq!(
        store.prune(cutoff).await.unwrap(),
        2,
        "a and b are finished; the unrouted one stays"
    );
    assert!(store.event(&a.id).await.unwrap().is_none());
    assert!(
        store.jobs_of(&a.id).await.unwrap().is_empty(),
        "with its jobs"
    );
    assert!(store.event(&waiting.id).await.unwrap().is_some());
    assert_eq!(
        store.prune(a.received_at).await.unwrap(),
        0,
        "nothing older than the cutoff"
    );
}
