//! What only the sled store's own layout can show: personal data really leaving the
//! journal's files, state surviving reopens and segment retirement, and stores written
//! before the journal being moved into it.

mod recovery;

use super::keys::{scoped, token_value, Prefix};
use super::SledStore;
use crate::event::EventId;
use crate::store::{EventFilter, IngestOutcome, NewEvent, Routing, Store, StoredEvent};
use std::path::Path;
use std::time::Duration;

mod damage;
mod layout;
mod repair;

/// Text only the event's data holds, to look for in the files.
const SECRET: &str = "Jane-Q-Candidate-555-0100";

fn delivery(dedupe_key: &str, token: &str, opportunity: &str) -> NewEvent {
    let data = format!(r#"{{"opportunityId":"{opportunity}","note":"{SECRET}"}}"#);
    NewEvent {
        id: EventId::generate(),
        account: "default".to_owned(),
        event: "candidateStageChange".to_owned(),
        triggered_at: 1_700_000_000_000,
        received_at: 1_700_000_000_025,
        token: token.to_owned(),
        envelope_id: None,
        dedupe_key: dedupe_key.to_owned(),
        content_hash: sha2_of(&data),
        opportunity_id: Some(crate::event::OpportunityId::new(opportunity)),
        contact_id: None,
        data: serde_json::value::RawValue::from_string(data).unwrap(),
    }
}

fn sha2_of(text: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).into()
}

async fn accept(store: &SledStore, event: NewEvent) -> EventId {
    match store.ingest(event).await.unwrap() {
        IngestOutcome::Accepted(id) => id,
        other => panic!("expected accepted, got {other:?}"),
    }
}

/// Routes every unrouted event to no handler.
async fn route_all(store: &SledStore) {
    let events = store.unrouted(usize::MAX).await.unwrap();
    let routed = events
        .iter()
        .map(|e| Routing {
            event: e.id.clone(),
            seq: e.seq,
            jobs: Vec::new(),
        })
        .collect();
    store.route(routed).await.unwrap();
}

/// Whether any file under `dir` contains `needle`.
fn files_contain(dir: &Path, needle: &str) -> bool {
    let mut stack = vec![dir.to_owned()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes
                .windows(needle.len())
                .any(|window| window == needle.as_bytes())
            {
                return true;
            }
        }
    }
    false
}

/// Opens `dir` again once the previous store let go of it.
async fn reopen(dir: &Path, segment_size: u64) -> SledStore {
    for _ in 0..300 {
        if let Ok(store) = SledStore::open_with_segments(dir, segment_size) {
            return store;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the previous store never released {}", dir.display());
}

fn opportunity(id: &str) -> EventFilter {
    EventFilter {
        opportunity: Some(id.to_owned()),
        ..EventFilter::default()
    }
}

#[tokio::test]
async fn a_purge_takes_the_data_off_the_disk_and_the_tombstone_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let id = accept(&store, delivery("id:1", "token-1", "opp-1")).await;
    route_all(&store).await;
    assert!(files_contain(dir.path(), SECRET), "the data was written");

    assert_eq!(
        store.purge_events(&opportunity("opp-1"), 42).await.unwrap(),
        1
    );

    assert!(!files_contain(dir.path(), SECRET), "no file keeps the data");
    drop(store);
    let store = reopen(dir.path(), super::event_log::SEGMENT_SIZE).await;
    let event = store.event(&id).await.unwrap().expect("the tombstone");
    assert_eq!(event.purged_at, Some(42));
    assert!(!event.data.get().contains(SECRET));
    assert!(store.unrouted(10).await.unwrap().is_empty(), "still routed");
    assert_eq!(
        store
            .ingest(delivery("id:1", "token-2", "opp-1"))
            .await
            .unwrap(),
        IngestOutcome::Duplicate(id),
        "its dedupe key still answers"
    );
}

#[tokio::test]
async fn a_tombstone_whose_blanking_a_crash_cut_off_is_blanked_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let id = accept(&store, delivery("id:1", "token-1", "opp-1")).await;
    let mut tombstone: StoredEvent = store.event(&id).await.unwrap().unwrap();
    tombstone.data = crate::purge::tombstone(&tombstone.data);
    tombstone.purged_at = Some(7);
    // What a purge writes first; the crash comes before the old record is blanked.
    let record = super::event_log::Record::Event {
        event: tombstone,
        token: None,
    };
    store
        .inner
        .log
        .append_raw(&serde_json::to_vec(&record).unwrap())
        .unwrap();
    assert!(files_contain(dir.path(), SECRET));
    drop(store);

    let store = reopen(dir.path(), super::event_log::SEGMENT_SIZE).await;

    assert!(
        !files_contain(dir.path(), SECRET),
        "open finished the blanking"
    );
    let event = store.event(&id).await.unwrap().unwrap();
    assert_eq!(event.purged_at, Some(7));
}

#[tokio::test]
async fn pruning_retires_segments_keeps_keys_and_routing_marks_across_reopens() {
    const SEGMENT: u64 = 4096;
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open_with_segments(dir.path(), SEGMENT).unwrap();
    // The first event keeps a pending job, so it (and its segment) outlive the prune.
    let kept = accept(&store, delivery("id:kept", "token-kept", "opp-kept")).await;
    let mut pruned = Vec::new();
    for n in 0..40 {
        let id = accept(
            &store,
            delivery(&format!("id:{n}"), &format!("token-{n}"), "opp-old"),
        )
        .await;
        pruned.push((n, id));
    }
    let kept_seq = store.event(&kept).await.unwrap().unwrap().seq;
    // Routed after everything else was stored, so its mark lands in a later segment.
    let others: Vec<Routing> = store
        .unrouted(usize::MAX)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.id != kept)
        .map(|e| Routing {
            event: e.id,
            seq: e.seq,
            jobs: Vec::new(),
        })
        .collect();
    store.route(others).await.unwrap();
    store
        .route(vec![Routing {
            event: kept.clone(),
            seq: kept_seq,
            jobs: vec![crate::store::NewJob {
                handler: "slow".to_owned(),
                order_key: None,
                run_at: u64::MAX,
            }],
        }])
        .await
        .unwrap();
    let segments_before = store.inner.log.segments();
    assert!(segments_before.len() > 3, "{segments_before:?}");
    let bytes_before = store.journal_bytes();

    assert_eq!(store.prune(u64::MAX).await.unwrap(), 40);

    let segments_after = store.inner.log.segments();
    assert!(
        segments_after.len() < segments_before.len(),
        "{segments_before:?} → {segments_after:?}"
    );
    assert!(
        store.journal_bytes() < bytes_before,
        "retired segments free their space"
    );
    assert!(!files_contain(&dir.path().join("journal"), "opp-old"));
    drop(store);

    let store = reopen(dir.path(), SEGMENT).await;
    assert!(
        store.event(&kept).await.unwrap().is_some(),
        "the kept event"
    );
    assert!(
        store.unrouted(10).await.unwrap().is_empty(),
        "its routing mark survived the retirement of the segment it was in"
    );
    for (n, id) in pruned {
        assert!(store.event(&id).await.unwrap().is_none(), "{id} pruned");
        let again = delivery(&format!("id:{n}"), &format!("fresh-{n}"), "opp-old");
        assert_eq!(
            store.ingest(again).await.unwrap(),
            IngestOutcome::Duplicate(id.clone()),
            "the dedupe key of pruned event {n} still answers"
        );
        let mut reused = delivery(&format!("id:other-{n}"), &format!("token-{n}"), "x");
        reused.content_hash = [9; 32];
        assert_eq!(
            store.ingest(reused).await.unwrap(),
            IngestOutcome::TokenReused,
            "the token of pruned event {n} is still remembered"
        );
    }
}

#[tokio::test]
async fn a_store_written_before_the_journal_is_moved_into_it() {
    let dir = tempfile::tempdir().unwrap();
    let routed = StoredEvent {
        id: EventId::new("evt_0190000000007000800000000000001"),
        seq: 1,
        account: "default".to_owned(),
        event: "candidateStageChange".to_owned(),
        triggered_at: 1,
        received_at: 2,
        envelope_id: None,
        dedupe_key: "id:routed".to_owned(),
        opportunity_id: None,
        contact_id: None,
        data: serde_json::value::RawValue::from_string(r#"{"a":1}"#.to_owned()).unwrap(),
        purged_at: None,
    };
    let unrouted = StoredEvent {
        id: EventId::new("evt_0190000000007000800000000000002"),
        seq: 2,
        dedupe_key: "id:unrouted".to_owned(),
        ..routed.clone()
    };
    {
        // The old layout: events, an unrouted mark, a pending index record, a dedupe key.
        let db = sled::open(dir.path()).unwrap();
        let tree = db.open_tree("lever-hooks").unwrap();
        for event in [&routed, &unrouted] {
            let mut key = vec![Prefix::EVENT];
            key.extend_from_slice(event.id.as_str().as_bytes());
            tree.insert(key, serde_json::to_vec(event).unwrap())
                .unwrap();
        }
        let mut mark = vec![Prefix::UNROUTED];
        mark.extend_from_slice(&2u64.to_be_bytes());
        tree.insert(mark, unrouted.id.as_str().as_bytes()).unwrap();
        tree.insert(
            scoped(Prefix::DEDUPE, "default", "id:routed"),
            routed.id.as_str().as_bytes(),
        )
        .unwrap();
        let token_key = scoped(Prefix::TOKEN, "default", "token-unrouted");
        let token = token_value(2, &[1; 32], &unrouted.id);
        let mut pending = Vec::new();
        for part in [&token_key, &token] {
            pending.extend_from_slice(&(part.len() as u32).to_be_bytes());
            pending.extend_from_slice(part);
        }
        let mut pending_key = vec![Prefix::PENDING_INDEX];
        pending_key.extend_from_slice(&2u64.to_be_bytes());
        tree.insert(pending_key, pending).unwrap();
        db.flush().unwrap();
    }

    let store = SledStore::open(dir.path()).unwrap();

    assert_eq!(
        store.event(&routed.id).await.unwrap().unwrap().data.get(),
        r#"{"a":1}"#
    );
    let waiting: Vec<EventId> = store
        .unrouted(10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(waiting, vec![unrouted.id.clone()], "routing state kept");
    let mut again = delivery("id:routed", "token-new", "opp");
    again.dedupe_key = "id:routed".to_owned();
    assert_eq!(
        store.ingest(again).await.unwrap(),
        IngestOutcome::Duplicate(routed.id.clone())
    );
    let mut replayed = delivery("id:x", "token-unrouted", "opp");
    replayed.content_hash = [1; 32];
    assert_eq!(
        store.ingest(replayed).await.unwrap(),
        IngestOutcome::Duplicate(unrouted.id.clone()),
        "the pending record's token was moved to its key"
    );
    for prefix in [Prefix::EVENT, Prefix::UNROUTED, Prefix::PENDING_INDEX] {
        assert_eq!(store.inner.tree.scan_prefix([prefix]).count(), 0);
    }
    drop(store);
    let store = reopen(dir.path(), super::event_log::SEGMENT_SIZE).await;
    assert!(
        store.event(&unrouted.id).await.unwrap().is_some(),
        "imported once, kept"
    );
    assert_eq!(store.unrouted(10).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_share_syncs_and_duplicates_need_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let before = store.inner.log.syncs();
    let deliveries: Vec<_> = (0..200)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                accept(
                    &store,
                    delivery(&format!("id:{n}"), &format!("token-{n}"), "opp"),
                )
                .await
            })
        })
        .collect();
    for delivery in deliveries {
        delivery.await.unwrap();
    }
    let syncs = store.inner.log.syncs() - before;
    assert!(
        (1..100).contains(&syncs),
        "200 concurrent deliveries took {syncs} syncs: groups should share them"
    );

    let before = store.inner.log.syncs();
    let again = delivery("id:7", "token-7", "opp");
    assert!(matches!(
        store.ingest(again).await.unwrap(),
        IngestOutcome::Duplicate(_)
    ));
    assert_eq!(
        store.inner.log.syncs(),
        before,
        "a duplicate of a durable event writes and syncs nothing"
    );
}
