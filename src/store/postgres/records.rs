//! Records: small JSON values under string keys, one row each. `insert_record` is one
//! `INSERT … ON CONFLICT DO NOTHING`, so of two instances inserting one key exactly one
//! writes and the other reads the winner's value.

use super::{backend, corrupt};
use crate::store::StoreError;
use serde_json::Value;
use sqlx::PgPool;

fn parse(text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(corrupt)
}

pub(super) async fn record(pool: &PgPool, key: &str) -> Result<Option<Value>, StoreError> {
    let value: Option<String> = sqlx::query_scalar("SELECT value FROM records WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await
        .map_err(backend)?;
    value.as_deref().map(parse).transpose()
}

pub(super) async fn put_record(pool: &PgPool, key: &str, value: &Value) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO records (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
    )
    .bind(key)
    .bind(value.to_string())
    .execute(pool)
    .await
    .map_err(backend)?;
    Ok(())
}

pub(super) async fn insert_record(
    pool: &PgPool,
    key: &str,
    value: &Value,
) -> Result<Option<Value>, StoreError> {
    // The existing row can be deleted between the failed insert and the read: try again.
    for _ in 0..10 {
        let inserted = sqlx::query(
            "INSERT INTO records (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value.to_string())
        .execute(pool)
        .await
        .map_err(backend)?
        .rows_affected();
        if inserted == 1 {
            return Ok(None);
        }
        if let Some(existing) = record(pool, key).await? {
            return Ok(Some(existing));
        }
    }
    Err(StoreError::Backend(format!(
        "record {key} kept changing during insert"
    )))
}

pub(super) async fn records(
    pool: &PgPool,
    prefix: &str,
) -> Result<Vec<(String, Value)>, StoreError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT key, value FROM records WHERE starts_with(key, $1) ORDER BY key")
            .bind(prefix)
            .fetch_all(pool)
            .await
            .map_err(backend)?;
    rows.into_iter()
        .map(|(key, value)| Ok((key, parse(&value)?)))
        .collect()
}

pub(super) async fn delete_record(pool: &PgPool, key: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM records WHERE key = $1")
        .bind(key)
        .execute(pool)
        .await
        .map_err(backend)?;
    Ok(())
}
