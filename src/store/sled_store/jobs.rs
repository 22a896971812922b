//! Jobs in the sled tree: created by routing, leased by claims, finished by attempts, and
//! the queue heads that say which job of each order group may run next. Every change that
//! reads a job and writes it back holds the one jobs lock.

use super::keys::{job_key, queue_group, queue_key, Prefix};
use super::{backend, corrupt, to_json, Inner, SledStore};
use crate::document::idempotency_key;
use crate::store::types::now_millis;
use crate::store::{
    Attempt, ClaimedJob, Job, JobId, JobState, Millis, NextStep, Routing, StoreError,
};
use std::time::Duration;

impl SledStore {
    /// Creates the jobs of routed events (durable), then marks the events routed.
    pub(super) async fn create_jobs(&self, routed: Vec<Routing>) -> Result<(), StoreError> {
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

    /// Leases up to `limit` due jobs at the heads of their order groups.
    pub(super) async fn lease_due(
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

    /// Records one attempt and what comes next, durable when it returns.
    pub(super) async fn record_attempt(
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

    /// When the earliest queue head falls due, if any.
    pub(super) async fn earliest_due(&self) -> Result<Option<Millis>, StoreError> {
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

    /// How many queue heads are due at `now` and not leased.
    pub(super) async fn count_due(&self, now: Millis) -> Result<Option<usize>, StoreError> {
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
}

impl Inner {
    /// Releases every lease: called at open, when no job can be in flight.
    pub(super) fn release_leases(&self) -> Result<(), StoreError> {
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

    /// Takes the jobs lock.
    pub(super) fn lock_jobs(&self) -> std::sync::MutexGuard<'_, ()> {
        // A panic while holding the lock leaves no half-written state (writes are batches).
        self.jobs_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
