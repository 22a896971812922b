//! Routing stored events into jobs, and recording attempts.

use super::rows::{event_from, state_name, EVENT_COLUMNS};
use super::{backend, corrupt, ms, PostgresStore};
use crate::document::idempotency_key;
use crate::store::{
    Attempt, Change, JobId, JobState, Millis, NextStep, Routing, StoreError, StoredEvent,
};
use sqlx::PgPool;
use std::time::Duration;

pub(super) async fn unrouted(pool: &PgPool, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
    sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE NOT e.routed ORDER BY e.seq LIMIT $1"
    ))
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await
    .map_err(backend)?
    .iter()
    .map(|row| event_from(row).map(|(event, _)| event))
    .collect()
}

/// Leases up to `limit` unrouted events to this router until `now + lease`, oldest first,
/// skipping those another router holds (or is leasing right now).
pub(super) async fn take_unrouted(
    pool: &PgPool,
    limit: usize,
    now: Millis,
    lease: Duration,
) -> Result<Vec<StoredEvent>, StoreError> {
    let until = ms(now.saturating_add(lease.as_millis() as Millis));
    let mut events = sqlx::query(&format!(
        "UPDATE events e SET route_lease_until = $3 FROM ( \
             SELECT seq FROM events \
             WHERE NOT routed AND (route_lease_until IS NULL OR route_lease_until <= $1) \
             ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED) AS taken \
         WHERE e.seq = taken.seq RETURNING {EVENT_COLUMNS}"
    ))
    .bind(ms(now))
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .bind(until)
    .fetch_all(pool)
    .await
    .map_err(backend)?
    .iter()
    .map(|row| event_from(row).map(|(event, _)| event))
    .collect::<Result<Vec<_>, _>>()?;
    events.sort_by_key(|e| e.seq);
    Ok(events)
}

/// Creates the jobs and marks the events routed in one transaction. Two instances routing
/// the same event at once create its jobs once (the job id is the primary key).
pub(super) async fn route(store: &PostgresStore, routed: Vec<Routing>) -> Result<(), StoreError> {
    if routed.is_empty() {
        return Ok(());
    }
    let mut columns = JobColumns::default();
    let mut events = Vec::with_capacity(routed.len());
    for Routing { event, seq, jobs } in routed {
        for job in jobs {
            columns.id.push(idempotency_key(&event, &job.handler));
            columns.event_id.push(event.to_string());
            columns.event_seq.push(ms(seq));
            columns.handler.push(job.handler);
            columns.order_key.push(job.order_key);
            columns.next_at.push(ms(job.run_at));
        }
        events.push(event.to_string());
    }
    let mut tx = store.pool.begin().await.map_err(backend)?;
    let created = sqlx::query(
        "INSERT INTO jobs (id, event_id, event_seq, handler, order_key, state, next_at) \
         SELECT id, event_id, event_seq, handler, order_key, 'pending', next_at \
         FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[]) \
             AS t(id, event_id, event_seq, handler, order_key, next_at) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&columns.id)
    .bind(&columns.event_id)
    .bind(&columns.event_seq)
    .bind(&columns.handler)
    .bind(&columns.order_key)
    .bind(&columns.next_at)
    .execute(&mut *tx)
    .await
    .map_err(backend)?
    .rows_affected();
    sqlx::query("UPDATE events SET routed = TRUE WHERE id = ANY($1) AND NOT routed")
        .bind(&events)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    if created > 0 {
        store.announce(&mut tx, Change::Jobs).await?;
    }
    tx.commit().await.map_err(backend)
}

/// The new jobs of one `route` call, column by column (for one `UNNEST` insert).
#[derive(Default)]
struct JobColumns {
    id: Vec<String>,
    event_id: Vec<String>,
    event_seq: Vec<i64>,
    handler: Vec<String>,
    order_key: Vec<Option<String>>,
    next_at: Vec<i64>,
}

/// Appends the attempt and moves the job on in one statement (`fetch_all` returns after
/// its implicit commit). Two workers finishing the
/// same job at once (a lease ran out) both append: the second update waits for the first
/// row lock and then appends to the row as the first left it.
pub(super) async fn finish_attempt(
    store: &PostgresStore,
    job: &JobId,
    attempt: Attempt,
    next: NextStep,
) -> Result<(), StoreError> {
    let (state, next_at) = match next {
        NextStep::Done => (JobState::Done, None),
        NextStep::Dead => (JobState::Dead, None),
        NextStep::RetryAt(at) => (JobState::Pending, Some(ms(at))),
    };
    let attempt = serde_json::to_value(vec![attempt]).map_err(corrupt)?;
    // One statement, one transaction: the update, and when the job has an order key (its
    // successor may now run, maybe on another instance), the announcement.
    let found: Vec<(i64, i64)> = sqlx::query_as(
        "WITH finished AS ( \
             UPDATE jobs SET attempts = attempts || $2, lease_until = NULL, state = $3, \
                 next_at = COALESCE($4, next_at) \
             WHERE id = $1 RETURNING order_key) \
         SELECT (SELECT count(*) FROM finished), \
             (SELECT count(pg_notify($5, 'jobs')) FROM finished WHERE order_key IS NOT NULL)",
    )
    .bind(job)
    .bind(attempt)
    .bind(state_name(state))
    .bind(next_at)
    .bind(&*store.channel)
    .fetch_all(&store.pool)
    .await
    .map_err(backend)?;
    if found.first().map_or(0, |(n, _)| *n) == 0 {
        return Err(corrupt(format!("finishing unknown job {job}")));
    }
    Ok(())
}
