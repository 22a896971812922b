//! Ingest: durable acceptance, dedupe, token reuse, accounts, group commit under load.

use super::fixtures::{accept, delivery, unrouted_count, ALL, T0};
use lever_hooks::event::{ContactId, EventId, OpportunityId};
use lever_hooks::store::IngestOutcome;
use lever_hooks::Store;
use std::collections::HashMap;
use std::sync::Arc;

/// Spacing, key order, escapes and number forms a re-serialisation would change.
const ODD_DATA: &str = r#"{ "toStageId" :"bgc",  "fromStageId":"screen","note":"caf\u00e9 \"quoted\"","score":1.50,"list":[ ] }"#;

pub async fn an_accepted_event_reads_back_exactly_as_given(store: Arc<dyn Store>) {
    let mut new = delivery("acme", "id:lever-envelope-1", "tok-1", ODD_DATA);
    new.envelope_id = Some("lever-envelope-1".to_owned());
    new.opportunity_id = Some(OpportunityId::new("opp-1"));
    new.contact_id = Some(ContactId::new("contact-1"));

    let outcome = store.ingest(new.clone()).await.unwrap();

    assert_eq!(outcome, IngestOutcome::Accepted(new.id.clone()));
    let stored = store.event(&new.id).await.unwrap().expect("stored");
    assert_eq!(stored.id, new.id);
    assert_eq!(stored.account, "acme");
    assert_eq!(stored.event, new.event);
    assert_eq!(stored.triggered_at, new.triggered_at);
    assert_eq!(stored.received_at, new.received_at);
    assert_eq!(stored.envelope_id.as_deref(), Some("lever-envelope-1"));
    assert_eq!(stored.dedupe_key, "id:lever-envelope-1");
    assert_eq!(stored.opportunity_id, new.opportunity_id);
    assert_eq!(stored.contact_id, new.contact_id);
    assert_eq!(
        stored.data.get(),
        ODD_DATA,
        "data must come back byte for byte"
    );
    let unrouted = store.unrouted(ALL).await.unwrap();
    assert_eq!(unrouted.len(), 1);
    assert_eq!(unrouted[0].id, new.id);
    assert_eq!(
        store
            .event(&EventId::generate())
            .await
            .unwrap()
            .map(|e| e.id),
        None
    );
}

pub async fn the_same_dedupe_key_with_a_new_token_is_a_duplicate_of_the_first_event(
    store: Arc<dyn Store>,
) {
    let first = accept(&*store, delivery("default", "id:e1", "tok-1", r#"{"a":1}"#)).await;
    let rerun = delivery("default", "id:e1", "tok-2", r#"{"a":1}"#);

    let outcome = store.ingest(rerun.clone()).await.unwrap();

    assert_eq!(outcome, IngestOutcome::Duplicate(first.id.clone()));
    assert_eq!(unrouted_count(&*store).await, 1);
    assert!(
        store.event(&rerun.id).await.unwrap().is_none(),
        "a duplicate stores no event"
    );
    assert_eq!(
        store.event(&first.id).await.unwrap().unwrap().seq,
        first.seq
    );
}

pub async fn the_same_token_with_the_same_content_is_a_duplicate(store: Arc<dyn Store>) {
    let first = accept(
        &*store,
        delivery("default", "sha256:k1", "tok-1", r#"{"a":1}"#),
    )
    .await;
    let again = delivery("default", "sha256:k1", "tok-1", r#"{"a":1}"#);

    let outcome = store.ingest(again.clone()).await.unwrap();

    assert_eq!(outcome, IngestOutcome::Duplicate(first.id));
    assert_eq!(unrouted_count(&*store).await, 1);
    assert!(store.event(&again.id).await.unwrap().is_none());
}

pub async fn the_same_token_with_other_content_is_token_reuse_and_writes_nothing(
    store: Arc<dyn Store>,
) {
    accept(
        &*store,
        delivery("default", "sha256:original", "tok-1", r#"{"a":1}"#),
    )
    .await;
    let altered = delivery("default", "sha256:altered", "tok-1", r#"{"a":2}"#);

    let outcome = store.ingest(altered.clone()).await.unwrap();

    assert_eq!(outcome, IngestOutcome::TokenReused);
    assert_eq!(unrouted_count(&*store).await, 1);
    assert!(store.event(&altered.id).await.unwrap().is_none());
    // Not even its dedupe key was kept: a genuine delivery with that key is new.
    let genuine = delivery("default", "sha256:altered", "tok-2", r#"{"a":2}"#);
    accept(&*store, genuine).await;
}

pub async fn a_token_first_seen_on_a_duplicate_is_remembered_too(store: Arc<dyn Store>) {
    let first = accept(&*store, delivery("default", "id:e1", "tok-1", r#"{"a":1}"#)).await;
    let rerun = delivery("default", "id:e1", "tok-2", r#"{"a":1}"#);
    assert_eq!(
        store.ingest(rerun).await.unwrap(),
        IngestOutcome::Duplicate(first.id.clone())
    );

    let replayed_rerun = delivery("default", "id:e1", "tok-2", r#"{"a":1}"#);
    let altered_rerun = delivery("default", "sha256:x", "tok-2", r#"{"a":666}"#);

    assert_eq!(
        store.ingest(replayed_rerun).await.unwrap(),
        IngestOutcome::Duplicate(first.id)
    );
    assert_eq!(
        store.ingest(altered_rerun).await.unwrap(),
        IngestOutcome::TokenReused
    );
    assert_eq!(unrouted_count(&*store).await, 1);
}

pub async fn dedupe_keys_and_tokens_are_per_account(store: Arc<dyn Store>) {
    let acme = accept(&*store, delivery("acme", "id:e1", "tok-1", r#"{"a":1}"#)).await;

    let globex = accept(&*store, delivery("globex", "id:e1", "tok-1", r#"{"a":2}"#)).await;

    assert_ne!(acme.id, globex.id);
    assert_eq!(unrouted_count(&*store).await, 2);
    let acme_again = delivery("acme", "id:e1", "tok-9", r#"{"a":1}"#);
    assert_eq!(
        store.ingest(acme_again).await.unwrap(),
        IngestOutcome::Duplicate(acme.id)
    );
}

/// 500 deliveries at once: 100 events, each delivered 5 times (3 distinct tokens, so
/// some copies share a token and content). Exercises batching in the writer.
pub async fn concurrent_ingests_accept_each_distinct_key_exactly_once(store: Arc<dyn Store>) {
    const EVENTS: usize = 100;
    const COPIES: usize = 5;
    let start = Arc::new(tokio::sync::Barrier::new(EVENTS * COPIES));
    let mut tasks = Vec::new();
    for event in 0..EVENTS {
        for copy in 0..COPIES {
            let (store, start) = (store.clone(), start.clone());
            let data = format!(r#"{{"event":{event}}}"#);
            let new = delivery(
                "default",
                &format!("id:e{event}"),
                &format!("tok-{event}-{}", copy % 3),
                &data,
            );
            tasks.push(tokio::spawn(async move {
                let id = new.id.clone();
                start.wait().await;
                (event, id, store.ingest(new).await.unwrap())
            }));
        }
    }

    let mut outcomes: HashMap<usize, Vec<(EventId, IngestOutcome)>> = HashMap::new();
    for task in tasks {
        let (event, id, outcome) = task.await.unwrap();
        outcomes.entry(event).or_default().push((id, outcome));
    }

    assert_eq!(outcomes.len(), EVENTS);
    for (event, copies) in &outcomes {
        let accepted: Vec<&EventId> = copies
            .iter()
            .filter_map(|(own, outcome)| match outcome {
                IngestOutcome::Accepted(id) => {
                    assert_eq!(id, own, "accepted under its own id");
                    Some(id)
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            accepted.len(),
            1,
            "event {event}: exactly one copy accepted, got {copies:?}"
        );
        for (_, outcome) in copies {
            if !matches!(outcome, IngestOutcome::Accepted(_)) {
                assert_eq!(
                    outcome,
                    &IngestOutcome::Duplicate(accepted[0].clone()),
                    "event {event}"
                );
            }
        }
        assert!(store.event(accepted[0]).await.unwrap().is_some());
    }
    assert_eq!(unrouted_count(&*store).await, EVENTS);
}

pub async fn a_token_remembered_without_an_event_makes_any_event_with_it_token_reuse(
    store: Arc<dyn Store>,
) {
    store
        .remember_token("default", "test-tok", T0)
        .await
        .unwrap();
    store
        .remember_token("default", "test-tok", T0 + 1)
        .await
        .unwrap();
    assert_eq!(
        store
            .ingest(delivery(
                "default",
                "id:forged",
                "test-tok",
                r#"{"opportunityId":"o1"}"#
            ))
            .await
            .unwrap(),
        IngestOutcome::TokenReused
    );
    assert_eq!(unrouted_count(&*store).await, 0, "nothing stored");
    accept(
        &*store,
        delivery("acme", "id:other", "test-tok", r#"{"n":1}"#),
    )
    .await;
}
