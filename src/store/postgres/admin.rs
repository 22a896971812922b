//! The operator's side on PostgreSQL: listing events with their jobs (newest first, in
//! pages), replaying, retrying dead letters, purging by filter, and pruning.
//!
//! The event's own fields of an [`EventFilter`] narrow the SQL; handler and status are then
//! decided by [`EventFilter::matches`] itself, so both backends mean the same thing.

use super::rows::{event_from, job_from, EVENT_COLUMNS, JOB_COLUMNS};
use super::{backend, ms, PostgresStore};
use crate::event::EventId;
use crate::store::query::{EventFilter, EventPage, EventStatus, EventView};
use crate::store::{Change, Job, JobId, Millis, StoreError, StoredEvent};
use sqlx::PgPool;
use std::collections::HashMap;

/// Events read per round while looking for matches.
const CHUNK: i64 = 256;

/// An event that passed the filter, with whether it was routed and its jobs.
struct Matched {
    event: StoredEvent,
    routed: bool,
    jobs: Vec<Job>,
}

impl Matched {
    fn view(self) -> EventView {
        let status = EventStatus::of(self.routed, &self.jobs.iter().collect::<Vec<_>>());
        EventView {
            event: self.event,
            status,
            jobs: self.jobs,
        }
    }
}

/// Extra SQL narrowing of [`matching`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Only {
    Any,
    WithDeadJobs,
    NotPurged,
}

/// Events `filter` matches, newest first (ids grow with time), older than `before`, at
/// most `want` of them.
async fn matching(
    pool: &PgPool,
    filter: &EventFilter,
    mut before: Option<String>,
    want: usize,
    only: Only,
) -> Result<Vec<Matched>, StoreError> {
    let extra = match only {
        Only::Any => "",
        Only::WithDeadJobs => {
            "AND EXISTS (SELECT 1 FROM jobs d WHERE d.event_id = e.id AND d.state = 'dead')"
        }
        Only::NotPurged => "AND e.purged_at IS NULL",
    };
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events e \
         WHERE ($1::text IS NULL OR e.id < $1) \
           AND ($2::text IS NULL OR e.account = $2) \
           AND ($3::text IS NULL OR e.event = $3) \
           AND ($4::text IS NULL OR e.opportunity_id = $4) \
           AND ($5::text IS NULL OR e.contact_id = $5) \
           AND ($6::bigint IS NULL OR e.received_at >= $6) \
           AND ($7::bigint IS NULL OR e.received_at < $7) \
           AND ($8::text IS NULL OR EXISTS \
               (SELECT 1 FROM jobs h WHERE h.event_id = e.id AND h.handler = $8)) \
           {extra} \
         ORDER BY e.id DESC LIMIT $9"
    );
    let mut found = Vec::new();
    loop {
        let rows = sqlx::query(&sql)
            .bind(&before)
            .bind(&filter.account)
            .bind(&filter.event)
            .bind(&filter.opportunity)
            .bind(&filter.contact)
            .bind(filter.since.map(ms))
            .bind(filter.until.map(ms))
            .bind(&filter.handler)
            .bind(CHUNK)
            .fetch_all(pool)
            .await
            .map_err(backend)?;
        let exhausted = (rows.len() as i64) < CHUNK;
        let events = rows.iter().map(event_from).collect::<Result<Vec<_>, _>>()?;
        before = events.last().map(|(e, _)| e.id.to_string());
        let mut jobs = jobs_of_events(pool, events.iter().map(|(e, _)| e.id.as_str())).await?;
        for (event, routed) in events {
            let jobs = jobs.remove(event.id.as_str()).unwrap_or_default();
            if filter.matches(&event, routed, &jobs) {
                found.push(Matched {
                    event,
                    routed,
                    jobs,
                });
                if found.len() >= want {
                    return Ok(found);
                }
            }
        }
        if exhausted {
            return Ok(found);
        }
    }
}

/// The jobs of several events, by event id, each list in job id order.
async fn jobs_of_events(
    pool: &PgPool,
    ids: impl Iterator<Item = &str>,
) -> Result<HashMap<String, Vec<Job>>, StoreError> {
    let ids: Vec<&str> = ids.collect();
    let mut by_event: HashMap<String, Vec<Job>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_event);
    }
    let rows = sqlx::query(&format!(
        "SELECT {JOB_COLUMNS} FROM jobs j WHERE j.event_id = ANY($1) ORDER BY j.id"
    ))
    .bind(&ids)
    .fetch_all(pool)
    .await
    .map_err(backend)?;
    for row in &rows {
        let job = job_from(row)?;
        by_event
            .entry(job.event_id.to_string())
            .or_default()
            .push(job);
    }
    Ok(by_event)
}

pub(super) async fn event_view(
    pool: &PgPool,
    id: &EventId,
) -> Result<Option<EventView>, StoreError> {
    let Some((event, routed)) = super::rows::event(pool, id).await? else {
        return Ok(None);
    };
    let jobs = super::rows::jobs_of(pool, id).await?;
    Ok(Some(
        Matched {
            event,
            routed,
            jobs,
        }
        .view(),
    ))
}

pub(super) async fn list_events(
    pool: &PgPool,
    filter: &EventFilter,
    before: Option<&str>,
    limit: usize,
) -> Result<EventPage, StoreError> {
    let mut found = matching(
        pool,
        filter,
        before.map(str::to_owned),
        limit.saturating_add(1),
        Only::Any,
    )
    .await?;
    let next = if found.len() > limit {
        found.truncate(limit);
        found.last().map(|m| m.event.id.to_string())
    } else {
        None
    };
    Ok(EventPage {
        events: found.into_iter().map(Matched::view).collect(),
        next,
    })
}

/// Makes jobs that are not pending pending again at `now` with a fresh retry budget
/// (attempts kept), in one statement, and tells every instance.
async fn rerun(store: &PostgresStore, ids: &[String], now: Millis) -> Result<(), StoreError> {
    let mut tx = store.pool.begin().await.map_err(backend)?;
    let rerun = sqlx::query(
        "UPDATE jobs SET state = 'pending', next_at = $2, lease_until = NULL, \
             budget_start = jsonb_array_length(attempts) \
         WHERE id = ANY($1) AND state <> 'pending'",
    )
    .bind(ids)
    .bind(ms(now))
    .execute(&mut *tx)
    .await
    .map_err(backend)?
    .rows_affected();
    if rerun > 0 {
        store.announce(&mut tx, Change::Jobs).await?;
    }
    tx.commit().await.map_err(backend)
}

pub(super) async fn replay(
    store: &PostgresStore,
    event: &EventId,
    handler: Option<&str>,
    now: Millis,
) -> Result<Vec<JobId>, StoreError> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM jobs WHERE event_id = $1 AND ($2::text IS NULL OR handler = $2) ORDER BY id",
    )
    .bind(event.as_str())
    .bind(handler)
    .fetch_all(&store.pool)
    .await
    .map_err(backend)?;
    rerun(store, &ids, now).await?;
    Ok(ids)
}

pub(super) async fn retry_dead(
    store: &PostgresStore,
    filter: &EventFilter,
    now: Millis,
) -> Result<Vec<JobId>, StoreError> {
    let matched = matching(&store.pool, filter, None, usize::MAX, Only::WithDeadJobs).await?;
    let ids: Vec<String> = matched
        .iter()
        .flat_map(|m| filter.jobs(&m.jobs))
        .filter(|j| j.state == crate::store::JobState::Dead)
        .map(|j| j.id.clone())
        .collect();
    // Only the jobs still dead when the update runs come back (another operator may have
    // retried some meanwhile).
    let mut tx = store.pool.begin().await.map_err(backend)?;
    let retried: Vec<String> = sqlx::query_scalar(
        "UPDATE jobs SET state = 'pending', next_at = $2, lease_until = NULL, \
             budget_start = jsonb_array_length(attempts) \
         WHERE id = ANY($1) AND state = 'dead' RETURNING id",
    )
    .bind(&ids)
    .bind(ms(now))
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?;
    if !retried.is_empty() {
        store.announce(&mut tx, Change::Jobs).await?;
    }
    tx.commit().await.map_err(backend)?;
    Ok(retried)
}

pub(super) async fn purge_events(
    pool: &PgPool,
    filter: &EventFilter,
    now: Millis,
) -> Result<usize, StoreError> {
    let matched = matching(pool, filter, None, usize::MAX, Only::NotPurged).await?;
    let ids: Vec<String> = matched.iter().map(|m| m.event.id.to_string()).collect();
    let data: Vec<String> = matched
        .iter()
        .map(|m| crate::purge::tombstone(&m.event.data).get().to_owned())
        .collect();
    let purged = sqlx::query(
        "UPDATE events SET data = t.data, purged_at = $3 \
         FROM UNNEST($1::text[], $2::text[]) AS t(id, data) \
         WHERE events.id = t.id AND events.purged_at IS NULL",
    )
    .bind(&ids)
    .bind(&data)
    .bind(ms(now))
    .execute(pool)
    .await
    .map_err(backend)?
    .rows_affected();
    Ok(usize::try_from(purged).unwrap_or(usize::MAX))
}

/// Deletes routed events received before `cutoff` with no pending job; their jobs go with
/// them (`ON DELETE CASCADE`), dedupe keys and tokens stay.
pub(super) async fn prune(pool: &PgPool, cutoff: Millis) -> Result<usize, StoreError> {
    let pruned = sqlx::query(
        "DELETE FROM events e WHERE e.received_at < $1 AND e.routed \
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.event_id = e.id AND j.state = 'pending')",
    )
    .bind(ms(cutoff))
    .execute(pool)
    .await
    .map_err(backend)?
    .rows_affected();
    Ok(usize::try_from(pruned).unwrap_or(usize::MAX))
}
