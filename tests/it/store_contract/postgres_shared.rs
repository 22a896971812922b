//! Two instances on one PostgreSQL database: two stores with their own connection pools
//! on one schema, racing. Whatever one process cannot show (the database, not a lock in
//! the process, must keep the contract) is checked here.

use super::contract::fixtures::{accept, delivery, fresh_delivery, routing, LEASE, T0};
use super::contract::pg;
use lever_hooks::route::order_key;
use lever_hooks::store::{
    Attempt, AttemptOutcome, Change, IngestOutcome, NewJob, NextStep, PostgresStore, RecordKey,
    RecordPrefix,
};
use lever_hooks::Store;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Two stores sharing one fresh schema, as two instances share a database.
async fn two_instances() -> Option<(Arc<PostgresStore>, Arc<PostgresStore>)> {
    let Some(url) = pg::url() else {
        eprintln!("{}", pg::SKIPPED);
        return None;
    };
    let schema = pg::fresh_schema(&url).await;
    let a = pg::store_in(&url, &schema).await;
    let b = pg::store_in(&url, &schema).await;
    Some((Arc::new(a), Arc::new(b)))
}

fn done(number: u32) -> Attempt {
    Attempt {
        number,
        started_at: T0,
        duration_ms: 1,
        outcome: AttemptOutcome::Done,
        error: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_delivery_reaching_two_instances_at_once_is_accepted_once() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    for round in 0..40 {
        let data = format!(r#"{{"round":{round}}}"#);
        // Odd rounds: Lever's retry with the same token; even: a rerun with a fresh one.
        let (first_token, second_token) = if round % 2 == 1 {
            (format!("tok-{round}"), format!("tok-{round}"))
        } else {
            (format!("tok-{round}-a"), format!("tok-{round}-b"))
        };
        let key = format!("id:{round}");
        let one = delivery("default", &key, &first_token, &data);
        let other = delivery("default", &key, &second_token, &data);
        let (x, y) = tokio::join!(a.ingest(one), b.ingest(other));
        let mut outcomes = [x.unwrap(), y.unwrap()];
        outcomes.sort_by_key(|o| matches!(o, IngestOutcome::Duplicate(_)));
        match &outcomes {
            [IngestOutcome::Accepted(id), IngestOutcome::Duplicate(same)] => {
                assert_eq!(
                    id, same,
                    "round {round}: the duplicate names the stored event"
                )
            }
            other => panic!("round {round}: expected one accepted, one duplicate: {other:?}"),
        }
    }
    assert_eq!(
        a.unrouted(1_000).await.unwrap().len(),
        40,
        "one event per delivery"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_token_with_other_content_is_refused_across_instances() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let first = delivery("default", "id:1", "shared-token", r#"{"n":1}"#);
    let altered = delivery("default", "id:2", "shared-token", r#"{"n":2}"#);
    let (x, y) = tokio::join!(a.ingest(first), b.ingest(altered));
    let outcomes = [x.unwrap(), y.unwrap()];
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == IngestOutcome::TokenReused)
            .count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        a.unrouted(10).await.unwrap().len(),
        1,
        "only one was stored"
    );
}

/// Claimers on both instances take turns on 20 opportunities of 3 jobs each plus free
/// jobs: no job twice, never two jobs of one order key at once, each key in event order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claimers_on_two_instances_split_work_and_keep_each_order_key_in_order() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let mut expected = HashSet::new();
    for round in 0..3 {
        for opportunity in 0..20 {
            let event = accept(&*a, fresh_delivery(Some(&format!("opp-{opportunity}")))).await;
            let job = NewJob {
                handler: "h".into(),
                order_key: order_key(&event, "h"),
                run_at: T0,
            };
            a.route(routing(&event, vec![job])).await.unwrap();
            expected.insert(format!("{}:h", event.id));
        }
        let free = accept(&*b, fresh_delivery(None)).await;
        let job = NewJob {
            handler: format!("free{round}"),
            order_key: None,
            run_at: T0,
        };
        b.route(routing(&free, vec![job])).await.unwrap();
        expected.insert(format!("{}:free{round}", free.id));
    }
    let running: Arc<Mutex<HashSet<String>>> = Arc::default();
    let last_seq: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let handed_out: Arc<Mutex<Vec<String>>> = Arc::default();
    let claimers: Vec<_> = (0..8)
        .map(|i| {
            let store: Arc<dyn Store> = if i % 2 == 0 { a.clone() } else { b.clone() };
            let (running, last_seq, handed_out) =
                (running.clone(), last_seq.clone(), handed_out.clone());
            tokio::spawn(async move {
                let mut idle = 0;
                while idle < 20 {
                    let claimed = store.claim(T0, 3, LEASE).await.unwrap();
                    if claimed.is_empty() {
                        idle += 1;
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    }
                    idle = 0;
                    for c in &claimed {
                        handed_out.lock().unwrap().push(c.job.id.clone());
                        if let Some(key) = &c.job.order_key {
                            assert!(
                                running.lock().unwrap().insert(key.clone()),
                                "two jobs of {key} handed out at once"
                            );
                            let mut last = last_seq.lock().unwrap();
                            let previous = last.insert(key.clone(), c.job.event_seq);
                            assert!(
                                previous.map_or(true, |p| p < c.job.event_seq),
                                "{key} out of event order"
                            );
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    for c in claimed {
                        if let Some(key) = &c.job.order_key {
                            running.lock().unwrap().remove(key);
                        }
                        store
                            .finish_attempt(&c.job.id, done(1), NextStep::Done)
                            .await
                            .unwrap();
                    }
                }
            })
        })
        .collect();
    for claimer in claimers {
        claimer.await.unwrap();
    }
    let handed_out = handed_out.lock().unwrap();
    let distinct: HashSet<String> = handed_out.iter().cloned().collect();
    assert_eq!(
        distinct.len(),
        handed_out.len(),
        "a job was handed out twice"
    );
    assert_eq!(distinct, expected, "every job ran");
}

/// The earlier event of an opportunity can be routed (on one instance) after the later
/// one's job was leased (on the other): it must wait until that job is finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_job_routed_late_waits_for_the_running_job_of_its_order_key() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let earlier = accept(&*a, fresh_delivery(Some("opp-1"))).await;
    let later = accept(&*b, fresh_delivery(Some("opp-1"))).await;
    let job = |event| NewJob {
        handler: "h".into(),
        order_key: order_key(event, "h"),
        run_at: T0,
    };
    b.route(routing(&later, vec![job(&later)])).await.unwrap();
    let running = b.claim(T0, 10, LEASE).await.unwrap();
    assert_eq!(running.len(), 1);
    a.route(routing(&earlier, vec![job(&earlier)]))
        .await
        .unwrap();

    assert!(
        a.claim(T0 + 1, 10, LEASE).await.unwrap().is_empty(),
        "another job of its key is running"
    );
    b.finish_attempt(&running[0].job.id, done(1), NextStep::Done)
        .await
        .unwrap();
    let next = a.claim(T0 + 2, 10, LEASE).await.unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].job.event_id, earlier.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_record_racing_on_two_instances_has_one_winner() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    for round in 0..30 {
        let key = RecordKey::hire_once("default", &format!("opp-{round}"), "hris");
        let (x, y) = tokio::join!(
            a.insert_record(&key, serde_json::json!("from-a")),
            b.insert_record(&key, serde_json::json!("from-b"))
        );
        let (x, y) = (x.unwrap(), y.unwrap());
        let stored = a.record(&key).await.unwrap().unwrap();
        match (x, y) {
            (None, Some(seen)) | (Some(seen), None) => assert_eq!(seen, stored),
            other => panic!("round {round}: expected exactly one winner: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_one_instance_wakes_the_other() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let waiting = tokio::spawn({
        let b = b.clone();
        async move { b.changed(Change::Events).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let event = accept(&*a, fresh_delivery(Some("opp-1"))).await;
    tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("an ingest on A wakes B's router")
        .unwrap();

    let jobs = b.changed(Change::Jobs);
    let job = NewJob {
        handler: "h".into(),
        order_key: order_key(&event, "h"),
        run_at: T0,
    };
    a.route(routing(&event, vec![job])).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), jobs)
        .await
        .expect("routing on A wakes B's workers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_again_applies_nothing() {
    let Some(url) = pg::url() else {
        eprintln!("{}", pg::SKIPPED);
        return;
    };
    let schema = pg::fresh_schema(&url).await;
    let options =
        lever_hooks::store::postgres::parse_url(&pg::url_in_schema(&url, &schema)).unwrap();
    let first = PostgresStore::migrate(options.clone()).await.unwrap();
    assert!(!first.is_empty() && first.iter().all(|m| m.applied_now));
    let again = PostgresStore::migrate(options).await.unwrap();
    assert!(again.iter().all(|m| !m.applied_now), "{again:?}");
    let _store = pg::store_in(&url, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_routers_never_take_the_same_event_until_its_lease_runs_out() {
    let Some((a, b)) = two_instances().await else {
        return;
    };
    let mut stored = HashSet::new();
    for _ in 0..10 {
        stored.insert(accept(&*a, fresh_delivery(Some("opp-1"))).await.id);
    }
    let lease = Duration::from_secs(10);

    let (x, y) = tokio::join!(a.take_unrouted(6, T0, lease), b.take_unrouted(6, T0, lease));
    let (x, y) = (x.unwrap(), y.unwrap());
    let taken: HashSet<_> = x.iter().chain(&y).map(|e| e.id.clone()).collect();
    assert_eq!(
        taken.len(),
        x.len() + y.len(),
        "an event went to both routers"
    );
    assert_eq!(taken, stored, "together they took every event");
    assert!(x.windows(2).all(|w| w[0].seq < w[1].seq), "oldest first");
    assert!(
        a.take_unrouted(100, T0 + 1, lease)
            .await
            .unwrap()
            .is_empty(),
        "all are leased"
    );
    assert_eq!(
        a.unrouted(100).await.unwrap().len(),
        10,
        "unrouted still lists them: they are not routed yet"
    );
    let expired = T0 + lease.as_millis() as u64;
    assert_eq!(
        b.take_unrouted(100, expired, lease).await.unwrap().len(),
        10,
        "a dead router's events go to another once its lease runs out"
    );
}

/// `[storage] pool_size` caps what one instance opens: 32 calls at once share its
/// connections (plus the one that listens for other instances) rather than each opening
/// its own, so many instances fit under the server's `max_connections`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_opens_no_more_connections_than_its_pool_size() {
    let Some(url) = pg::url() else {
        eprintln!("{}", pg::SKIPPED);
        return;
    };
    let schema = pg::fresh_schema(&url).await;
    // The application name tells this store's connections from every other test's.
    let name = format!("pool_{schema}");
    let store_url = format!(
        "{}&application_name={name}",
        pg::url_in_schema(&url, &schema)
    );
    let store = Arc::new(PostgresStore::connect(&store_url, 2).await.unwrap());

    let calls: Vec<_> = (0..32)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .put_record(
                        &RecordKey::handler("pool", &format!("{i:02}")),
                        serde_json::json!(i),
                    )
                    .await
            })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(
        store
            .records(&RecordPrefix::handler("pool"))
            .await
            .unwrap()
            .len(),
        32
    );

    // The pool keeps what it opened, idle, so counting now counts every connection it made.
    let observer = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    let open: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1")
            .bind(&name)
            .fetch_one(&observer)
            .await
            .unwrap();
    assert!(
        (2..=3).contains(&open),
        "pool_size 2 plus the listener, but {open} connections are open"
    );
}
