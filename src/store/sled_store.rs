//! The embedded sled backend: zero setup, one process, group commit for durable intake.
//!
//! One writer task owns ingestion. Concurrent deliveries queue up while it flushes, so a
//! single `flush` makes a whole batch durable before every waiter is answered. Throughput
//! comes from that batching, never from skipping the flush.

mod keys;

use super::types::now_millis;
use super::{
    Attempt, ClaimedJob, IngestOutcome, Job, JobId, JobState, Millis, NewEvent, NewJob, NextStep,
    Store, StoreError, StoredEvent,
};
use crate::document::idempotency_key;
use crate::event::EventId;
use async_trait::async_trait;
use keys::{queue_group, queue_key, scoped};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use std::path::Path;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most ingests answered by one flush.
const MAX_BATCH: usize = 1024;

/// The sled-backed [`Store`].
#[derive(Clone)]
pub struct SledStore {
    trees: Trees,
    writer: mpsc::Sender<IngestRequest>,
}

#[derive(Clone)]
struct Trees {
    db: sled::Db,
    /// event id → `StoredEvent` JSON
    events: sled::Tree,
    /// seq (big-endian) → event id, for events not routed yet
    unrouted: sled::Tree,
    /// account \0 dedupe key → event id
    dedupe: sled::Tree,
    /// account \0 token → received_at (8) + content hash (32) + event id
    tokens: sled::Tree,
    /// job id → `Job` JSON
    jobs: sled::Tree,
    /// order group + seq + handler → job id, for pending jobs only
    queue: sled::Tree,
}

struct IngestRequest {
    event: NewEvent,
    reply: oneshot::Sender<Result<IngestOutcome, StoreError>>,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn tx_error(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => backend(e),
    }
}

impl SledStore {
    /// Opens (or creates) a store in `path`. Must be called inside a Tokio runtime.
    ///
    /// Leases left by a previous process are released: sled allows one process per
    /// folder, so every leased job was in flight when that process stopped.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = sled::Config::new().path(path).open().map_err(backend)?;
        Self::from_db(db)
    }

    /// A store in a temporary folder, removed when dropped (tests, benchmarks).
    pub fn temporary() -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .temporary(true)
            .open()
            .map_err(backend)?;
        Self::from_db(db)
    }

    fn from_db(db: sled::Db) -> Result<Self, StoreError> {
        let tree = |name: &str| db.open_tree(name).map_err(backend);
        let trees = Trees {
            events: tree("events")?,
            unrouted: tree("unrouted")?,
            dedupe: tree("dedupe")?,
            tokens: tree("tokens")?,
            jobs: tree("jobs")?,
            queue: tree("queue")?,
            db,
        };
        trees.release_leases()?;
        let (writer, requests) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_batches(trees.clone(), requests));
        Ok(Self { trees, writer })
    }
}

/// The single writer: apply every queued ingest, flush once, answer them all.
async fn write_batches(trees: Trees, mut requests: mpsc::Receiver<IngestRequest>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while requests.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let outcomes: Vec<_> = batch.iter().map(|r| trees.apply_ingest(&r.event)).collect();
        let flushed = trees.db.flush_async().await;
        for (request, outcome) in batch.drain(..).zip(outcomes) {
            let answer = match &flushed {
                Ok(_) => outcome,
                Err(e) => Err(backend(e)),
            };
            // The caller may have gone (client hung up); the event is stored either way.
            let _ = request.reply.send(answer);
        }
    }
}

impl Trees {
    fn release_leases(&self) -> Result<(), StoreError> {
        for item in self.queue.iter() {
            let (_, job_id) = item.map_err(backend)?;
            let Some(mut job) = self.load_job(&job_id)? else {
                continue;
            };
            if job.lease_until.take().is_some() {
                self.jobs.insert(&job_id, to_json(&job)).map_err(backend)?;
            }
        }
        Ok(())
    }

    fn apply_ingest(&self, event: &NewEvent) -> Result<IngestOutcome, StoreError> {
        let token_key = scoped(&event.account, &event.token);
        if let Some(seen) = self.tokens.get(&token_key).map_err(backend)? {
            let (hash, id) = keys::split_token_value(&seen).map_err(corrupt)?;
            return Ok(if hash == event.content_hash {
                IngestOutcome::Duplicate(id)
            } else {
                IngestOutcome::TokenReused
            });
        }
        let token_value = keys::token_value(event.received_at, &event.content_hash, &event.id);
        let dedupe_key = scoped(&event.account, &event.dedupe_key);
        if let Some(id) = self.dedupe.get(&dedupe_key).map_err(backend)? {
            let id = EventId::new(String::from_utf8_lossy(&id).into_owned());
            // A rerun with a fresh token: remember the token as this event's.
            let value = keys::token_value(event.received_at, &event.content_hash, &id);
            self.tokens.insert(token_key, value).map_err(backend)?;
            return Ok(IngestOutcome::Duplicate(id));
        }
        let seq = self.db.generate_id().map_err(backend)?;
        let stored = StoredEvent {
            id: event.id.clone(),
            seq,
            account: event.account.clone(),
            event: event.event.clone(),
            triggered_at: event.triggered_at,
            received_at: event.received_at,
            envelope_id: event.envelope_id.clone(),
            dedupe_key: event.dedupe_key.clone(),
            opportunity_id: event.opportunity_id.clone(),
            contact_id: event.contact_id.clone(),
            data: event.data.clone(),
        };
        let id = event.id.as_str().as_bytes();
        (&self.events, &self.dedupe, &self.tokens, &self.unrouted)
            .transaction(|(events, dedupe, tokens, unrouted)| {
                events.insert(id, to_json(&stored))?;
                dedupe.insert(dedupe_key.as_slice(), id)?;
                tokens.insert(token_key.as_slice(), token_value.as_slice())?;
                unrouted.insert(&seq.to_be_bytes(), id)?;
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(tx_error)?;
        Ok(IngestOutcome::Accepted(event.id.clone()))
    }

    fn load_event(&self, id: &[u8]) -> Result<Option<StoredEvent>, StoreError> {
        self.events
            .get(id)
            .map_err(backend)?
            .map(|bytes| from_json(&bytes))
            .transpose()
    }

    fn load_job(&self, id: &[u8]) -> Result<Option<Job>, StoreError> {
        self.jobs
            .get(id)
            .map_err(backend)?
            .map(|bytes| from_json(&bytes))
            .transpose()
    }

    /// The first queue entry of each order group: the only jobs that may run.
    fn queue_heads(&self) -> impl Iterator<Item = Result<sled::IVec, StoreError>> + '_ {
        let mut last_group: Option<Vec<u8>> = None;
        self.queue.iter().filter_map(move |item| {
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
        let (reply, answer) = oneshot::channel();
        self.writer
            .send(IngestRequest { event, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    async fn unrouted(&self, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let mut events = Vec::new();
        for item in self.trees.unrouted.iter().take(limit) {
            let (_, id) = item.map_err(backend)?;
            let event = self
                .trees
                .load_event(&id)?
                .ok_or_else(|| corrupt("unrouted entry without its event"))?;
            events.push(event);
        }
        Ok(events)
    }

    async fn route(&self, event: &EventId, jobs: Vec<NewJob>) -> Result<(), StoreError> {
        let t = &self.trees;
        let stored = t
            .load_event(event.as_str().as_bytes())?
            .ok_or_else(|| corrupt(format!("routing unknown event {event}")))?;
        let records: Vec<Job> = jobs
            .into_iter()
            .map(|new| Job {
                id: idempotency_key(event, &new.handler),
                event_id: event.clone(),
                event_seq: stored.seq,
                handler: new.handler,
                order_key: new.order_key,
                state: JobState::Pending,
                next_at: new.run_at,
                lease_until: None,
                budget_start: 0,
                attempts: Vec::new(),
            })
            .collect();
        (&t.unrouted, &t.jobs, &t.queue)
            .transaction(|(unrouted, jobs, queue)| {
                for job in &records {
                    if jobs.get(job.id.as_bytes())?.is_some() {
                        continue;
                    }
                    jobs.insert(job.id.as_bytes(), to_json(job))?;
                    queue.insert(queue_key(job), job.id.as_bytes())?;
                }
                unrouted.remove(&stored.seq.to_be_bytes())?;
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(tx_error)
    }

    async fn claim(
        &self,
        now: Millis,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        let t = &self.trees;
        let lease_until = now + lease.as_millis() as Millis;
        let mut claimed = Vec::new();
        for head in t.queue_heads() {
            if claimed.len() >= limit {
                break;
            }
            let job_id = head?;
            let Some(mut job) = t.load_job(&job_id)? else {
                continue;
            };
            let leased = job.lease_until.is_some_and(|until| until > now);
            if job.state != JobState::Pending || job.next_at > now || leased {
                continue;
            }
            job.lease_until = Some(lease_until);
            t.jobs.insert(&job_id, to_json(&job)).map_err(backend)?;
            let event = t
                .load_event(job.event_id.as_str().as_bytes())?
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
        let t = &self.trees;
        let mut job = t
            .load_job(job_id.as_bytes())?
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
        let queue_entry = queue_key(&job);
        (&t.jobs, &t.queue)
            .transaction(|(jobs, queue)| {
                jobs.insert(job.id.as_bytes(), to_json(&job))?;
                if job.state != JobState::Pending {
                    queue.remove(queue_entry.as_slice())?;
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(tx_error)?;
        // A finished job must stay finished after a crash, or its handler runs twice.
        t.db.flush_async().await.map_err(backend)?;
        Ok(())
    }

    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        let t = &self.trees;
        let now = now_millis();
        let mut earliest: Option<Millis> = None;
        for head in t.queue_heads() {
            let Some(job) = t.load_job(&head?)? else {
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

    async fn event(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError> {
        self.trees.load_event(id.as_str().as_bytes())
    }

    async fn jobs_of(&self, id: &EventId) -> Result<Vec<Job>, StoreError> {
        let prefix = format!("{id}:");
        self.trees
            .jobs
            .scan_prefix(prefix.as_bytes())
            .map(|item| item.map_err(backend).and_then(|(_, v)| from_json(&v)))
            .collect()
    }

    async fn flush(&self) -> Result<(), StoreError> {
        self.trees.db.flush_async().await.map_err(backend)?;
        Ok(())
    }
}
