//! Runs the `Store` contract (`tests/it/contract/`) against every backend, plus the checks
//! only a backend with a folder on disk can make (durability across a reopen) and those
//! only a shared database can make (two instances racing on one PostgreSQL).
//!
//! The PostgreSQL tests need `LEVER_HOOKS_TEST_DATABASE_URL`; without it each says it was
//! skipped (see README "PostgreSQL").
//!
//! To add a backend, see the header of `tests/it/contract/mod.rs`.

use crate::contract;

use lever_hooks::store::{RecordKey, SledStore};
use lever_hooks::Store;
use std::sync::Arc;

mod sled {
    use super::*;

    async fn temporary() -> Arc<dyn Store> {
        Arc::new(SledStore::temporary().expect("temporary sled store"))
    }

    contract::store_contract!(temporary);
}

mod postgres {
    use super::*;

    async fn fresh() -> Option<Arc<dyn Store>> {
        contract::pg::fresh_store().await
    }

    contract::store_contract!(optional fresh);

    /// Always runs, so `cargo test` says whether the PostgreSQL suite ran, even when test
    /// output is captured; when it runs, the named database must answer as PostgreSQL.
    #[tokio::test]
    async fn postgres_suite_status() {
        use std::io::Write;
        let line = match contract::pg::url() {
            Some(url) => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&url)
                    .await
                    .expect("LEVER_HOOKS_TEST_DATABASE_URL is set but cannot be reached");
                let version: String = sqlx::query_scalar("SELECT version()")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                assert!(version.starts_with("PostgreSQL"), "{version}");
                format!(
                    "PostgreSQL suite: running against LEVER_HOOKS_TEST_DATABASE_URL ({version})"
                )
            }
            None => contract::pg::SKIPPED.to_owned(),
        };
        // Straight to the process's stderr: the test harness captures only print macros.
        let _ = writeln!(std::io::stderr().lock(), "\n{line}");
    }
}

mod postgres_shared;

/// A store reopened on the same folder, as after a restart or crash.
mod sled_on_disk {
    use super::contract::fixtures::{
        accept, claim_all, fresh_delivery, routed_job, unrouted_count, LEASE, T0,
    };
    use super::*;
    use std::path::Path;
    use std::time::Duration;

    /// Opens the store in `dir` once the previous instance has let go of it: sled holds a
    /// file lock until every handle (including the writer task's) is dropped.
    async fn reopen(dir: &Path) -> SledStore {
        let mut last_error = None;
        for _ in 0..300 {
            match SledStore::open(dir) {
                Ok(store) => return store,
                Err(e) => last_error = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "the previous store never released {}: {last_error:?}",
            dir.display()
        );
    }

    #[tokio::test]
    async fn an_ingested_event_survives_a_reopen_still_unrouted() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let event = accept(&store, fresh_delivery(Some("opp-1"))).await;
        drop(store);

        let store = reopen(dir.path()).await;

        let reread = store
            .event(&event.id)
            .await
            .unwrap()
            .expect("the event survived");
        assert_eq!(
            (reread.seq, reread.dedupe_key.as_str()),
            (event.seq, event.dedupe_key.as_str())
        );
        assert_eq!(reread.data.get(), event.data.get());
        let unrouted = store.unrouted(10).await.unwrap();
        assert_eq!(
            unrouted.iter().map(|e| &e.id).collect::<Vec<_>>(),
            [&event.id]
        );
        let rerun = super::contract::fixtures::delivery(
            "default",
            &event.dedupe_key,
            "new-token",
            event.data.get(),
        );
        assert_eq!(
            store.ingest(rerun).await.unwrap(),
            lever_hooks::store::IngestOutcome::Duplicate(event.id.clone()),
            "its dedupe key survived too"
        );
    }

    #[tokio::test]
    async fn a_job_leased_before_a_restart_is_claimable_again_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let leased = routed_job(&store, Some("opp-1"), "h", T0).await;
        let waiting = routed_job(&store, Some("opp-1"), "h", T0).await;
        assert_eq!(claim_all(&store, T0).await, std::slice::from_ref(&leased));
        store.flush().await.unwrap(); // the lease is on disk
        drop(store);

        let store = reopen(dir.path()).await;

        assert_eq!(
            claim_all(&store, T0 + 1).await,
            [leased],
            "well before the old lease expires"
        );
        assert_eq!(unrouted_count(&store).await, 0, "routing survived too");
        let later = T0 + 2 * LEASE.as_millis() as u64;
        assert_ne!(
            claim_all(&store, later).await,
            [waiting],
            "order is kept after the reopen"
        );
    }

    #[tokio::test]
    async fn records_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        store
            .put_record(
                &RecordKey::oauth_session("acme"),
                serde_json::json!({"token": "rotated"}),
            )
            .await
            .unwrap();
        assert_eq!(
            store
                .insert_record(
                    &RecordKey::handler("hris", "employee/acme/c1"),
                    serde_json::json!("e-1")
                )
                .await
                .unwrap(),
            None
        );
        drop(store);

        let store = reopen(dir.path()).await;

        assert_eq!(
            store
                .record(&RecordKey::oauth_session("acme"))
                .await
                .unwrap(),
            Some(serde_json::json!({"token": "rotated"}))
        );
        assert_eq!(
            store
                .insert_record(
                    &RecordKey::handler("hris", "employee/acme/c1"),
                    serde_json::json!("e-2")
                )
                .await
                .unwrap(),
            Some(serde_json::json!("e-1"))
        );
    }
}
