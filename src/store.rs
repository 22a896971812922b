//! Durable storage: the [`Store`] trait every backend implements, and the records it keeps
//! (events, jobs with their attempts, dedupe keys and remembered tokens).
//!
//! The contract, which `tests/it/store_contract.rs` checks against every backend:
//! - [`Store::ingest`] returns only after the event is durable, and decides dedupe and
//!   token reuse atomically with the write;
//! - routing ([`Store::route`]) creates one job per (event, handler), idempotently;
//! - [`Store::claim`] hands out due jobs under a lease, never two jobs of one order key at
//!   once and never a later one before an earlier unfinished one;
//! - [`Store::finish_attempt`] records an attempt and moves the job on, atomically;
//! - records ([`Store::put_record`] and friends) are small durable JSON values under
//!   string keys, for what handlers and the Lever client must remember across restarts
//!   (rotated OAuth tokens, registered signing tokens, write-backs done, one check per
//!   opportunity).
//!
//! Two backends: [`SledStore`] (embedded, one process) and [`PostgresStore`] (one database
//! shared by several instances).

pub mod postgres;
pub mod query;
pub mod reopening;
pub mod sled_store;
mod types;

pub use postgres::PostgresStore;
pub use query::{EventFilter, EventPage, EventStatus, EventView};
pub use reopening::ReopeningStore;
pub use sled_store::SledStore;
pub use types::{
    now_millis, Attempt, AttemptOutcome, ClaimedJob, IngestOutcome, Job, JobId, JobState, Millis,
    NewEvent, NewJob, NextStep, Routing, StoredEvent,
};

use crate::event::EventId;
pub use crate::record_key::{RecordKey, RecordPrefix};
use async_trait::async_trait;
use std::time::Duration;

/// A storage failure. Intake answers 503 so Lever retries; workers retry later.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (I/O, disk full, connection lost).
    #[error("storage backend failed: {0}")]
    Backend(String),
    /// A stored record could not be read back.
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
    /// The store is shutting down and takes no more writes.
    #[error("store is closed")]
    Closed,
    /// A page cursor (`before`) that is not an event id: the caller's mistake, not the
    /// store's, so the admin API answers 400.
    #[error("cursor `{0}` is not an event id; pass the previous page's `next` as `before`")]
    InvalidCursor(String),
}

/// What another process may have changed, for [`Store::changed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Events were stored: the router has work.
    Events,
    /// Jobs were created, finished, replayed or retried: the workers may have work.
    Jobs,
}

/// A durable home for events and jobs.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a verified event unless its dedupe key or token was seen, durably, before returning.
    ///
    /// - dedupe key or token seen with the same content: [`IngestOutcome::Duplicate`];
    /// - token seen with other content: [`IngestOutcome::TokenReused`], nothing written;
    /// - otherwise the event is written, marked for routing, and flushed: `Accepted`.
    async fn ingest(&self, event: NewEvent) -> Result<IngestOutcome, StoreError>;

    /// Remembers a token that came without an event (Lever's settings-page test), in the
    /// same place as events' tokens: any event carrying it later is
    /// [`IngestOutcome::TokenReused`]. Durable before returning; remembering it twice is
    /// fine.
    async fn remember_token(
        &self,
        account: &str,
        token: &str,
        received_at: Millis,
    ) -> Result<(), StoreError>;

    /// Up to `limit` stored events not routed yet, oldest first.
    async fn unrouted(&self, limit: usize) -> Result<Vec<StoredEvent>, StoreError>;

    /// Like [`unrouted`](Store::unrouted), for a router about to route them: a store that
    /// several processes share hands each event to one router at a time, until
    /// `now + lease` (then it goes to whoever asks next), so instances do not route the
    /// same events twice. A store only one process uses needs no lease: the default is
    /// [`unrouted`](Store::unrouted).
    async fn take_unrouted(
        &self,
        limit: usize,
        now: Millis,
        lease: Duration,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let _ = (now, lease);
        self.unrouted(limit).await
    }

    /// Creates each event's jobs and marks the events routed, atomically. Routing an event
    /// again creates nothing new.
    async fn route(&self, routed: Vec<Routing>) -> Result<(), StoreError>;

    /// Leases up to `limit` due jobs until `now + lease`, each with its event.
    ///
    /// Jobs sharing an order key come out one at a time in event order; a job is not
    /// handed out while an earlier one of its key is pending or leased.
    async fn claim(
        &self,
        now: Millis,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<ClaimedJob>, StoreError>;

    /// Records one attempt of a leased job and moves it to `next`, durably.
    async fn finish_attempt(
        &self,
        job: &JobId,
        attempt: Attempt,
        next: NextStep,
    ) -> Result<(), StoreError>;

    /// When the earliest pending job is due, if any (lets the dispatcher sleep until then).
    async fn next_due(&self) -> Result<Option<Millis>, StoreError>;

    /// How many jobs could be claimed at `now` (due, first of their order key, not
    /// leased), for the queue depth gauge; `None` when this store does not count them.
    async fn due_count(&self, now: Millis) -> Result<Option<usize>, StoreError> {
        let _ = now;
        Ok(None)
    }

    /// Resolves when another process sharing this store reports a [`Change`] of `kind`
    /// (the dispatcher waits on it next to its in-process wake-ups). A wake-up may be
    /// spurious. A store only one process uses never resolves it, which is the default.
    async fn changed(&self, kind: Change) {
        let _ = kind;
        std::future::pending::<()>().await
    }

    /// One stored event.
    async fn event(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError>;

    /// Every job of one event, with its attempts.
    async fn jobs_of(&self, id: &EventId) -> Result<Vec<Job>, StoreError>;

    /// One event with its status and jobs, as operators see it.
    async fn event_view(&self, id: &EventId) -> Result<Option<EventView>, StoreError>;

    /// Events matching `filter` with their jobs, newest first, at most `limit`, older
    /// than the event `before` when given (the previous page's `next`). A `before` that is
    /// not an event id is [`StoreError::InvalidCursor`] (see [`query::cursor`]).
    async fn list_events(
        &self,
        filter: &EventFilter,
        before: Option<&str>,
        limit: usize,
    ) -> Result<EventPage, StoreError>;

    /// Runs the event's jobs (all, or `handler`'s) again from `now`, with a fresh retry
    /// budget; their attempts are kept and numbering goes on. Jobs already pending are
    /// left as they are. Returns the ids of the jobs that will run; durable.
    async fn replay(
        &self,
        event: &EventId,
        handler: Option<&str>,
        now: Millis,
    ) -> Result<Vec<JobId>, StoreError>;

    /// Every dead letter of the events (and handler) `filter` matches, pending again from
    /// `now` with a fresh retry budget. Returns their ids; durable.
    async fn retry_dead(&self, filter: &EventFilter, now: Millis)
        -> Result<Vec<JobId>, StoreError>;

    /// Cuts every event `filter` matches down to a tombstone (ids and times); durable.
    async fn purge_events(&self, filter: &EventFilter, now: Millis) -> Result<usize, StoreError>;

    /// Deletes events received before `cutoff` whose jobs all finished, with their jobs;
    /// dedupe keys and tokens stay. Returns how many events went; durable.
    async fn prune(&self, cutoff: Millis) -> Result<usize, StoreError>;

    /// Makes everything written so far durable (used at shutdown).
    async fn flush(&self) -> Result<(), StoreError>;

    /// The record under `key`, if any.
    async fn record(&self, key: &RecordKey) -> Result<Option<serde_json::Value>, StoreError>;

    /// Writes `value` under `key` (replacing any), durably before returning.
    async fn put_record(&self, key: &RecordKey, value: serde_json::Value)
        -> Result<(), StoreError>;

    /// Writes `value` under `key` only if nothing is there, atomically and durably.
    /// Returns the record already there (and writes nothing), or `None` when it wrote.
    async fn insert_record(
        &self,
        key: &RecordKey,
        value: serde_json::Value,
    ) -> Result<Option<serde_json::Value>, StoreError>;

    /// Every record whose key starts with `prefix`, in key order.
    async fn records(
        &self,
        prefix: &RecordPrefix,
    ) -> Result<Vec<(RecordKey, serde_json::Value)>, StoreError>;

    /// Removes the record under `key` (nothing if absent), durably.
    async fn delete_record(&self, key: &RecordKey) -> Result<(), StoreError>;
}
