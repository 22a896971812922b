//! Leasing jobs across instances: `FOR UPDATE SKIP LOCKED` for the job rows, and a
//! transaction-scoped advisory lock per order key for the ordering rules.
//!
//! A job may be handed out when it is pending, due, not leased, and (when it has an order
//! key) no earlier job of its key is pending and no other job of its key is leased. The
//! last rule matters on PostgreSQL: two instances may store two events of one opportunity
//! at once, and the earlier one can be routed after the later one's job was leased.
//!
//! Deciding that rule from a snapshot taken before another claimer's lease committed
//! could hand out two jobs of one key. So one claim is three statements in a transaction:
//!
//! 1. pick candidates (the rule, evaluated on the current snapshot);
//! 2. take `pg_try_advisory_xact_lock` on each candidate's order key, skipping keys
//!    another claimer holds; every claim that touched a key committed before its lock
//!    could be taken again. Advisory locks are database-wide, so the key is hashed with
//!    the schema: deployments (or tests) in other schemas of one database, whose order
//!    keys may be equal, do not make each other skip jobs;
//! 3. evaluate the rule once more, on a snapshot taken after those locks (read committed
//!    starts one per statement), and lease the survivors `FOR UPDATE SKIP LOCKED`.
//!
//! Locks go at commit. Jobs without an order key need no advisory lock: the row lock and
//! the lease re-check under it are enough.

use super::rows::{event_from, job_from, EVENT_COLUMNS, JOB_COLUMNS};
use super::{backend, corrupt, ms};
use crate::store::{ClaimedJob, Millis, StoreError};
use sqlx::PgPool;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

/// Candidates looked at per job wanted: some may be taken by another instance meanwhile.
const OVERSAMPLE: usize = 2;

/// The rule for job `j` at time `$1`, without the due-time condition.
const HEAD_NOT_LEASED: &str = "j.state = 'pending' \
     AND (j.lease_until IS NULL OR j.lease_until <= $1) \
     AND (j.order_key IS NULL OR ( \
         NOT EXISTS (SELECT 1 FROM jobs earlier \
             WHERE earlier.order_key = j.order_key AND earlier.state = 'pending' \
               AND (earlier.event_seq, earlier.id) < (j.event_seq, j.id)) \
         AND NOT EXISTS (SELECT 1 FROM jobs running \
             WHERE running.order_key = j.order_key AND running.state = 'pending' \
               AND running.lease_until > $1 AND running.id <> j.id)))";

fn claimable() -> String {
    format!("{HEAD_NOT_LEASED} AND j.next_at <= $1")
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) async fn claim(
    pool: &PgPool,
    now: Millis,
    limit: usize,
    lease: Duration,
) -> Result<Vec<ClaimedJob>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let until = ms(now.saturating_add(lease.as_millis() as Millis));
    let mut tx = pool.begin().await.map_err(backend)?;
    let candidates: Vec<(String, Option<String>)> = sqlx::query_as(&format!(
        "SELECT j.id, j.order_key FROM jobs j WHERE {} \
         ORDER BY j.next_at, j.event_seq LIMIT $2",
        claimable()
    ))
    .bind(ms(now))
    .bind(count(limit.saturating_mul(OVERSAMPLE)))
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let keys: BTreeSet<&str> = candidates
        .iter()
        .filter_map(|(_, key)| key.as_deref())
        .collect();
    let keys: Vec<&str> = keys.into_iter().collect();
    let locked: Vec<String> = if keys.is_empty() {
        Vec::new()
    } else {
        sqlx::query_scalar(
            "SELECT k FROM UNNEST($1::text[]) AS k \
             WHERE pg_try_advisory_xact_lock(hashtextextended(current_schema() || ' ' || k, 0))",
        )
        .bind(&keys)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?
    };
    let ids: Vec<&str> = candidates.iter().map(|(id, _)| id.as_str()).collect();
    let leased = sqlx::query(&format!(
        "UPDATE jobs SET lease_until = $3 FROM ( \
             SELECT j.id FROM jobs j \
             WHERE j.id = ANY($4) AND (j.order_key IS NULL OR j.order_key = ANY($5)) AND {} \
             ORDER BY j.next_at, j.event_seq LIMIT $2 \
             FOR UPDATE OF j SKIP LOCKED) AS chosen \
         WHERE jobs.id = chosen.id \
         RETURNING {}",
        claimable(),
        JOB_COLUMNS.replace("j.", "jobs.")
    ))
    .bind(ms(now))
    .bind(count(limit))
    .bind(until)
    .bind(&ids)
    .bind(&locked)
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?;
    let mut jobs = leased.iter().map(job_from).collect::<Result<Vec<_>, _>>()?;
    jobs.sort_by(|a, b| (a.next_at, a.event_seq, &a.id).cmp(&(b.next_at, b.event_seq, &b.id)));
    let event_ids: Vec<String> = jobs.iter().map(|j| j.event_id.to_string()).collect();
    let events: HashMap<String, _> = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.id = ANY($1)"
    ))
    .bind(&event_ids)
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?
    .iter()
    .map(|row| event_from(row).map(|(event, _)| (event.id.to_string(), event)))
    .collect::<Result<_, _>>()?;
    tx.commit().await.map_err(backend)?;
    jobs.into_iter()
        .map(|job| {
            let event = events
                .get(job.event_id.as_str())
                .cloned()
                .ok_or_else(|| corrupt(format!("job {} without its event", job.id)))?;
            Ok(ClaimedJob { job, event })
        })
        .collect()
}

/// When the earliest job that could be claimed (ignoring its due time) is due.
pub(super) async fn next_due(pool: &PgPool, now: Millis) -> Result<Option<Millis>, StoreError> {
    let due: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT min(j.next_at) FROM jobs j WHERE {HEAD_NOT_LEASED}"
    ))
    .bind(ms(now))
    .fetch_one(pool)
    .await
    .map_err(backend)?;
    Ok(due.map(|d| u64::try_from(d).unwrap_or(0)))
}

/// How many jobs could be claimed at `now`.
pub(super) async fn due_count(pool: &PgPool, now: Millis) -> Result<usize, StoreError> {
    let due: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM jobs j WHERE {}",
        claimable()
    ))
    .bind(ms(now))
    .fetch_one(pool)
    .await
    .map_err(backend)?;
    Ok(usize::try_from(due).unwrap_or(0))
}
