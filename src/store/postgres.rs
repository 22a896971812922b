//! The PostgreSQL backend: several lever-hooks instances share one database.
//!
//! Every guarantee of the [`Store`] contract comes from the database, never from a lock
//! in this process, so it holds across instances:
//!
//! - dedupe keys and tokens are primary keys; `ingest` inserts them with `ON CONFLICT`
//!   inside one transaction and answers only after `COMMIT` (see `ingest`);
//! - jobs are leased with `FOR UPDATE SKIP LOCKED` and a lease time; the order-key rules
//!   are decided under a transaction-scoped advisory lock per order key (see `claim`);
//! - every change another instance must act on is announced with `NOTIFY` in the same
//!   transaction, and a `LISTEN`ing connection turns it into [`Store::changed`] wake-ups
//!   (see `notify`).
//!
//! The schema lives in `migrations/`, embedded in the binary and applied at connect (and
//! by `lever-hooks migrate`).

mod admin;
mod claim;
mod ingest;
mod jobs;
mod notify;
mod records;
mod rows;

use super::{
    Attempt, Change, ClaimedJob, EventFilter, EventPage, EventView, IngestOutcome, Job, JobId,
    Millis, NewEvent, NextStep, Routing, Store, StoreError, StoredEvent,
};
use crate::event::EventId;
use crate::record_key::{RecordKey, RecordPrefix};
use async_trait::async_trait;
use notify::Wakeups;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::ConnectOptions;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The migrations in `migrations/`, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connections in the pool when `[storage] pool_size` is not set.
pub const DEFAULT_POOL_SIZE: u32 = 10;

/// How long a caller waits for a free connection before the call fails (intake answers
/// 503 and Lever retries).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one store call may take, waiting for a connection included, before it fails.
/// A connection whose network path goes silent (a partition, a database host that lost
/// power: no reset arrives) otherwise leaves its call waiting until the kernel gives up,
/// many minutes, holding a delivery or the dispatcher that long. Bulk maintenance
/// (`prune`, `purge_events`, `retry_dead`) is not bounded: it may legitimately run longer.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a released connection may take to answer a ping before it is closed.
const RELEASE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The PostgreSQL-backed [`Store`].
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// The `NOTIFY` channel of this schema.
    channel: Arc<str>,
    wakeups: Arc<Wakeups>,
}

/// A migration as `lever-hooks migrate` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Its version (the number its file name starts with).
    pub version: i64,
    /// Its description (the rest of the file name).
    pub description: String,
    /// True when this call applied it; false when it was applied before.
    pub applied_now: bool,
}

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

pub(crate) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Parses a `postgres://` URL into connect options. The error never contains the URL, so
/// a password in it is never printed.
pub fn parse_url(url: &str) -> Result<PgConnectOptions, String> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err("must start with postgres:// or postgresql://".to_owned());
    }
    PgConnectOptions::from_str(url)
        .map(|options| options.disable_statement_logging())
        .map_err(|e| {
            format!(
                "not a usable PostgreSQL URL ({})",
                strip_url(&e.to_string())
            )
        })
}

/// `url` with every connection's `search_path` set to `schema` (libpq's `options`).
pub fn url_with_schema(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

/// `url` with its password replaced by `***`, for logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "***".to_owned();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// Drops anything that looks like a URL from an error text.
fn strip_url(text: &str) -> String {
    text.split_whitespace()
        .map(|word| {
            if word.contains("://") {
                redact_url(word)
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl PostgresStore {
    /// Connects to `url` with up to `pool_size` connections, applies pending migrations
    /// and starts listening for other instances' changes.
    pub async fn connect(url: &str, pool_size: u32) -> Result<Self, StoreError> {
        let options = parse_url(url).map_err(StoreError::Backend)?;
        Self::connect_with(options, pool_size).await
    }

    /// Like [`connect`](Self::connect), with options already built (tests put each store
    /// in its own schema with `search_path`).
    pub async fn connect_with(
        options: PgConnectOptions,
        pool_size: u32,
    ) -> Result<Self, StoreError> {
        let pool = Self::pool(options.clone(), pool_size).await?;
        MIGRATOR.run(&pool).await.map_err(backend)?;
        let schema: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&pool)
            .await
            .map_err(backend)?;
        let channel: Arc<str> = format!("lever_hooks.{schema}").into();
        let wakeups = Arc::new(Wakeups::default());
        notify::listen(options, channel.clone(), Arc::downgrade(&wakeups)).await?;
        Ok(Self {
            pool,
            channel,
            wakeups,
        })
    }

    async fn pool(options: PgConnectOptions, pool_size: u32) -> Result<PgPool, StoreError> {
        PgPoolOptions::new()
            .max_connections(pool_size.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_release(|conn, _| Box::pin(check_on_release(conn)))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(strip_url(&e.to_string())))
    }

    /// Applies the migrations not applied yet to the database at `options`; returns every
    /// known migration and whether this call applied it.
    pub async fn migrate(options: PgConnectOptions) -> Result<Vec<MigrationStatus>, StoreError> {
        let pool = Self::pool(options, 1).await?;
        let before: Vec<i64> =
            match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&pool)
                .await
            {
                Ok(versions) => versions,
                // No table yet: nothing was applied.
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P01") => Vec::new(),
                Err(e) => return Err(backend(e)),
            };
        MIGRATOR.run(&pool).await.map_err(backend)?;
        pool.close().await;
        Ok(MIGRATOR
            .iter()
            .map(|m| MigrationStatus {
                version: m.version,
                description: m.description.to_string(),
                applied_now: !before.contains(&m.version),
            })
            .collect())
    }

    /// The connection pool (tests and tools that need plain SQL).
    pub fn pool_handle(&self) -> &PgPool {
        &self.pool
    }

    /// Announces `kind` to every instance listening on this schema, as part of `tx`
    /// (delivered only if it commits).
    async fn announce(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        kind: Change,
    ) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(&*self.channel)
            .bind(notify::payload(kind))
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// Whether a connection handed back may be reused. sqlx pings it next, without a deadline,
/// so a connection cut off mid-call by [`CALL_TIMEOUT`] on a silent network path would hold
/// its pool slot as long as the call would have; pinging here with a deadline closes it
/// instead.
async fn check_on_release(conn: &mut sqlx::PgConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    match tokio::time::timeout(RELEASE_CHECK_TIMEOUT, conn.ping()).await {
        Ok(answered) => answered.map(|()| true),
        Err(_) => Err(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "no answer to a ping on release",
        ))),
    }
}

/// Runs one store call, failing it after [`CALL_TIMEOUT`].
async fn bounded<T>(
    call: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(CALL_TIMEOUT, call)
        .await
        .unwrap_or_else(|_| {
            Err(StoreError::Backend(format!(
                "PostgreSQL did not answer within {} s",
                CALL_TIMEOUT.as_secs()
            )))
        })
}

/// Milliseconds as PostgreSQL's BIGINT.
fn ms(value: Millis) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[async_trait]
impl Store for PostgresStore {
    async fn ingest(&self, event: NewEvent) -> Result<IngestOutcome, StoreError> {
        bounded(ingest::ingest(self, event)).await
    }

    async fn remember_token(
        &self,
        account: &str,
        token: &str,
        received_at: Millis,
    ) -> Result<(), StoreError> {
        bounded(ingest::remember_token(
            &self.pool,
            account,
            token,
            received_at,
        ))
        .await
    }

    async fn unrouted(&self, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        bounded(jobs::unrouted(&self.pool, limit)).await
    }

    async fn take_unrouted(
        &self,
        limit: usize,
        now: Millis,
        lease: Duration,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        bounded(jobs::take_unrouted(&self.pool, limit, now, lease)).await
    }

    async fn route(&self, routed: Vec<Routing>) -> Result<(), StoreError> {
        bounded(jobs::route(self, routed)).await
    }

    async fn claim(
        &self,
        now: Millis,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        bounded(claim::claim(&self.pool, now, limit, lease)).await
    }

    async fn finish_attempt(
        &self,
        job: &JobId,
        attempt: Attempt,
        next: NextStep,
    ) -> Result<(), StoreError> {
        bounded(jobs::finish_attempt(self, job, attempt, next)).await
    }

    async fn next_due(&self) -> Result<Option<Millis>, StoreError> {
        bounded(claim::next_due(&self.pool, super::now_millis())).await
    }

    async fn due_count(&self, now: Millis) -> Result<Option<usize>, StoreError> {
        bounded(claim::due_count(&self.pool, now)).await.map(Some)
    }

    async fn changed(&self, kind: Change) {
        self.wakeups.wait(kind).await
    }

    async fn event(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError> {
        let found = bounded(rows::event(&self.pool, id)).await?;
        Ok(found.map(|(event, _)| event))
    }

    async fn jobs_of(&self, id: &EventId) -> Result<Vec<Job>, StoreError> {
        bounded(rows::jobs_of(&self.pool, id)).await
    }

    async fn event_view(&self, id: &EventId) -> Result<Option<EventView>, StoreError> {
        bounded(admin::event_view(&self.pool, id)).await
    }

    async fn list_events(
        &self,
        filter: &EventFilter,
        before: Option<&str>,
        limit: usize,
    ) -> Result<EventPage, StoreError> {
        let before = crate::store::query::cursor(before)?;
        bounded(admin::list_events(&self.pool, filter, before, limit)).await
    }

    async fn replay(
        &self,
        event: &EventId,
        handler: Option<&str>,
        now: Millis,
    ) -> Result<Vec<JobId>, StoreError> {
        bounded(admin::replay(self, event, handler, now)).await
    }

    async fn retry_dead(
        &self,
        filter: &EventFilter,
        now: Millis,
    ) -> Result<Vec<JobId>, StoreError> {
        admin::retry_dead(self, filter, now).await
    }

    async fn purge_events(&self, filter: &EventFilter, now: Millis) -> Result<usize, StoreError> {
        admin::purge_events(&self.pool, filter, now).await
    }

    async fn prune(&self, cutoff: Millis) -> Result<usize, StoreError> {
        admin::prune(&self.pool, cutoff).await
    }

    async fn flush(&self) -> Result<(), StoreError> {
        // Every write committed before it returned: nothing is waiting to be made durable.
        Ok(())
    }

    async fn record(&self, key: &RecordKey) -> Result<Option<serde_json::Value>, StoreError> {
        bounded(records::record(&self.pool, key.as_str())).await
    }

    async fn put_record(
        &self,
        key: &RecordKey,
        value: serde_json::Value,
    ) -> Result<(), StoreError> {
        bounded(records::put_record(&self.pool, key.as_str(), &value)).await
    }

    async fn insert_record(
        &self,
        key: &RecordKey,
        value: serde_json::Value,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        bounded(records::insert_record(&self.pool, key.as_str(), &value)).await
    }

    async fn records(
        &self,
        prefix: &RecordPrefix,
    ) -> Result<Vec<(RecordKey, serde_json::Value)>, StoreError> {
        let listed = bounded(records::records(&self.pool, prefix.as_str())).await?;
        Ok(listed
            .into_iter()
            .map(|(key, value)| (RecordKey::from_stored(key), value))
            .collect())
    }

    async fn delete_record(&self, key: &RecordKey) -> Result<(), StoreError> {
        bounded(records::delete_record(&self.pool, key.as_str())).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacting_a_url_hides_only_the_password() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db.internal:5432/hooks?sslmode=require"),
            "postgres://app:***@db.internal:5432/hooks?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://app@db/hooks"),
            "postgres://app@db/hooks"
        );
        assert_eq!(redact_url("postgres://db/hooks"), "postgres://db/hooks");
        assert_eq!(
            redact_url("postgresql://u:p@ss@host/db"),
            "postgresql://u:***@host/db"
        );
    }

    #[test]
    fn a_bad_url_is_reported_without_its_password() {
        let error = parse_url("mysql://u:hunter2@host/db").unwrap_err();
        assert!(!error.contains("hunter2"), "{error}");
        let error = parse_url("postgres://u:hunter2@host:notaport/db").unwrap_err();
        assert!(!error.contains("hunter2"), "{error}");
        assert!(parse_url("postgres://u:hunter2@host:5432/db").is_ok());
    }
}
