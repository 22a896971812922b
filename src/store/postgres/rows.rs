//! Reading rows back into the store's records ([`StoredEvent`], [`Job`]).

use super::{backend, corrupt};
use crate::event::{ContactId, EventId, OpportunityId};
use crate::store::{Attempt, Job, JobState, StoreError, StoredEvent};
use serde_json::value::RawValue;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};

/// The columns of `events` that make a [`StoredEvent`], in [`event_from`]'s order.
pub(super) const EVENT_COLUMNS: &str = "e.id, e.seq, e.account, e.event, e.triggered_at, \
     e.received_at, e.envelope_id, e.dedupe_key, e.opportunity_id, e.contact_id, e.data, \
     e.purged_at, e.routed";

/// The columns of `jobs` that make a [`Job`].
pub(super) const JOB_COLUMNS: &str = "j.id, j.event_id, j.event_seq, j.handler, j.order_key, \
     j.state, j.next_at, j.lease_until, j.budget_start, j.attempts";

fn millis(row: &PgRow, column: &str) -> Result<u64, StoreError> {
    let value: i64 = row.try_get(column).map_err(corrupt)?;
    u64::try_from(value).map_err(|_| corrupt(format!("{column} is negative")))
}

fn optional_millis(row: &PgRow, column: &str) -> Result<Option<u64>, StoreError> {
    let value: Option<i64> = row.try_get(column).map_err(corrupt)?;
    value
        .map(|v| u64::try_from(v).map_err(|_| corrupt(format!("{column} is negative"))))
        .transpose()
}

/// A [`StoredEvent`] and whether it was routed, from a row of [`EVENT_COLUMNS`].
pub(super) fn event_from(row: &PgRow) -> Result<(StoredEvent, bool), StoreError> {
    let text =
        |column: &str| -> Result<String, StoreError> { row.try_get(column).map_err(corrupt) };
    let optional = |column: &str| -> Result<Option<String>, StoreError> {
        row.try_get(column).map_err(corrupt)
    };
    let data = RawValue::from_string(text("data")?).map_err(corrupt)?;
    let event = StoredEvent {
        id: EventId::new(text("id")?),
        seq: millis(row, "seq")?,
        account: text("account")?,
        event: text("event")?,
        triggered_at: millis(row, "triggered_at")?,
        received_at: millis(row, "received_at")?,
        envelope_id: optional("envelope_id")?,
        dedupe_key: text("dedupe_key")?,
        opportunity_id: optional("opportunity_id")?.map(OpportunityId::new),
        contact_id: optional("contact_id")?.map(ContactId::new),
        data,
        purged_at: optional_millis(row, "purged_at")?,
    };
    let routed: bool = row.try_get("routed").map_err(corrupt)?;
    Ok((event, routed))
}

/// A [`Job`] from a row of [`JOB_COLUMNS`].
pub(super) fn job_from(row: &PgRow) -> Result<Job, StoreError> {
    let state: String = row.try_get("state").map_err(corrupt)?;
    let state = match state.as_str() {
        "pending" => JobState::Pending,
        "done" => JobState::Done,
        "dead" => JobState::Dead,
        other => return Err(corrupt(format!("unknown job state `{other}`"))),
    };
    let attempts: serde_json::Value = row.try_get("attempts").map_err(corrupt)?;
    let attempts: Vec<Attempt> = serde_json::from_value(attempts).map_err(corrupt)?;
    let budget_start: i32 = row.try_get("budget_start").map_err(corrupt)?;
    Ok(Job {
        id: row.try_get("id").map_err(corrupt)?,
        event_id: EventId::new(row.try_get::<String, _>("event_id").map_err(corrupt)?),
        event_seq: millis(row, "event_seq")?,
        handler: row.try_get("handler").map_err(corrupt)?,
        order_key: row.try_get("order_key").map_err(corrupt)?,
        state,
        next_at: millis(row, "next_at")?,
        lease_until: optional_millis(row, "lease_until")?,
        budget_start: u32::try_from(budget_start).unwrap_or(0),
        attempts,
    })
}

/// The text a [`JobState`] is stored as.
pub(super) fn state_name(state: JobState) -> &'static str {
    match state {
        JobState::Pending => "pending",
        JobState::Done => "done",
        JobState::Dead => "dead",
    }
}

/// One stored event, and whether it was routed.
pub(super) async fn event(
    pool: &PgPool,
    id: &EventId,
) -> Result<Option<(StoredEvent, bool)>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.id = $1"
    ))
    .bind(id.as_str())
    .fetch_optional(pool)
    .await
    .map_err(backend)?;
    row.map(|row| event_from(&row)).transpose()
}

/// Every job of one event, by id.
pub(super) async fn jobs_of(pool: &PgPool, id: &EventId) -> Result<Vec<Job>, StoreError> {
    sqlx::query(&format!(
        "SELECT {JOB_COLUMNS} FROM jobs j WHERE j.event_id = $1 ORDER BY j.id"
    ))
    .bind(id.as_str())
    .fetch_all(pool)
    .await
    .map_err(backend)?
    .iter()
    .map(job_from)
    .collect()
}
