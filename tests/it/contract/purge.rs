//! Contract: purging a deleted opportunity leaves tombstones with ids and times only.

use super::fixtures::{accept, delivery, T0};
use lever_hooks::event::OpportunityId;
use lever_hooks::store::{EventFilter, IngestOutcome};
use lever_hooks::Store;
use serde_json::{json, Value};
use std::sync::Arc;

fn about(account: &str, opportunity: &str, n: u32) -> lever_hooks::store::NewEvent {
    let data = json!({
        "opportunityId": opportunity, "contactId": "p1", "toStageId": "s2",
        "name": "Dana Whitfield", "emails": ["dana@example.com"], "n": n
    })
    .to_string();
    let mut new = delivery(
        account,
        &format!("id:{account}:{opportunity}:{n}"),
        &format!("tok-{account}-{opportunity}-{n}"),
        &data,
    );
    new.opportunity_id = Some(OpportunityId::new(opportunity));
    new
}

/// What a `candidateDeleted` of opp-1 in the default account purges.
fn opp_1() -> EventFilter {
    EventFilter {
        account: Some("default".into()),
        opportunity: Some("opp-1".into()),
        ..EventFilter::default()
    }
}

pub async fn purging_an_opportunity_keeps_only_ids_and_times_of_its_events(store: Arc<dyn Store>) {
    let first = accept(&*store, about("default", "opp-1", 1)).await;
    let second = accept(&*store, about("default", "opp-1", 2)).await;
    let other = accept(&*store, about("default", "opp-2", 1)).await;
    let other_account = accept(&*store, about("acme", "opp-1", 1)).await;

    let purged = store.purge_events(&opp_1(), T0 + 1000).await.unwrap();

    assert_eq!(purged, 2);
    for event in [&first, &second] {
        let tombstone = store.event(&event.id).await.unwrap().unwrap();
        let data: Value = serde_json::from_str(tombstone.data.get()).unwrap();
        assert_eq!(
            data,
            json!({"opportunityId": "opp-1", "contactId": "p1", "toStageId": "s2"})
        );
        assert_eq!(tombstone.purged_at, Some(T0 + 1000));
        assert_eq!(
            tombstone.dedupe_key, event.dedupe_key,
            "kept: a redelivery is still a duplicate"
        );
        assert_eq!(
            (tombstone.triggered_at, tombstone.received_at),
            (event.triggered_at, event.received_at)
        );
    }
    for untouched in [&other, &other_account] {
        let event = store.event(&untouched.id).await.unwrap().unwrap();
        assert_eq!(event.data.get(), untouched.data.get());
        assert_eq!(event.purged_at, None);
    }
    assert_eq!(
        store.ingest(about("default", "opp-1", 1)).await.unwrap(),
        IngestOutcome::Duplicate(first.id.clone()),
        "the purged event's redelivery stores nothing again"
    );
    assert_eq!(
        store.purge_events(&opp_1(), T0 + 2000).await.unwrap(),
        0,
        "purging again changes nothing"
    );
}
