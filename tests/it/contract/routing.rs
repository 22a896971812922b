//! Routing: the unrouted list, and turning a stored event into jobs exactly once.

use super::fixtures::{accept, fresh_delivery, routing, unrouted_count, T0};
use lever_hooks::store::{JobState, NewJob};
use lever_hooks::Store;
use std::sync::Arc;

fn new_job(handler: &str, order_key: Option<&str>) -> NewJob {
    NewJob {
        handler: handler.to_owned(),
        order_key: order_key.map(str::to_owned),
        run_at: T0,
    }
}

pub async fn unrouted_lists_events_oldest_first_up_to_the_limit(store: Arc<dyn Store>) {
    let mut stored = Vec::new();
    for _ in 0..5 {
        stored.push(accept(&*store, fresh_delivery(None)).await.id);
    }

    let first_three: Vec<_> = store
        .unrouted(3)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    let all = store.unrouted(100).await.unwrap();

    assert_eq!(first_three, stored[..3]);
    assert_eq!(all.iter().map(|e| e.id.clone()).collect::<Vec<_>>(), stored);
    assert!(
        all.windows(2).all(|w| w[0].seq < w[1].seq),
        "seq grows in store order"
    );
}

pub async fn routing_creates_one_pending_job_per_handler_and_clears_unrouted(
    store: Arc<dyn Store>,
) {
    let first = accept(&*store, fresh_delivery(None)).await;
    let second = accept(&*store, fresh_delivery(None)).await;

    store
        .route(routing(
            &first,
            vec![
                new_job("notify", None),
                new_job("bgcheck", Some("default/opportunity/o1/bgcheck")),
            ],
        ))
        .await
        .unwrap();

    let unrouted: Vec<_> = store
        .unrouted(100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(unrouted, std::slice::from_ref(&second.id));
    let mut jobs = store.jobs_of(&first.id).await.unwrap();
    jobs.sort_by(|a, b| a.handler.cmp(&b.handler));
    assert_eq!(jobs.len(), 2);
    let (bgcheck, notify) = (&jobs[0], &jobs[1]);
    assert_eq!(notify.id, format!("{}:notify", first.id));
    assert_eq!(bgcheck.id, format!("{}:bgcheck", first.id));
    assert_eq!(
        bgcheck.order_key.as_deref(),
        Some("default/opportunity/o1/bgcheck")
    );
    assert_eq!(notify.order_key, None);
    for job in &jobs {
        assert_eq!(job.event_id, first.id);
        assert_eq!(job.event_seq, first.seq);
        assert_eq!(job.state, JobState::Pending);
        assert_eq!(job.next_at, T0);
        assert_eq!(job.lease_until, None);
        assert!(job.attempts.is_empty());
    }
    assert!(store.jobs_of(&second.id).await.unwrap().is_empty());
}

pub async fn routing_an_event_twice_creates_no_new_jobs(store: Arc<dyn Store>) {
    let event = accept(&*store, fresh_delivery(None)).await;
    store
        .route(routing(&event, vec![new_job("notify", None)]))
        .await
        .unwrap();
    let claimed = store.claim(T0, 10, super::fixtures::LEASE).await.unwrap();
    assert_eq!(claimed.len(), 1);

    store
        .route(routing(&event, vec![new_job("notify", None)]))
        .await
        .unwrap();

    let jobs = store.jobs_of(&event.id).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        jobs[0].lease_until, claimed[0].job.lease_until,
        "the existing job is untouched"
    );
    assert_eq!(unrouted_count(&*store).await, 0);
    assert!(store
        .claim(T0, 10, super::fixtures::LEASE)
        .await
        .unwrap()
        .is_empty());
}

pub async fn an_event_routed_to_no_handler_is_no_longer_unrouted(store: Arc<dyn Store>) {
    let event = accept(&*store, fresh_delivery(None)).await;

    store.route(routing(&event, Vec::new())).await.unwrap();

    assert_eq!(unrouted_count(&*store).await, 0);
    assert!(store.jobs_of(&event.id).await.unwrap().is_empty());
    assert!(
        store.event(&event.id).await.unwrap().is_some(),
        "the event itself stays"
    );
}
