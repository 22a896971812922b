//! The embedded sled backend: zero setup, one process, group commit for durable intake.
//!
//! Events live in an append-only journal next to sled (see `event_log`): one writer task
//! decides every queued delivery against the in-memory index (`intake_decision`), appends
//! the group's records, and one `fdatasync` makes the whole group durable before every
//! waiter is answered (`group_commit`). Throughput comes from that batching, never from
//! skipping the sync. Jobs (`jobs`), records (`records`) and the keys of retired journal
//! segments are in one sled tree under one-byte key prefixes (see `keys`), so every
//! multi-record change there is a single atomic `apply_batch`. Job changes (route, claim,
//! finish) are serialized by one in-process lock: sled allows one process per folder, so
//! that lock is the whole story. This file holds the store's parts and opening it.

mod admin;
mod event_log;
mod group_commit;
mod intake_decision;
mod jobs;
mod journal;
mod keys;
mod legacy;
mod maintenance;
mod records;
mod sequence;
mod shared_flush;
mod sled_files;
#[cfg(test)]
mod tests;

pub use maintenance::{
    DamagedRange, JournalCheck, JournalRepair, MaintenanceError, MovedRange, SegmentCheck,
};

use super::{
    Attempt, ClaimedJob, EventFilter, EventPage, EventView, IngestOutcome, Job, JobId, Millis,
    NewEvent, NextStep, Routing, Store, StoreError, StoredEvent,
};
use crate::event::EventId;
use crate::record_key::{RecordKey, RecordPrefix};
use async_trait::async_trait;
use event_log::EventLog;
use group_commit::{write_batches, IngestRequest, Pending, MAX_BATCH};
use sequence::Sequence;
use shared_flush::SharedFlush;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// The sled-backed [`Store`].
#[derive(Clone)]
pub struct SledStore {
    inner: Arc<Inner>,
    writer: mpsc::Sender<IngestRequest>,
}

struct Inner {
    db: sled::Db,
    /// Jobs, records and retired keys, under the prefixes in `keys`.
    tree: sled::Tree,
    /// Events, their routing marks, and live dedupe keys and tokens.
    log: EventLog,
    /// Events' sequence numbers, above every number in the journal at open.
    sequence: Sequence,
    /// Serializes route, claim and finish, which read a job and write it back.
    jobs_lock: Mutex<()>,
    /// Shares one sled flush among everyone waiting for one.
    flusher: SharedFlush,
    /// The folder of a temporary store, removed with it.
    _temporary: Option<tempfile::TempDir>,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl SledStore {
    /// Opens (or creates) a store in `path`. Must be called inside a Tokio runtime.
    ///
    /// Leases left by a previous process are released: sled allows one process per
    /// folder, so every leased job was in flight when that process stopped.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with_segments(path, event_log::SEGMENT_SIZE)
    }

    /// [`open`](Self::open) with journal segments of `segment_size` bytes.
    fn open_with_segments(path: &Path, segment_size: u64) -> Result<Self, StoreError> {
        // A snapshot sled cannot read is moved aside first (see `sled_files`).
        let db = sled_files::open(path)?;
        // Opened after sled, whose lock on the folder keeps a second process out of both.
        let log = EventLog::open(&path.join("journal"), segment_size)?;
        Self::from_parts(db, log, None)
    }

    /// A store in a temporary folder, removed when dropped (tests, benchmarks).
    pub fn temporary() -> Result<Self, StoreError> {
        let folder = tempfile::tempdir().map_err(backend)?;
        let db = sled::Config::new()
            .path(folder.path().join("sled"))
            .flush_every_ms(None)
            .open()
            .map_err(backend)?;
        let log = EventLog::open(&folder.path().join("journal"), event_log::SEGMENT_SIZE)?;
        Self::from_parts(db, log, Some(folder))
    }

    fn from_parts(
        db: sled::Db,
        log: EventLog,
        temporary: Option<tempfile::TempDir>,
    ) -> Result<Self, StoreError> {
        let tree = db.open_tree("lever-hooks").map_err(backend)?;
        let sequence = Sequence::start(&db, log.highest_seq())?;
        let inner = Arc::new(Inner {
            db,
            tree,
            log,
            sequence,
            jobs_lock: Mutex::new(()),
            flusher: SharedFlush::default(),
            _temporary: temporary,
        });
        inner.release_leases()?;
        legacy::import(&inner)?;
        let (writer, requests) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_batches(inner.clone(), requests));
        Ok(Self { inner, writer })
    }

    /// Bytes the event journal takes on disk (sled's own files not counted).
    #[cfg(test)]
    pub(super) fn journal_bytes(&self) -> u64 {
        self.inner.log.disk_bytes()
    }
}

impl Inner {
    fn load<T: serde::de::DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        self.tree
            .get(key)
            .map_err(backend)?
            .map(|bytes| from_json(&bytes))
            .transpose()
    }

    fn event(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError> {
        self.log.event(id)
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("store records always serialize")
}

fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(corrupt)
}

#[async_trait]
impl Store for SledStore {
    async fn ingest(&self, event: NewEvent) -> Result<IngestOutcome, StoreError> {
        self.submit(Pending::Event(event)).await
    }

    async fn remember_token(
        &self,
        account: &str,
        token: &str,
        received_at: Millis,
    ) -> Result<(), StoreError> {
        self.submit(Pending::Token {
            account: account.to_owned(),
            token: token.to_owned(),
            received_at,
        })
        .await
        .map(|_| ())
    }

    async fn unrouted(&self, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.log.unrouted(limit)
    }

    async fn route(&self, routed: Vec<Routing>) -> Result<(), StoreError> {
        self.create_jobs(routed).await
    }

    async fn claim(
        &self,
        now: Millis,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        self.lease_due(now, limit, lease).await
    }

    async fn finish_attempt(
        &self,
        job_id: &JobId,
        attempt: Attempt,
        next: NextStep,
    ) -> Result<(), StoreError> {
        self.record_attempt(job_id, attempt, next).await
    }

    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        self.earliest_due().await
    }

    async fn due_count(&self, now: Millis) -> Result<Option<usize>, StoreError> {
        self.count_due(now).await
    }

    async fn event(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError> {
        self.inner.event(id)
    }

    async fn jobs_of(&self, id: &EventId) -> Result<Vec<Job>, StoreError> {
        self.inner.jobs(id)
    }

    async fn event_view(&self, id: &EventId) -> Result<Option<EventView>, StoreError> {
        self.inner.event_view(id)
    }

    async fn list_events(
        &self,
        filter: &EventFilter,
        before: Option<&str>,
        limit: usize,
    ) -> Result<EventPage, StoreError> {
        let before = crate::store::query::cursor(before)?;
        self.inner.list_events(filter, before, limit)
    }

    async fn replay(
        &self,
        event: &EventId,
        handler: Option<&str>,
        now: Millis,
    ) -> Result<Vec<JobId>, StoreError> {
        let ids = self.inner.replay(event, handler, now)?;
        self.inner.flusher.flush(&self.inner.db).await?;
        Ok(ids)
    }

    async fn retry_dead(
        &self,
        filter: &EventFilter,
        now: Millis,
    ) -> Result<Vec<JobId>, StoreError> {
        let ids = self.inner.retry_dead(filter, now)?;
        self.inner.flusher.flush(&self.inner.db).await?;
        Ok(ids)
    }

    async fn purge_events(&self, filter: &EventFilter, now: Millis) -> Result<usize, StoreError> {
        let (inner, filter) = (self.inner.clone(), filter.clone());
        // Durable when it returns: the journal is synced after the tombstones and again
        // after the blanking; sled is not written.
        tokio::task::spawn_blocking(move || inner.purge_events(&filter, now))
            .await
            .map_err(|e| StoreError::Backend(format!("purging: {e}")))?
    }

    async fn prune(&self, cutoff: Millis) -> Result<usize, StoreError> {
        // A long scan holding the jobs lock must not stall the runtime's threads.
        let inner = self.inner.clone();
        // Durable when it returns: `Inner::prune` flushes sled and syncs the journal at
        // each step.
        tokio::task::spawn_blocking(move || inner.prune(cutoff))
            .await
            .map_err(|e| StoreError::Backend(format!("pruning: {e}")))?
    }

    async fn flush(&self) -> Result<(), StoreError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.log.sync())
            .await
            .map_err(|e| StoreError::Backend(format!("journal sync: {e}")))??;
        self.inner.flusher.flush(&self.inner.db).await
    }

    async fn record(&self, key: &RecordKey) -> Result<Option<serde_json::Value>, StoreError> {
        self.read_record(key.as_str()).await
    }

    async fn put_record(
        &self,
        key: &RecordKey,
        value: serde_json::Value,
    ) -> Result<(), StoreError> {
        self.write_record(key.as_str(), value).await
    }

    async fn insert_record(
        &self,
        key: &RecordKey,
        value: serde_json::Value,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        self.insert_new_record(key.as_str(), value).await
    }

    async fn records(
        &self,
        prefix: &RecordPrefix,
    ) -> Result<Vec<(RecordKey, serde_json::Value)>, StoreError> {
        Ok(self
            .records_under(prefix.as_str())
            .await?
            .into_iter()
            .map(|(key, value)| (RecordKey::from_stored(key), value))
            .collect())
    }

    async fn delete_record(&self, key: &RecordKey) -> Result<(), StoreError> {
        self.remove_record(key.as_str()).await
    }
}
