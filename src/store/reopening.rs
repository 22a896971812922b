//! Recovering from a failed disk without a restart: sled turns any I/O error (a full disk,
//! say) into an error of every later call, so [`ReopeningStore`] closes the failed store
//! and opens it again from disk until that works.
//!
//! What was answered 200 was flushed before the answer, so it is on disk and comes back
//! with the reopened store; a delivery whose write failed was answered 503 and Lever sends
//! it again. While the store is closed, every call fails at once with a backend error
//! (intake answers 503, workers pause and retry).

use super::{
    Attempt, ClaimedJob, EventFilter, EventPage, EventView, IngestOutcome, Job, JobId, Millis,
    NewEvent, NextStep, Routing, SledStore, Store, StoreError, StoredEvent,
};
use crate::event::EventId;
use crate::record_key::{RecordKey, RecordPrefix};
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::RwLock;
use tracing::{error, info};

/// How often a reopen is tried.
const REOPEN_EVERY: Duration = Duration::from_millis(250);
/// How often a reopen that keeps failing is logged.
const LOG_EVERY: u32 = 40;

/// The on-disk sled store, reopened in place after a backend error.
pub struct ReopeningStore {
    shared: Arc<Shared>,
}

struct Shared {
    path: PathBuf,
    /// `None` while the failed store is closed and the new one not yet open.
    current: RwLock<Option<Arc<SledStore>>>,
    reopening: AtomicBool,
}

impl ReopeningStore {
    /// Opens the store in `path` (see [`SledStore::open`]).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let store = SledStore::open(path)?;
        Ok(Self {
            shared: Arc::new(Shared {
                path: path.to_owned(),
                current: RwLock::new(Some(Arc::new(store))),
                reopening: AtomicBool::new(false),
            }),
        })
    }

    async fn current(&self) -> Result<Arc<SledStore>, StoreError> {
        self.shared.current.read().await.clone().ok_or_else(|| {
            StoreError::Backend("the store is being reopened after an I/O error".to_owned())
        })
    }

    /// Starts reopening when `result` is a backend error of `store`.
    fn check<T>(&self, store: Arc<SledStore>, result: &Result<T, StoreError>) {
        if !matches!(result, Err(StoreError::Backend(_))) {
            return;
        }
        if self.shared.reopening.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Err(e) = result {
            error!(error = %e, path = %self.shared.path.display(), "the store failed; closing it and opening it again from disk");
        }
        tokio::spawn(reopen(self.shared.clone(), store));
    }
}

async fn reopen(shared: Arc<Shared>, failed: Arc<SledStore>) {
    {
        let mut current = shared.current.write().await;
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, &failed)) {
            *current = None;
        }
    }
    // The old store lets go of its files once the calls still holding it return.
    drop(failed);
    let mut tries = 0u32;
    loop {
        tokio::time::sleep(REOPEN_EVERY).await;
        match SledStore::open(&shared.path) {
            Ok(store) => {
                *shared.current.write().await = Some(Arc::new(store));
                shared.reopening.store(false, Ordering::SeqCst);
                info!(path = %shared.path.display(), tries, "the store is open again");
                return;
            }
            Err(e) => {
                tries += 1;
                if tries % LOG_EVERY == 1 {
                    error!(error = %e, path = %shared.path.display(), tries, "the store cannot be opened yet; retrying");
                }
            }
        }
    }
}

/// Forwards one call to the current store and watches its result.
macro_rules! forward {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {{
        let store = $self.current().await?;
        let result = store.$method($($arg),*).await;
        $self.check(store, &result);
        result
    }};
}

#[async_trait]
impl Store for ReopeningStore {
    async fn ingest(&self, event: NewEvent) -> Result<IngestOutcome, StoreError> {
        forward!(self.ingest(event))
    }

    async fn remember_token(
        &self,
        account: &str,
        token: &str,
        received_at: Millis,
    ) -> Result<(), StoreError> {
        forward!(self.remember_token(account, token, received_at))
    }

    async fn unrouted(&self, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        forward!(self.unrouted(limit))
    }

    async fn route(&self, routed: Vec<Routing>) -> Result<(), StoreError> {
        forward!(self.route(routed))
    }

    async fn claim(
        &self,
        now: Millis,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        forward!(self.claim(now, limit, lease))
    }

    async fn finish_attempt(
        &self,
        job: &JobId,
        attempt: Attempt,
        next: NextStep,
    ) -> Result<(), StoreError> {
        forward!(self.finish_attempt(job, attempt, next))
    }

    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        forward!(self.next_due())
    }

    async fn due_count(&self, now: Millis) -> Result<Option<usize>, StoreError> {
        forward!(self.due_count(now))
    }

    async fn event(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError> {
        forward!(self.event(id))
    }

    async fn jobs_of(&self, id: &EventId) -> Result<Vec<Job>, StoreError> {
        forward!(self.jobs_of(id))
    }

    async fn flush(&self) -> Result<(), StoreError> {
        forward!(self.flush())
    }

    async fn event_view(&self, id: &EventId) -> Result<Option<EventView>, StoreError> {
        forward!(self.event_view(id))
    }

    async fn list_events(
        &self,
        filter: &EventFilter,
        before: Option<&str>,
        limit: usize,
    ) -> Result<EventPage, StoreError> {
        forward!(self.list_events(filter, before, limit))
    }

    async fn replay(
        &self,
        event: &EventId,
        handler: Option<&str>,
        now: Millis,
    ) -> Result<Vec<JobId>, StoreError> {
        forward!(self.replay(event, handler, now))
    }

    async fn retry_dead(
        &self,
        filter: &EventFilter,
        now: Millis,
    ) -> Result<Vec<JobId>, StoreError> {
        forward!(self.retry_dead(filter, now))
    }

    async fn purge_events(&self, filter: &EventFilter, now: Millis) -> Result<usize, StoreError> {
        forward!(self.purge_events(filter, now))
    }

    async fn prune(&self, cutoff: Millis) -> Result<usize, StoreError> {
        forward!(self.prune(cutoff))
    }

    async fn record(&self, key: &RecordKey) -> Result<Option<serde_json::Value>, StoreError> {
        forward!(self.record(key))
    }

    async fn put_record(
        &self,
        key: &RecordKey,
        value: serde_json::Value,
    ) -> Result<(), StoreError> {
        forward!(self.put_record(key, value))
    }

    async fn insert_record(
        &self,
        key: &RecordKey,
        value: serde_json::Value,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        forward!(self.insert_record(key, value))
    }

    async fn records(
        &self,
        prefix: &RecordPrefix,
    ) -> Result<Vec<(RecordKey, serde_json::Value)>, StoreError> {
        forward!(self.records(prefix))
    }

    async fn delete_record(&self, key: &RecordKey) -> Result<(), StoreError> {
        forward!(self.delete_record(key))
    }
}
