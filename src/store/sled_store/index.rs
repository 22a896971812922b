//! The deferred dedupe index: dedupe keys and remembered tokens are written to their
//! final, randomly ordered sled keys after the delivery is answered, not before.
//!
//! Inserting under a random key is the most expensive thing sled 0.34 does (each one
//! rewrites part of a leaf somewhere in the tree), so the acknowledgement path writes only
//! keys that grow in order: the event, its unrouted mark, and one *pending index* record
//! (`w` + seq) holding the dedupe and token entries. That record is flushed with the event,
//! so the entries are as durable as before. This module then
//!
//! - keeps the pending entries in memory ([`PendingIndex`]) so dedupe decisions see them
//!   at once, exactly as if they were already in the tree;
//! - moves them to their final keys in large, unflushed batches ([`run_indexer`]); each
//!   batch also deletes the pending records it covered, atomically, so a crash either
//!   loses the whole batch (the pending records are still there and are loaded again at
//!   open) or none of it.

use super::keys::{pending_index_key, Prefix};
use super::Inner;
use crate::store::StoreError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

/// One dedupe or token entry: its final key and value.
pub(super) type Entry = (Vec<u8>, Vec<u8>);

/// Most pending records moved by one indexer batch (a few milliseconds of sled work).
const INDEX_BATCH: usize = 512;

/// Pending entries above which ingestion waits for the indexer to catch up.
pub(super) const MAX_PENDING: usize = 200_000;

/// Dedupe and token entries flushed in pending records but not yet under their own keys.
#[derive(Default)]
pub(super) struct PendingIndex {
    entries: Mutex<HashMap<Vec<u8>, Vec<u8>>>,
    /// Wakes the indexer when ingestion added pending records (and when the store is
    /// dropped, so the indexer sees it is gone and ends).
    pub(super) added: Arc<Notify>,
    /// Wakes ingestion (waiting on [`MAX_PENDING`]) when the indexer moved some.
    pub(super) moved: Notify,
}

impl PendingIndex {
    /// The entries, locked (one lock per ingest group, one per indexer batch).
    pub(super) fn lock(&self) -> MutexGuard<'_, HashMap<Vec<u8>, Vec<u8>>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Loads the pending records a previous process left (at open).
    pub(super) fn load(&self, tree: &sled::Tree) -> Result<usize, StoreError> {
        let mut entries = self.lock();
        let mut records = 0;
        for item in tree.scan_prefix([Prefix::PENDING_INDEX]) {
            let (_, value) = item.map_err(super::backend)?;
            for (key, value) in decode_entries(&value).map_err(super::corrupt)? {
                entries.insert(key, value);
            }
            records += 1;
        }
        Ok(records)
    }
}

impl Drop for PendingIndex {
    fn drop(&mut self) {
        self.added.notify_one();
    }
}

/// Encodes the entries of one pending record: `(u32 key length, key, u32 value length,
/// value)` repeated.
pub(super) fn encode_entries(entries: &[Entry]) -> Vec<u8> {
    let size = entries
        .iter()
        .map(|(k, v)| 8 + k.len() + v.len())
        .sum::<usize>();
    let mut out = Vec::with_capacity(size);
    for (key, value) in entries {
        for part in [key, value] {
            let len = u32::try_from(part.len()).expect("index entries are small");
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

/// The entries of one pending record.
pub(super) fn decode_entries(mut bytes: &[u8]) -> Result<Vec<Entry>, &'static str> {
    fn part<'a>(bytes: &mut &'a [u8]) -> Result<&'a [u8], &'static str> {
        let (len, rest) = bytes
            .split_first_chunk::<4>()
            .ok_or("pending index record is truncated")?;
        let len = u32::from_be_bytes(*len) as usize;
        let (part, rest) = rest
            .split_at_checked(len)
            .ok_or("pending index record is truncated")?;
        *bytes = rest;
        Ok(part)
    }
    let mut entries = Vec::new();
    while !bytes.is_empty() {
        let key = part(&mut bytes)?.to_vec();
        let value = part(&mut bytes)?.to_vec();
        entries.push((key, value));
    }
    Ok(entries)
}

/// Moves pending entries to their own keys whenever ingestion adds some, until the store
/// is dropped. Failures are logged and retried on the next wake-up: the pending records
/// stay, and dedupe keeps answering from memory meanwhile.
pub(super) async fn run_indexer(inner: std::sync::Weak<Inner>, added: Arc<Notify>) {
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        // Random-key inserts are slow enough to stall the tasks sharing a runtime thread
        // (the ingest writer among them), so the batch runs on a blocking thread.
        let moved = tokio::task::spawn_blocking(move || move_batch(&strong))
            .await
            .unwrap_or_else(|e| Err(StoreError::Backend(format!("indexer batch: {e}"))));
        match moved {
            // Ingestion leaves a permit when it adds records while this batch runs.
            Ok(0) => added.notified().await,
            Ok(_) => tokio::task::yield_now().await,
            Err(e) => {
                tracing::error!(error = %e, "moving dedupe entries to their keys failed; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

/// Moves up to [`INDEX_BATCH`] pending records; returns how many it moved.
fn move_batch(inner: &Arc<Inner>) -> Result<usize, StoreError> {
    let mut writes = sled::Batch::default();
    let mut moved_keys = Vec::new();
    let mut records = 0;
    for item in inner
        .tree
        .scan_prefix([Prefix::PENDING_INDEX])
        .take(INDEX_BATCH)
    {
        let (key, value) = item.map_err(super::backend)?;
        for (entry_key, entry_value) in decode_entries(&value).map_err(super::corrupt)? {
            writes.insert(entry_key.clone(), entry_value);
            moved_keys.push(entry_key);
        }
        writes.remove(key);
        records += 1;
    }
    if records == 0 {
        return Ok(0);
    }
    inner.tree.apply_batch(writes).map_err(super::backend)?;
    // Only now that the tree answers for them may memory forget them.
    {
        let mut entries = inner.pending.lock();
        for key in &moved_keys {
            entries.remove(key);
        }
    }
    inner.pending.moved.notify_waiters();
    Ok(records)
}

/// The pending record of the event stored as `seq`, holding `entries`.
pub(super) fn pending_record(seq: u64, entries: &[Entry]) -> (Vec<u8>, Vec<u8>) {
    (pending_index_key(seq), encode_entries(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_encoding() {
        let entries = vec![
            (b"dacct\0id:1".to_vec(), b"evt_1".to_vec()),
            (b"tacct\0tok".to_vec(), vec![0, 1, 2, 255]),
            (Vec::new(), Vec::new()),
        ];
        assert_eq!(decode_entries(&encode_entries(&entries)).unwrap(), entries);
    }

    use crate::event::EventId;
    use crate::store::{IngestOutcome, NewEvent, SledStore, Store};
    use std::time::Duration;

    fn delivery(dedupe_key: &str, token: &str, data: &str) -> NewEvent {
        NewEvent {
            id: EventId::generate(),
            account: "default".to_owned(),
            event: "candidateStageChange".to_owned(),
            triggered_at: 1_700_000_000_000,
            received_at: 1_700_000_000_025,
            token: token.to_owned(),
            envelope_id: None,
            dedupe_key: dedupe_key.to_owned(),
            // Distinct content per data, which is all the token check compares.
            content_hash: {
                let mut hash = [0; 32];
                hash[..data.len().min(32)].copy_from_slice(&data.as_bytes()[..data.len().min(32)]);
                hash
            },
            opportunity_id: None,
            contact_id: None,
            data: serde_json::value::RawValue::from_string(data.to_owned()).unwrap(),
        }
    }

    fn count(tree: &sled::Tree, prefix: u8) -> usize {
        tree.scan_prefix([prefix]).count()
    }

    /// Waits (up to 10 s) until no pending record is left in `tree`.
    async fn indexed(tree: &sled::Tree) {
        for _ in 0..1000 {
            if count(tree, Prefix::PENDING_INDEX) == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("pending index records were never moved");
    }

    async fn reopen(dir: &std::path::Path) -> SledStore {
        for _ in 0..300 {
            if let Ok(store) = SledStore::open(dir) {
                return store;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the previous store never released {}", dir.display());
    }

    /// A crash after the acknowledgement flush but before the indexer ran leaves the
    /// dedupe and token entries only in a pending record. The next process must answer
    /// from it at once and then move it.
    #[tokio::test]
    async fn entries_left_in_a_pending_record_by_a_crash_still_dedupe_and_get_moved() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let first = delivery("id:1", "token-1", r#"{"n":1}"#);
        let first_id = first.id.clone();
        assert!(matches!(
            store.ingest(first).await.unwrap(),
            IngestOutcome::Accepted(_)
        ));
        let tree = store.inner.tree.clone();
        indexed(&tree).await;
        // Put the state back to what it was before the indexer ran.
        let mut entries = Vec::new();
        for prefix in [Prefix::DEDUPE, Prefix::TOKEN] {
            for item in tree.scan_prefix([prefix]) {
                let (key, value) = item.unwrap();
                entries.push((key.to_vec(), value.to_vec()));
            }
        }
        assert_eq!(entries.len(), 2, "one dedupe and one token entry");
        for (key, _) in &entries {
            tree.remove(key).unwrap();
        }
        let (key, value) = pending_record(1, &entries);
        tree.insert(key, value).unwrap();
        store.flush().await.unwrap();
        drop(tree);
        drop(store);

        let store = reopen(dir.path()).await;

        assert_eq!(
            store
                .ingest(delivery("id:1", "token-2", r#"{"n":1}"#))
                .await
                .unwrap(),
            IngestOutcome::Duplicate(first_id),
            "the dedupe key came back from the pending record"
        );
        assert_eq!(
            store
                .ingest(delivery("id:2", "token-1", r#"{"n":2}"#))
                .await
                .unwrap(),
            IngestOutcome::TokenReused,
            "the token came back from the pending record"
        );
        let tree = store.inner.tree.clone();
        indexed(&tree).await;
        assert_eq!(
            (count(&tree, Prefix::DEDUPE), count(&tree, Prefix::EVENT)),
            (1, 1),
            "the moved entry; the two rejected deliveries stored nothing"
        );
        assert!(
            store.inner.pending.lock().is_empty(),
            "memory let go once moved"
        );
        for (key, value) in entries {
            assert_eq!(tree.get(&key).unwrap().as_deref(), Some(&value[..]));
        }
    }

    #[test]
    fn a_truncated_record_is_an_error_not_a_panic() {
        let bytes = encode_entries(&[(b"key".to_vec(), b"value".to_vec())]);
        for cut in 1..bytes.len() {
            assert!(decode_entries(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
}
