//! Intake's one durable write: dedupe and token reuse decided by unique constraints in the
//! same transaction that stores the event, answered only after it commits.
//!
//! The token row goes in first (`ON CONFLICT DO NOTHING`): a delivery whose token is
//! already there is a duplicate (same content) or a replay with altered data (other
//! content). Then the dedupe key: when another event holds it, this delivery is that
//! event again (a rerun with a fresh token), and its token is remembered as that event's.
//! Only then is the event written. Two instances inserting the same key at once: the
//! second insert waits for the first transaction and then sees its row, so exactly one
//! of them stores the event.

use super::{backend, corrupt, ms, PostgresStore};
use crate::event::EventId;
use crate::store::{Change, IngestOutcome, Millis, NewEvent, StoreError};
use sqlx::{PgPool, Postgres, Transaction};

/// The content hash of a token remembered without an event (a settings-page test): all
/// zeros, which no SHA-256 of real content is.
const NO_CONTENT: [u8; 32] = [0; 32];
/// The event id of a token remembered without an event.
const NO_EVENT: &str = "settings-test";

pub(super) async fn ingest(
    store: &PostgresStore,
    event: NewEvent,
) -> Result<IngestOutcome, StoreError> {
    let mut tx = store.pool.begin().await.map_err(backend)?;
    let outcome = decide(&mut tx, &event).await?;
    if matches!(outcome, IngestOutcome::Accepted(_)) {
        store.announce(&mut tx, Change::Events).await?;
    }
    // The answer stands only once this returns: a failed commit is a 503 and Lever retries.
    tx.commit().await.map_err(backend)?;
    Ok(outcome)
}

async fn decide(
    tx: &mut Transaction<'_, Postgres>,
    event: &NewEvent,
) -> Result<IngestOutcome, StoreError> {
    let token_inserted = sqlx::query(
        "INSERT INTO tokens (account, token, content_hash, event_id, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account, token) DO NOTHING",
    )
    .bind(&event.account)
    .bind(&event.token)
    .bind(&event.content_hash[..])
    .bind(event.id.as_str())
    .bind(ms(event.received_at))
    .execute(&mut **tx)
    .await
    .map_err(backend)?
    .rows_affected()
        == 1;
    if !token_inserted {
        let (hash, id): (Vec<u8>, String) = sqlx::query_as(
            "SELECT content_hash, event_id FROM tokens WHERE account = $1 AND token = $2",
        )
        .bind(&event.account)
        .bind(&event.token)
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
        if hash.len() != 32 {
            return Err(corrupt("a remembered token's content hash is not 32 bytes"));
        }
        return Ok(if hash == event.content_hash {
            IngestOutcome::Duplicate(EventId::new(id))
        } else {
            IngestOutcome::TokenReused
        });
    }
    let first: Option<String> = sqlx::query_scalar(
        "WITH inserted AS ( \
             INSERT INTO dedupe_keys (account, dedupe_key, event_id, received_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (account, dedupe_key) DO NOTHING \
             RETURNING event_id) \
         SELECT event_id FROM inserted",
    )
    .bind(&event.account)
    .bind(&event.dedupe_key)
    .bind(event.id.as_str())
    .bind(ms(event.received_at))
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend)?;
    if first.is_none() {
        // Another event has this key: this delivery is that event, and so is its token.
        let existing: String = sqlx::query_scalar(
            "UPDATE tokens SET event_id = d.event_id FROM dedupe_keys d \
             WHERE tokens.account = $1 AND tokens.token = $2 \
               AND d.account = $1 AND d.dedupe_key = $3 \
             RETURNING d.event_id",
        )
        .bind(&event.account)
        .bind(&event.token)
        .bind(&event.dedupe_key)
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
        return Ok(IngestOutcome::Duplicate(EventId::new(existing)));
    }
    sqlx::query(
        "INSERT INTO events (id, account, event, triggered_at, received_at, envelope_id, \
             dedupe_key, opportunity_id, contact_id, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(event.id.as_str())
    .bind(&event.account)
    .bind(&event.event)
    .bind(ms(event.triggered_at))
    .bind(ms(event.received_at))
    .bind(&event.envelope_id)
    .bind(&event.dedupe_key)
    .bind(event.opportunity_id.as_ref().map(|o| o.as_str()))
    .bind(event.contact_id.as_ref().map(|c| c.as_str()))
    .bind(event.data.get())
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(IngestOutcome::Accepted(event.id.clone()))
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
