//! The router task against a real store: routing the same event again (as after a crash
//! between deciding and writing its jobs) gives the same jobs and the same state.

use super::*;
use crate::event::{EventId, RECONCILE_KEY_PREFIX};
use crate::opportunity_state::OpportunityState;
use crate::route::RouteConfig;
use crate::store::{NewEvent, SledStore};
use serde_json::value::RawValue;

fn task(store: Arc<dyn Store>) -> RouterTask {
    let routes = [RouteConfig {
        events: vec!["*".into()],
        to_stage: None,
        from_stage: None,
        reason_type: None,
        conditions: Default::default(),
        handler: "h".into(),
    }];
    RouterTask::new(store, Router::new(&routes), Arc::new(Notify::new()))
}

/// Stores a stage change of `o1` to `to` with `dedupe_key`, triggered at `at`.
async fn stored(store: &dyn Store, dedupe_key: &str, to: &str, at: u64) -> StoredEvent {
    let id = EventId::generate();
    let data = format!(r#"{{"opportunityId":"o1","fromStageId":"a","toStageId":"{to}"}}"#);
    let new = NewEvent {
        id: id.clone(),
        account: "default".into(),
        event: "candidateStageChange".into(),
        triggered_at: at,
        received_at: at,
        token: format!("t-{id}"),
        envelope_id: None,
        dedupe_key: dedupe_key.into(),
        content_hash: [0; 32],
        opportunity_id: Some(OpportunityId::new("o1")),
        contact_id: None,
        data: RawValue::from_string(data).unwrap(),
    };
    store.ingest(new).await.unwrap();
    let taken = store
        .take_unrouted(10, now_millis(), ROUTE_LEASE)
        .await
        .unwrap();
    taken.into_iter().find(|e| e.id == id).unwrap()
}

async fn state_of(store: &dyn Store) -> Option<OpportunityState> {
    state::load(store, "default", "o1").await.unwrap()
}

#[tokio::test]
async fn routing_an_event_again_gives_the_same_jobs_and_state() {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
    let task = task(store.clone());
    let moved = stored(&*store, "id:1", "b", 100).await;

    let first = task.route_one(&moved, 1).await.unwrap().unwrap();
    let state = state_of(&*store).await;
    let again = task.route_one(&moved, 1).await.unwrap().unwrap();

    assert_eq!(first.jobs.len(), 1);
    assert_eq!(again, first);
    assert_eq!(state_of(&*store).await, state);
    assert_eq!(state.unwrap().set_by, Some(moved.id.clone()));
}

#[tokio::test]
async fn a_late_webhook_stays_covered_when_routed_again() {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
    let task = task(store.clone());
    let key = format!("{RECONCILE_KEY_PREFIX}default:o1:b");
    let reconciled = stored(&*store, &key, "b", 100).await;
    let routed = task.route_one(&reconciled, 1).await.unwrap().unwrap();
    assert_eq!(routed.jobs.len(), 1, "a reconciled change runs");
    store.route(vec![routed]).await.unwrap();

    let late = stored(&*store, "id:late", "b", 90).await;
    let first = task.route_one(&late, 1).await.unwrap().unwrap();
    let state = state_of(&*store).await;
    // Another event moves the state on before the late webhook is routed again.
    let next = stored(&*store, "id:next", "c", 200).await;
    task.route_one(&next, 1).await.unwrap().unwrap();
    let again = task.route_one(&late, 1).await.unwrap().unwrap();

    assert!(first.jobs.is_empty(), "{first:?}");
    assert_eq!(again, first);
    assert_eq!(state.unwrap().set_by, Some(reconciled.id.clone()));
    assert_eq!(
        late::covered_by(&*store, "default", &late.id)
            .await
            .unwrap(),
        Some(reconciled.id)
    );
}
