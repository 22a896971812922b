//! Intake's one durable write: dedupe and token reuse decided by unique constraints in the
//! same transaction that stores the event, answered only after it commits.
//!
//! The decision is the `lever_hooks_ingest` function (`migrations/0002_ingest_function.sql`),
//! called as one statement, so one delivery costs one round trip. The token row goes in
//! first (`ON CONFLICT DO NOTHING`): a delivery whose token is already there is a duplicate
//! (same content) or a replay with altered data (other content). Then the dedupe key: when
//! another event holds it, this delivery is that event again (a rerun with a fresh token),
//! and its token is remembered as that event's. Only then is the event written, and the
//! other instances are told. Two instances inserting the same key at once: the second
//! insert waits for the first transaction and then sees its row, so exactly one of them
//! stores the event.

use super::{backend, corrupt, ms, PostgresStore};
use crate::event::EventId;
use crate::store::{IngestOutcome, Millis, NewEvent, StoreError};
use sqlx::PgPool;

/// The content hash of a token remembered without an event (a settings-page test): all
/// zeros, which no SHA-256 of real content is.
const NO_CONTENT: [u8; 32] = [0; 32];
/// The event id of a token remembered without an event.
const NO_EVENT: &str = "settings-test";

pub(super) async fn ingest(
    store: &PostgresStore,
    event: NewEvent,
) -> Result<IngestOutcome, StoreError> {
    // `fetch_all` reads up to the server's ReadyForQuery, which comes after the implicit
    // COMMIT of this single statement: the outcome is durable when this returns.
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT o_outcome, o_event_id FROM lever_hooks_ingest( \
             $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(event.id.as_str())
    .bind(&event.account)
    .bind(&event.event)
    .bind(ms(event.triggered_at))
    .bind(ms(event.received_at))
    .bind(&event.token)
    .bind(&event.envelope_id)
    .bind(&event.dedupe_key)
    .bind(&event.content_hash[..])
    .bind(event.opportunity_id.as_ref().map(|o| o.as_str()))
    .bind(event.contact_id.as_ref().map(|c| c.as_str()))
    .bind(event.data.get())
    .bind(&*store.channel)
    .fetch_all(&store.pool)
    .await
    .map_err(backend)?;
    let Some((outcome, id)) = rows.into_iter().next() else {
        return Err(corrupt("lever_hooks_ingest returned nothing"));
    };
    match (outcome.as_str(), id) {
        ("accepted", Some(id)) => Ok(IngestOutcome::Accepted(EventId::new(id))),
        ("duplicate", Some(id)) => Ok(IngestOutcome::Duplicate(EventId::new(id))),
        ("token_reused", _) => Ok(IngestOutcome::TokenReused),
        (other, _) => Err(corrupt(format!("lever_hooks_ingest answered `{other}`"))),
    }
}

pub(super) async fn remember_token(
    pool: &PgPool,
    account: &str,
    token: &str,
    received_at: Millis,
) -> Result<(), StoreError> {
    // Already remembered (Lever retried the test, or an event used it): keep the first.
    sqlx::query(
        "INSERT INTO tokens (account, token, content_hash, event_id, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account, token) DO NOTHING",
    )
    .bind(account)
    .bind(token)
    .bind(&NO_CONTENT[..])
    .bind(NO_EVENT)
    .bind(ms(received_at))
    .execute(pool)
    .await
    .map_err(backend)?;
    Ok(())
}
