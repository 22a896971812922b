//! The operator's side of the sled store: listing events with their jobs, replaying,
//! retrying dead letters, purging by filter, and pruning old events.

use super::keys::{job_key, queue_key};
use super::{backend, from_json, to_json, Inner};
use crate::event::EventId;
use crate::store::query::{EventFilter, EventPage, EventStatus, EventView};
use crate::store::{Job, JobId, JobState, Millis, StoreError, StoredEvent};

impl Inner {
    /// Every job of one event.
    pub(super) fn jobs(&self, id: &EventId) -> Result<Vec<Job>, StoreError> {
        self.tree
            .scan_prefix(job_key(format!("{id}:").as_bytes()))
            .map(|item| item.map_err(backend).and_then(|(_, v)| from_json(&v)))
            .collect()
    }

    fn routed(&self, event: &StoredEvent) -> bool {
        self.log.routed(&event.id).unwrap_or(false)
    }

    /// Events newest first (ids grow with time), older than `before` when given, listed a
    /// page at a time and read from the journal one by one (one pruned meanwhile is
    /// skipped).
    fn events_newest_first(
        &self,
        before: Option<&str>,
    ) -> impl Iterator<Item = Result<StoredEvent, StoreError>> + '_ {
        const PAGE: usize = 256;
        let mut cursor = before.map(EventId::new);
        let mut page = std::collections::VecDeque::new();
        let mut exhausted = false;
        std::iter::from_fn(move || loop {
            if page.is_empty() {
                if exhausted {
                    return None;
                }
                page.extend(self.log.newest_first(cursor.as_ref(), PAGE));
                exhausted = page.len() < PAGE;
                cursor = page.back().cloned();
            }
            let id = page.pop_front()?;
            if let Some(event) = self.log.event(&id).transpose() {
                return Some(event);
            }
        })
    }

    /// Events newest first (older than `before` when given) that `filter` matches, each
    /// with whether it was routed and its jobs.
    fn matching<'a>(
        &'a self,
        filter: &'a EventFilter,
        before: Option<&str>,
    ) -> impl Iterator<Item = Result<(StoredEvent, bool, Vec<Job>), StoreError>> + 'a {
        self.events_newest_first(before).filter_map(move |event| {
            let found = (|| {
                let event = event?;
                if !filter.matches_event(&event) {
                    return Ok(None);
                }
                let jobs = self.jobs(&event.id)?;
                let routed = self.routed(&event);
                Ok(filter
                    .matches(&event, routed, &jobs)
                    .then_some((event, routed, jobs)))
            })();
            found.transpose()
        })
    }

    pub(super) fn event_view(&self, id: &EventId) -> Result<Option<EventView>, StoreError> {
        let Some(event) = self.event(id)? else {
            return Ok(None);
        };
        let jobs = self.jobs(id)?;
        let status = EventStatus::of(self.routed(&event), &jobs.iter().collect::<Vec<_>>());
        Ok(Some(EventView {
            event,
            status,
            jobs,
        }))
    }

    pub(super) fn list_events(
        &self,
        filter: &EventFilter,
        before: Option<&str>,
        limit: usize,
    ) -> Result<EventPage, StoreError> {
        let mut events = Vec::new();
        let mut next = None;
        for found in self.matching(filter, before) {
            let (event, routed, jobs) = found?;
            if events.len() == limit {
                next = events.last().map(|v: &EventView| v.event.id.to_string());
                break;
            }
            let status = EventStatus::of(routed, &jobs.iter().collect::<Vec<_>>());
            events.push(EventView {
                event,
                status,
                jobs,
            });
        }
        Ok(EventPage { events, next })
    }

    /// Makes `jobs` pending again at `now` with a fresh retry budget (attempts kept);
    /// jobs already pending stay as they are. Returns the ids of the jobs that will run.
    fn rerun(&self, jobs: Vec<Job>, now: Millis) -> Result<Vec<JobId>, StoreError> {
        let mut writes = sled::Batch::default();
        let mut ids = Vec::new();
        for mut job in jobs {
            if job.state != JobState::Pending {
                job.state = JobState::Pending;
                job.next_at = now;
                job.lease_until = None;
                job.budget_start = job.attempts.len() as u32;
                writes.insert(queue_key(&job), job.id.as_bytes());
                writes.insert(job_key(job.id.as_bytes()), to_json(&job));
            }
            ids.push(job.id);
        }
        self.tree.apply_batch(writes).map_err(backend)?;
        Ok(ids)
    }

    pub(super) fn replay(
        &self,
        id: &EventId,
        handler: Option<&str>,
        now: Millis,
    ) -> Result<Vec<JobId>, StoreError> {
        let _guard = self.lock_jobs();
        let jobs = self
            .jobs(id)?
            .into_iter()
            .filter(|j| handler.map_or(true, |h| h == j.handler))
            .collect();
        self.rerun(jobs, now)
    }

    pub(super) fn retry_dead(
        &self,
        filter: &EventFilter,
        now: Millis,
    ) -> Result<Vec<JobId>, StoreError> {
        let _guard = self.lock_jobs();
        let mut dead = Vec::new();
        for found in self.matching(filter, None) {
            let (_, _, jobs) = found?;
            dead.extend(
                filter
                    .jobs(&jobs)
                    .into_iter()
                    .filter(|j| j.state == JobState::Dead)
                    .cloned(),
            );
        }
        self.rerun(dead, now)
    }

    pub(super) fn purge_events(
        &self,
        filter: &EventFilter,
        now: Millis,
    ) -> Result<usize, StoreError> {
        let mut tombstones = Vec::new();
        for found in self.matching(filter, None) {
            let (mut event, _, _) = found?;
            if event.purged_at.is_some() {
                continue;
            }
            event.data = crate::purge::tombstone(&event.data);
            event.purged_at = Some(now);
            tombstones.push(event);
        }
        let purged = tombstones.len();
        self.log.replace(tombstones)?;
        Ok(purged)
    }

    /// Deletes events received before `cutoff` that are routed and whose jobs all
    /// finished, with their jobs. Dedupe keys and tokens stay (they are small, and a
    /// late redelivery must still be recognised). Then retires the journal segments no
    /// event lives in any more.
    ///
    /// Event ids grow with the time they were received, so only events older than the
    /// cutoff are looked at: a run costs what it deletes, not the size of the store.
    pub(super) fn prune(&self, cutoff: Millis) -> Result<usize, StoreError> {
        let mut pruned = Vec::new();
        {
            let _guard = self.lock_jobs();
            let mut writes = sled::Batch::default();
            for id in self.log.routed_before(cutoff) {
                let jobs = self.jobs(&id)?;
                if jobs.iter().any(|j| j.state == JobState::Pending) {
                    continue;
                }
                for job in &jobs {
                    writes.remove(job_key(job.id.as_bytes()));
                }
                pruned.push(id);
            }
            self.tree.apply_batch(writes).map_err(backend)?;
        }
        // Jobs first: an event whose jobs are gone is pruned again by the next run, while
        // jobs whose event is gone could never be.
        self.db.flush().map_err(backend)?;
        let count = self.log.prune(&pruned)?;
        self.log.retire(&self.tree, &self.db)?;
        Ok(count)
    }
}
