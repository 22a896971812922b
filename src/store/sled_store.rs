//! The embedded sled backend: zero setup, one process, group commit for durable intake.
//!
//! Events live in an append-only journal next to sled (see `event_log`): one writer task
//! decides every queued delivery against the in-memory index, appends the group's
//! records, and one `fdatasync` makes the whole group durable before every waiter is
//! answered. Throughput comes from that batching, never from skipping the sync. Jobs,
//! records and the keys of retired journal segments are in one sled tree under one-byte
//! key prefixes (see `keys`), so every multi-record change there is a single atomic
//! `apply_batch`. Job changes (route, claim, finish) are serialized by one in-process
//! lock: sled allows one process per folder, so that lock is the whole story.

mod admin;
mod event_log;
mod journal;
mod keys;
mod legacy;
mod maintenance;
mod sequence;
mod sled_files;
#[cfg(test)]
mod tests;

pub use maintenance::{
    DamagedRange, JournalCheck, JournalRepair, MaintenanceError, MovedRange, SegmentCheck,
};

use super::types::now_millis;
use super::{
    Attempt, ClaimedJob, EventFilter, EventPage, EventView, IngestOutcome, Job, JobId, JobState,
    Millis, NewEvent, NextStep, Routing, Store, StoreError, StoredEvent,
};
use crate::document::idempotency_key;
use crate::event::EventId;
use async_trait::async_trait;
use event_log::{EventLog, Record, TokenEntry};
use keys::{job_key, queue_group, queue_key, record_key, scoped, Prefix};
use sequence::Sequence;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most ingests answered by one sync.
const MAX_BATCH: usize = 1024;

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

/// Coalesces flushes: at most one `flush_async` runs at a time, and a caller whose writes
/// a running or finished flush already covers does not start another. Without this, many
/// jobs finishing at once each park a thread of sled's I/O pool in a flush, and the pool
/// can run out of threads to write the very buffers those flushes wait for.
#[derive(Default)]
struct SharedFlush {
    /// Tickets handed out: one per caller, taken after its writes were applied.
    requested: std::sync::atomic::AtomicU64,
    /// Every ticket up to this one is durable.
    durable: tokio::sync::Mutex<u64>,
}

impl SharedFlush {
    async fn flush(&self, db: &sled::Db) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering::SeqCst;
        let ticket = self.requested.fetch_add(1, SeqCst) + 1;
        let mut durable = self.durable.lock().await;
        if *durable >= ticket {
            return Ok(());
        }
        // Every ticket taken so far belongs to writes already applied: this flush covers them.
        let covered = self.requested.load(SeqCst);
        db.flush_async().await.map_err(backend)?;
        *durable = covered;
        Ok(())
    }
}

/// A delivery (or a token on its own) waiting for the writer.
struct IngestRequest {
    intake: Pending,
    reply: oneshot::Sender<Result<IngestOutcome, StoreError>>,
}

/// What the writer is asked to decide.
enum Pending {
    /// A verified delivery.
    Event(NewEvent),
    /// A token that came without an event (Lever's settings-page test).
    Token {
        account: String,
        token: String,
        received_at: Millis,
    },
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

    /// Hands a delivery or token to the writer and waits until it is decided and durable.
    async fn submit(&self, intake: Pending) -> Result<IngestOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writer
            .send(IngestRequest { intake, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Bytes the event journal takes on disk (sled's own files not counted).
    #[cfg(test)]
    pub(super) fn journal_bytes(&self) -> u64 {
        self.inner.log.disk_bytes()
    }
}

/// The single writer: decide every queued ingest and append them to the journal as one
/// group, then hand the answers to the syncer. Deciding the next group overlaps the
/// current sync.
async fn write_batches(inner: Arc<Inner>, mut requests: mpsc::Receiver<IngestRequest>) {
    let (to_sync, pending) = mpsc::unbounded_channel();
    tokio::spawn(sync_batches(inner.clone(), pending));
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while requests.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let answers = write_group(&inner, &mut batch);
        if to_sync.send(answers).is_err() {
            return;
        }
    }
}

/// Decides every queued ingest and appends them as one group (not yet synced).
fn write_group(inner: &Inner, batch: &mut Vec<IngestRequest>) -> Answers {
    let mut group = Group::default();
    // Held from the first decision until the group is indexed, so every decision sees
    // every earlier one.
    let mut state = inner.log.lock();
    let answers: Answers = batch
        .drain(..)
        .map(|r| (r.reply, inner.decide(r.intake, &state, &mut group)))
        .collect();
    match inner.log.append_intake(&mut state, group.records) {
        Ok(()) => answers,
        Err(e) => {
            let e = e.to_string();
            answers
                .into_iter()
                .map(|(reply, _)| (reply, Err(StoreError::Backend(e.clone()))))
                .collect()
        }
    }
}

type Answers = Vec<(
    oneshot::Sender<Result<IngestOutcome, StoreError>>,
    Result<IngestOutcome, StoreError>,
)>;

/// Makes appended groups durable: one sync for every group waiting, then their answers.
async fn sync_batches(inner: Arc<Inner>, mut pending: mpsc::UnboundedReceiver<Answers>) {
    let mut groups = Vec::new();
    while pending.recv_many(&mut groups, MAX_BATCH).await > 0 {
        let syncing = inner.clone();
        let synced = tokio::task::spawn_blocking(move || syncing.log.sync())
            .await
            .unwrap_or_else(|e| Err(StoreError::Backend(format!("journal sync: {e}"))));
        for (reply, outcome) in groups.drain(..).flatten() {
            let answer = match &synced {
                Ok(()) => outcome,
                Err(e) => Err(StoreError::Backend(e.to_string())),
            };
            // The caller may have gone (client hung up); the outcome stands either way.
            let _ = reply.send(answer);
        }
    }
}

/// What one group will append, and what it decided so far that later deliveries in the
/// same group must see (a delivery and its retry can arrive in one group).
#[derive(Default)]
struct Group {
    /// `Event` and `Token` records to append.
    records: Vec<Record>,
    /// Every dedupe and token entry this group decided, for lookups within the group.
    seen: HashMap<Vec<u8>, Vec<u8>>,
}

impl Group {
    /// Remembers `token` on its own (a rerun's fresh token, a settings-page test).
    fn remember(&mut self, token: TokenEntry) {
        let (key, value) = token.entry();
        self.seen.insert(key, value);
        self.records.push(Record::Token(token));
    }
}

impl Inner {
    /// A dedupe or token entry, wherever it is: this group, the journal's index, or (for
    /// retired segments) the tree.
    fn get(
        &self,
        key: &[u8],
        state: &event_log::State,
        group: &Group,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(value) = group.seen.get(key) {
            return Ok(Some(value.clone()));
        }
        let in_memory = match key.first() {
            Some(&Prefix::DEDUPE) => state.dedupe(key),
            _ => state.token(key),
        };
        if in_memory.is_some() {
            return Ok(in_memory);
        }
        Ok(self.tree.get(key).map_err(backend)?.map(|v| v.to_vec()))
    }

    fn release_leases(&self) -> Result<(), StoreError> {
        for item in self.tree.scan_prefix([Prefix::QUEUE]) {
            let (_, job_id) = item.map_err(backend)?;
            let key = job_key(&job_id);
            let Some(mut job) = self.load::<Job>(&key)? else {
                continue;
            };
            if job.lease_until.take().is_some() {
                self.tree.insert(key, to_json(&job)).map_err(backend)?;
            }
        }
        Ok(())
    }

    fn decide(
        &self,
        intake: Pending,
        state: &event_log::State,
        group: &mut Group,
    ) -> Result<IngestOutcome, StoreError> {
        match intake {
            Pending::Event(event) => self.decide_ingest(event, state, group),
            Pending::Token {
                account,
                token,
                received_at,
            } => {
                // No event's content hashes to NO_CONTENT, so a later event with this
                // token is always token reuse, decided by the same check as any replay.
                let entry = TokenEntry::new(
                    &account,
                    &token,
                    &keys::NO_CONTENT,
                    &keys::no_event(),
                    received_at,
                );
                // Already remembered (Lever retried the test): keep the first.
                if self.get(&entry.key(), state, group)?.is_none() {
                    group.remember(entry);
                }
                Ok(IngestOutcome::Duplicate(keys::no_event()))
            }
        }
    }

    fn decide_ingest(
        &self,
        event: NewEvent,
        state: &event_log::State,
        group: &mut Group,
    ) -> Result<IngestOutcome, StoreError> {
        let token_key = scoped(Prefix::TOKEN, &event.account, &event.token);
        if let Some(seen) = self.get(&token_key, state, group)? {
            let (hash, id) = keys::split_token_value(&seen).map_err(corrupt)?;
            return Ok(if hash == event.content_hash {
                IngestOutcome::Duplicate(id)
            } else {
                IngestOutcome::TokenReused
            });
        }
        let dedupe_key = scoped(Prefix::DEDUPE, &event.account, &event.dedupe_key);
        if let Some(id) = self.get(&dedupe_key, state, group)? {
            let id = EventId::new(String::from_utf8_lossy(&id).into_owned());
            // A rerun with a fresh token: remember the token as this event's.
            group.remember(TokenEntry::new(
                &event.account,
                &event.token,
                &event.content_hash,
                &id,
                event.received_at,
            ));
            return Ok(IngestOutcome::Duplicate(id));
        }
        let token = TokenEntry::new(
            &event.account,
            &event.token,
            &event.content_hash,
            &event.id,
            event.received_at,
        );
        group.seen.insert(token_key, token.value());
        group
            .seen
            .insert(dedupe_key, event.id.as_str().as_bytes().to_vec());
        let accepted = event.id.clone();
        let stored = StoredEvent {
            id: event.id,
            seq: self.sequence.next(&self.db)?,
            account: event.account,
            event: event.event,
            triggered_at: event.triggered_at,
            received_at: event.received_at,
            envelope_id: event.envelope_id,
            dedupe_key: event.dedupe_key,
            opportunity_id: event.opportunity_id,
            contact_id: event.contact_id,
            data: event.data,
            purged_at: None,
        };
        group.records.push(Record::Event {
            event: stored,
            token: Some(token),
        });
        Ok(IngestOutcome::Accepted(accepted))
    }

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

    /// The first queue entry of each order group: the only jobs that may run.
    fn queue_heads(&self) -> impl Iterator<Item = Result<sled::IVec, StoreError>> + '_ {
        let mut last_group: Option<Vec<u8>> = None;
        self.tree
            .scan_prefix([Prefix::QUEUE])
            .filter_map(move |item| {
                let (key, job_id) = match item {
                    Ok(kv) => kv,
                    Err(e) => return Some(Err(backend(e))),
                };
                let group = queue_group(&key).to_vec();
                if last_group.as_ref() == Some(&group) {
                    return None;
                }
                last_group = Some(group);
                Some(Ok(job_id))
            })
    }

    fn lock_jobs(&self) -> std::sync::MutexGuard<'_, ()> {
        // A panic while holding the lock leaves no half-written state (writes are batches).
        self.jobs_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
        let inner = &self.inner;
        let mut seqs = Vec::with_capacity(routed.len());
        let created = {
            let _guard = inner.lock_jobs();
            let mut writes = sled::Batch::default();
            let mut created = false;
            for Routing { event, seq, jobs } in routed {
                for new in jobs {
                    let job = Job {
                        id: idempotency_key(&event, &new.handler),
                        event_id: event.clone(),
                        event_seq: seq,
                        handler: new.handler,
                        order_key: new.order_key,
                        state: JobState::Pending,
                        next_at: new.run_at,
                        lease_until: None,
                        budget_start: 0,
                        attempts: Vec::new(),
                    };
                    let key = job_key(job.id.as_bytes());
                    if inner.tree.contains_key(&key).map_err(backend)? {
                        continue;
                    }
                    writes.insert(queue_key(&job), job.id.as_bytes());
                    writes.insert(key, to_json(&job));
                    created = true;
                }
                seqs.push(seq);
            }
            if created {
                inner.tree.apply_batch(writes).map_err(backend)?;
            }
            created
        };
        // The jobs are durable before the mark says the events were routed; a mark lost
        // in a crash only routes them again, which creates nothing new.
        if created {
            inner.flusher.flush(&inner.db).await?;
        }
        inner.log.mark_routed(seqs)
    }

    async fn claim(
        &self,
        now: Millis,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        let inner = &self.inner;
        let lease_until = now + lease.as_millis() as Millis;
        let mut leased = Vec::new();
        let mut writes = sled::Batch::default();
        {
            let _guard = inner.lock_jobs();
            for head in inner.queue_heads() {
                if leased.len() >= limit {
                    break;
                }
                let key = job_key(&head?);
                let Some(mut job) = inner.load::<Job>(&key)? else {
                    continue;
                };
                let busy = job.lease_until.is_some_and(|until| until > now);
                if job.state != JobState::Pending || job.next_at > now || busy {
                    continue;
                }
                job.lease_until = Some(lease_until);
                writes.insert(key, to_json(&job));
                leased.push(job);
            }
            // An empty batch still writes a record to sled's log.
            if !leased.is_empty() {
                inner.tree.apply_batch(writes).map_err(backend)?;
            }
        }
        let mut claimed = Vec::with_capacity(leased.len());
        for job in leased {
            let event = inner
                .event(&job.event_id)?
                .ok_or_else(|| corrupt(format!("job {} without its event", job.id)))?;
            claimed.push(ClaimedJob { job, event });
        }
        Ok(claimed)
    }

    async fn finish_attempt(
        &self,
        job_id: &JobId,
        attempt: Attempt,
        next: NextStep,
    ) -> Result<(), StoreError> {
        let inner = &self.inner;
        {
            let _guard = inner.lock_jobs();
            let key = job_key(job_id.as_bytes());
            let mut job: Job = inner
                .load(&key)?
                .ok_or_else(|| corrupt(format!("finishing unknown job {job_id}")))?;
            job.attempts.push(attempt);
            job.lease_until = None;
            match next {
                NextStep::Done => job.state = JobState::Done,
                NextStep::Dead => job.state = JobState::Dead,
                NextStep::RetryAt(at) => {
                    job.state = JobState::Pending;
                    job.next_at = at;
                }
            }
            let mut writes = sled::Batch::default();
            writes.insert(key, to_json(&job));
            if job.state != JobState::Pending {
                writes.remove(queue_key(&job));
            }
            inner.tree.apply_batch(writes).map_err(backend)?;
        }
        // A finished job must stay finished after a crash, or its handler runs twice.
        inner.flusher.flush(&inner.db).await
    }

    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        let inner = &self.inner;
        let now = now_millis();
        let mut earliest: Option<Millis> = None;
        for head in inner.queue_heads() {
            let Some(job) = inner.load::<Job>(&job_key(&head?))? else {
                continue;
            };
            let due = match job.lease_until {
                Some(until) if until > now => continue,
                _ => job.next_at,
            };
            earliest = Some(earliest.map_or(due, |e| e.min(due)));
        }
        Ok(earliest)
    }

    async fn due_count(&self, now: Millis) -> Result<Option<usize>, StoreError> {
        let inner = &self.inner;
        let mut due = 0;
        for head in inner.queue_heads() {
            let Some(job) = inner.load::<Job>(&job_key(&head?))? else {
                continue;
            };
            let busy = job.lease_until.is_some_and(|until| until > now);
            if job.state == JobState::Pending && job.next_at <= now && !busy {
                due += 1;
            }
        }
        Ok(Some(due))
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

    async fn record(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        self.inner.load(&record_key(key))
    }

    async fn put_record(&self, key: &str, value: serde_json::Value) -> Result<(), StoreError> {
        let inner = &self.inner;
        inner
            .tree
            .insert(record_key(key), to_json(&value))
            .map_err(backend)?;
        inner.flusher.flush(&inner.db).await
    }

    async fn insert_record(
        &self,
        key: &str,
        value: serde_json::Value,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let inner = &self.inner;
        let swapped = inner
            .tree
            .compare_and_swap(record_key(key), None::<&[u8]>, Some(to_json(&value)))
            .map_err(backend)?;
        match swapped {
            Ok(()) => {
                inner.flusher.flush(&inner.db).await?;
                Ok(None)
            }
            Err(conflict) => match conflict.current {
                Some(existing) => Ok(Some(from_json(&existing)?)),
                None => Err(corrupt("record vanished during insert")),
            },
        }
    }

    async fn records(&self, prefix: &str) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        self.inner
            .tree
            .scan_prefix(record_key(prefix))
            .map(|item| {
                let (key, value) = item.map_err(backend)?;
                let key = String::from_utf8_lossy(&key[1..]).into_owned();
                Ok((key, from_json(&value)?))
            })
            .collect()
    }

    async fn delete_record(&self, key: &str) -> Result<(), StoreError> {
        let inner = &self.inner;
        inner.tree.remove(record_key(key)).map_err(backend)?;
        inner.flusher.flush(&inner.db).await
    }
}
