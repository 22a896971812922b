//! Damage to a stopped store's journal costs only the damaged records: every event in a
//! valid record after the damage is still there (its redelivery is a duplicate), and
//! damage that loses synced records is reported, never cut away in silence.

use super::{delivery, route_all};
use crate::store::sled_store::SledStore;
use crate::store::{IngestOutcome, Store};
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Small segments, so a few hundred events fill several.
pub(super) const SEGMENT: u64 = 32 * 1024;
/// Three full segments and a last one about three quarters full.
pub(super) const EVENTS: usize = 180;

fn event(i: usize) -> crate::store::NewEvent {
    delivery(
        &format!("id:{i}"),
        &format!("token-{i}"),
        &format!("opp-{i}"),
    )
}

/// A stopped store of `EVENTS` events; returns its journal's segment files, oldest first.
pub(super) async fn filled(dir: &Path) -> Vec<PathBuf> {
    let store = SledStore::open_with_segments(dir, SEGMENT).unwrap();
    for i in 0..EVENTS {
        store.ingest(event(i)).await.unwrap();
    }
    store.flush().await.unwrap();
    drop(store);
    let mut segments: Vec<PathBuf> = std::fs::read_dir(dir.join("journal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    segments.sort();
    assert!(segments.len() >= 3, "{segments:?}");
    segments
}

/// The offset of the record header nearest the middle of a segment file.
pub(super) fn middle_record(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let mut offset = 0;
    while offset < bytes.len() / 2 {
        let len = u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap());
        offset += 8 + len as usize;
    }
    offset as u64
}

pub(super) fn write_at(path: &Path, at: u64, bytes: &[u8]) {
    let file = OpenOptions::new().write(true).open(path).unwrap();
    file.write_all_at(bytes, at).unwrap();
}

fn flip_bit(path: &Path, at: u64, mask: u8) {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut byte = [0];
    file.read_exact_at(&mut byte, at).unwrap();
    file.write_all_at(&[byte[0] ^ mask], at).unwrap();
}

/// Sends every event again: how many the store no longer had (answered `accepted`).
pub(super) async fn lost(store: &SledStore) -> usize {
    let mut accepted = 0;
    for i in 0..EVENTS {
        if let IngestOutcome::Accepted(_) = store.ingest(event(i)).await.unwrap() {
            accepted += 1;
        }
    }
    accepted
}

/// Opens the store (once the last one let go of it) with a recorder of its own; returns
/// it with the damage gauge's value.
pub(super) async fn open_measured(dir: &Path) -> (SledStore, Option<f64>) {
    let mut last_error = None;
    for _ in 0..300 {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let opened =
            metrics::with_local_recorder(&recorder, || SledStore::open_with_segments(dir, SEGMENT));
        match opened {
            Ok(store) => {
                let gauge = recorder.handle().render().lines().find_map(|line| {
                    line.strip_prefix("lever_hooks_journal_damaged_ranges ")
                        .map(|v| v.parse().unwrap())
                });
                return (store, gauge);
            }
            Err(e) => last_error = Some(e),
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the store does not open: {last_error:?}");
}

#[tokio::test]
async fn a_flipped_header_bit_mid_last_segment_loses_only_that_event() {
    let dir = tempfile::tempdir().unwrap();
    let segments = filled(dir.path()).await;
    let last = segments.last().unwrap();
    flip_bit(last, middle_record(last), 0x04);

    let (store, damaged) = open_measured(dir.path()).await;
    assert_eq!(
        lost(&store).await,
        1,
        "only the damaged record's event is gone"
    );
    assert_eq!(damaged, Some(1.0), "the damaged range is counted");
}

#[tokio::test]
async fn a_length_past_the_end_mid_last_segment_loses_only_that_event() {
    let dir = tempfile::tempdir().unwrap();
    let segments = filled(dir.path()).await;
    let last = segments.last().unwrap();
    write_at(last, middle_record(last) + 3, &[0x7f]);

    let (store, _) = open_measured(dir.path()).await;
    assert_eq!(lost(&store).await, 1);
}

#[tokio::test]
async fn a_length_past_the_end_in_an_older_segment_does_not_stop_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let segments = filled(dir.path()).await;
    write_at(&segments[0], middle_record(&segments[0]) + 3, &[0x7f]);

    let (store, damaged) = open_measured(dir.path()).await;
    assert_eq!(damaged, Some(1.0));
    assert_eq!(lost(&store).await, 1);
}

#[tokio::test]
async fn a_last_segment_cut_at_a_record_boundary_is_reported_at_every_open() {
    let dir = tempfile::tempdir().unwrap();
    let segments = filled(dir.path()).await;
    let last = segments.last().unwrap();
    let file = OpenOptions::new().write(true).open(last).unwrap();
    file.set_len(middle_record(last)).unwrap();

    let (store, damaged) = open_measured(dir.path()).await;
    assert_eq!(damaged, Some(1.0), "the lost synced records are reported");
    // New deliveries do not paper over it.
    store.ingest(event(EVENTS + 1)).await.unwrap();
    store.flush().await.unwrap();
    drop(store);
    let (_, damaged) = open_measured(dir.path()).await;
    assert_eq!(damaged, Some(1.0), "still reported until repaired");
}

#[tokio::test]
async fn retention_keeps_a_damaged_segment_for_repair() {
    let dir = tempfile::tempdir().unwrap();
    let segments = filled(dir.path()).await;
    flip_bit(&segments[0], middle_record(&segments[0]), 0x04);
    let (store, _) = open_measured(dir.path()).await;
    route_all(&store).await;

    let pruned = store.prune(u64::MAX).await.unwrap();
    assert_eq!(pruned, EVENTS - 1, "every event but the damaged one");
    assert!(
        segments[0].exists(),
        "the damaged segment stays for repair though no event lives in it"
    );
    assert!(
        !segments[1].exists(),
        "a clean one without events is retired"
    );
}
