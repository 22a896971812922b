//! Opening a store whose sled files were damaged or lost while the journal is intact: a
//! snapshot sled cannot read is moved aside (and logged), and sequence numbers never
//! repeat one a live event holds.

use super::{accept, delivery};
use crate::captured_logs::Captured;
use crate::event::EventId;
use crate::store::sled_store::SledStore;
use crate::store::{EventFilter, NewJob, RecordKey, Routing, Store, StoredEvent};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Drops `store` and waits until nothing holds its files any more.
async fn close(store: SledStore) {
    let inner = Arc::downgrade(&store.inner);
    drop(store);
    for _ in 0..300 {
        if inner.upgrade().is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the store never let go of its files");
}

/// Every event, newest first, as the admin API lists them.
async fn listed(store: &SledStore) -> Vec<EventId> {
    let page = store
        .list_events(&EventFilter::default(), None, 1000)
        .await
        .unwrap();
    assert!(page.next.is_none(), "one page holds them all");
    page.events.into_iter().map(|v| v.event.id).collect()
}

/// A stopped store with five events, a pending job for each and a record.
async fn healthy_store(dir: &Path) -> Vec<StoredEvent> {
    let store = SledStore::open(dir).unwrap();
    for n in 0..5 {
        accept(
            &store,
            delivery(&format!("id:{n}"), &format!("token-{n}"), "opp"),
        )
        .await;
    }
    let events = store.unrouted(usize::MAX).await.unwrap();
    let routed = events
        .iter()
        .map(|e| Routing {
            event: e.id.clone(),
            seq: e.seq,
            jobs: vec![NewJob {
                handler: "slow".to_owned(),
                order_key: Some("opp".to_owned()),
                run_at: u64::MAX,
            }],
        })
        .collect();
    store.route(routed).await.unwrap();
    store
        .put_record(
            &RecordKey::handler("settings", "kept"),
            json!({"kept": true}),
        )
        .await
        .unwrap();
    close(store).await;
    events
}

/// Opens the stopped store in `dir` holding `events`, whose snapshot `file` sled cannot
/// read, and checks that nothing is lost and the file was moved aside with a warning.
async fn opens_with_everything_despite(dir: &Path, events: &[StoredEvent], file: &str) {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();

    crate::telemetry::keep_interest_open();
    let opened = tracing::subscriber::with_default(subscriber, || SledStore::open(dir));

    let store = opened.unwrap_or_else(|e| panic!("the store did not open with {file}: {e}"));
    for event in events {
        let kept = store.event(&event.id).await.unwrap().expect("event kept");
        assert_eq!(kept.data.get(), event.data.get());
        let jobs = store.jobs_of(&event.id).await.unwrap();
        assert_eq!(jobs.len(), 1, "its job is kept");
    }
    assert_eq!(listed(&store).await.len(), events.len());
    assert_eq!(
        store
            .record(&RecordKey::handler("settings", "kept"))
            .await
            .unwrap(),
        Some(json!({"kept": true}))
    );
    assert!(
        !dir.join(file).exists(),
        "{file} is gone from sled's folder"
    );
    let moved = dir.join("damaged").join(file);
    assert!(moved.exists(), "{file} was moved to {}", moved.display());
    let text = logs.text();
    let line = text
        .lines()
        .find(|line| line.contains(file))
        .unwrap_or_else(|| panic!("no log line names {file}: {text}"));
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("moved aside"), "{line}");

    close(store).await;
    let again = SledStore::open(dir).expect("opens again");
    assert_eq!(listed(&again).await.len(), events.len());
}

/// Leaves `file` (empty) in a healthy stopped store's sled folder, then opens it.
async fn opens_despite_an_empty(file: &str) {
    let dir = tempfile::tempdir().unwrap();
    let events = healthy_store(dir.path()).await;
    std::fs::File::create(dir.path().join(file)).unwrap();
    opens_with_everything_despite(dir.path(), &events, file).await;
}

#[tokio::test]
async fn an_empty_snapshot_is_moved_aside_and_the_store_opens_with_everything() {
    opens_despite_an_empty("snap.0000000000000300").await;
}

#[tokio::test]
async fn an_unfinished_snapshot_is_moved_aside_and_the_store_opens_with_everything() {
    opens_despite_an_empty("snap.00000000FFFFFFFF.generating").await;
}

#[tokio::test]
async fn a_snapshot_failing_its_checksum_is_moved_aside_and_the_store_opens_with_everything() {
    let dir = tempfile::tempdir().unwrap();
    let events = healthy_store(dir.path()).await;
    // sled writes a snapshot when it opens a log that grew since the last one.
    close(SledStore::open(dir.path()).unwrap()).await;
    let snapshots: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("snap."))
        .collect();
    let [snapshot] = snapshots.as_slice() else {
        panic!("expected one snapshot, found {snapshots:?}");
    };
    let path = dir.path().join(snapshot);
    let mut contents = std::fs::read(&path).unwrap();
    contents[0] ^= 0xff;
    std::fs::write(&path, contents).unwrap();

    opens_with_everything_despite(dir.path(), &events, snapshot).await;
}

#[tokio::test]
async fn a_store_that_lost_sleds_files_numbers_new_events_above_every_kept_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let mut old = Vec::new();
    for n in 0..6 {
        let event = delivery(&format!("id:{n}"), &format!("token-{n}"), "opp");
        old.push(accept(&store, event).await);
    }
    // The first three are routed, the other three wait for the router.
    let routed = store.unrouted(3).await.unwrap();
    let routed = routed
        .iter()
        .map(|e| Routing {
            event: e.id.clone(),
            seq: e.seq,
            jobs: Vec::new(),
        })
        .collect();
    store.route(routed).await.unwrap();
    let old_seqs: Vec<u64> = {
        let mut seqs = Vec::new();
        for id in &old {
            seqs.push(store.event(id).await.unwrap().unwrap().seq);
        }
        seqs
    };
    close(store).await;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "db" || name.starts_with("snap.") {
            std::fs::remove_file(&path).unwrap();
        }
    }

    let store = SledStore::open(dir.path()).unwrap();
    let mut new = Vec::new();
    for n in 0..4 {
        let event = delivery(&format!("id:new-{n}"), &format!("new-{n}"), "opp");
        new.push(accept(&store, event).await);
    }

    let highest_old = old_seqs.iter().copied().max().unwrap();
    for id in &new {
        let seq = store.event(id).await.unwrap().unwrap().seq;
        assert!(seq > highest_old, "new seq {seq} ≤ kept seq {highest_old}");
    }
    for (id, seq) in old.iter().zip(&old_seqs) {
        let kept = store.event(id).await.unwrap().expect("kept");
        assert_eq!(kept.seq, *seq, "{id} keeps its number");
    }
    let waiting: Vec<EventId> = old[3..].iter().chain(&new).cloned().collect();
    let unrouted = |store: SledStore| async move {
        let found: Vec<EventId> = store
            .unrouted(usize::MAX)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        (store, found)
    };
    let (store, found) = unrouted(store).await;
    assert_eq!(found, waiting, "every unrouted event, in arrival order");
    let everything: Vec<EventId> = old.iter().chain(&new).rev().cloned().collect();
    assert_eq!(listed(&store).await, everything);

    close(store).await;
    let store = SledStore::open(dir.path()).unwrap();
    let (store, found) = unrouted(store).await;
    assert_eq!(found, waiting, "the same after another reopen");
    assert_eq!(listed(&store).await, everything);
}
