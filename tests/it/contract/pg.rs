//! PostgreSQL for tests: the database named by `LEVER_HOOKS_TEST_DATABASE_URL`, and a
//! fresh schema per store so tests running in parallel never see each other's rows.

use lever_hooks::store::PostgresStore;
use lever_hooks::Store;
use std::sync::Arc;

/// The variable naming the test database, e.g.
/// `postgres://lever_hooks:lever_hooks@127.0.0.1/lever_hooks_test`.
pub const URL_VAR: &str = "LEVER_HOOKS_TEST_DATABASE_URL";

/// What a PostgreSQL test prints when it cannot run.
pub const SKIPPED: &str =
    "skipped: PostgreSQL suite needs LEVER_HOOKS_TEST_DATABASE_URL (see README \"PostgreSQL\")";

/// Connections per test store: tests run in parallel, and the server allows 100 in all.
pub const TEST_POOL: u32 = 4;

/// The test database's URL, when set.
pub fn url() -> Option<String> {
    std::env::var(URL_VAR).ok().filter(|u| !u.is_empty())
}

/// `url` with every connection's `search_path` set to `schema`.
pub fn url_in_schema(url: &str, schema: &str) -> String {
    lever_hooks::store::postgres::url_with_schema(url, schema)
}

/// Creates an empty schema with a unique name and returns the name.
pub async fn fresh_schema(url: &str) -> String {
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("{URL_VAR} is set but the database cannot be reached: {e}"));
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&pool)
        .await
        .expect("creating a test schema");
    pool.close().await;
    schema
}

/// A store in `schema` of the test database, migrated.
pub async fn store_in(url: &str, schema: &str) -> PostgresStore {
    PostgresStore::connect(&url_in_schema(url, schema), TEST_POOL)
        .await
        .expect("connecting to the test database")
}

/// An empty store of its own, or `None` when no test database is configured.
pub async fn fresh_store() -> Option<Arc<dyn Store>> {
    let url = url()?;
    let schema = fresh_schema(&url).await;
    Some(Arc::new(store_in(&url, &schema).await))
}
