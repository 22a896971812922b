//! Two `lever-hooks serve` processes on one PostgreSQL database, as behind a load
//! balancer: 2,000 distinct signed deliveries split between them (every tenth sent to
//! both at once), 100 opportunities shared by all, and one instance killed with SIGKILL
//! halfway, while one of its handler runs is in flight. Lever's retries of what the dead instance did not answer go to the other one.
//!
//! Afterwards: every delivery was answered 200 by someone, each stored once (sent to both:
//! one `accepted`, one `duplicate` with the same id); every event's job completed exactly
//! once in the database; the handler ran once per job except jobs in flight at the kill,
//! which the survivor took over when their lease ran out; and no two runs of one
//! opportunity overlapped.
//!
//! Needs `LEVER_HOOKS_TEST_DATABASE_URL` (see README "PostgreSQL"); skipped without it.

use crate::contract::pg;
use crate::spawned;

use serde_json::Value;
use spawned::{free_port, start, wait_listening};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "multi-instance-signing-token";
const DELIVERIES: usize = 2_000;
const OPPORTUNITIES: usize = 100;
const CONNECTIONS: usize = 32;
const WORKERS: usize = 8;
const KILL_AT: usize = 1_000;

/// Logs `start|end INSTANCE OPPORTUNITY KEY` around a short piece of work.
const RECORD: &str = r#"#!/bin/sh
doc=$(cat)
opp=$(printf '%s' "$doc" | grep -o '"opportunityId":"[^"]*"' | head -n 1 | cut -d'"' -f4)
printf 'start %s %s %s\n' "$INSTANCE" "$opp" "$LEVER_HOOKS_IDEMPOTENCY_KEY" >> "$RUNS"
sleep 0.05
printf 'end %s %s %s\n' "$INSTANCE" "$opp" "$LEVER_HOOKS_IDEMPOTENCY_KEY" >> "$RUNS"
"#;

fn write_config(dir: &Path, name: &str, port: u16, url: &str) -> PathBuf {
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(
        &config,
        format!(
            r#"
[server]
listen = "127.0.0.1:{port}"

[storage]
url = "{url}"
pool_size = 6

[lever]
signing_tokens = {{ default = ["{TOKEN}"] }}

[dispatch]
workers = {WORKERS}
lease = "2s"

[handlers.record]
kind = "command"
program = "./record.sh"
env = {{ RUNS = "{runs}", INSTANCE = "{name}" }}

[[routes]]
events = ["*"]
handler = "record"
"#,
            runs = dir.join("runs.log").display(),
        ),
    )
    .unwrap();
    config
}

/// Where each delivery goes first.
fn targets(i: usize) -> &'static [usize] {
    if i % 10 == 0 {
        &[0, 1]
    } else if i % 2 == 0 {
        &[0]
    } else {
        &[1]
    }
}

/// POSTs `body` to the instance on `port`; the JSON answer when it was 200.
async fn post(http: &reqwest::Client, port: u16, body: &[u8]) -> Option<Value> {
    let response = http
        .post(format!("http://127.0.0.1:{port}/webhooks/lever"))
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    response.json().await.ok()
}

/// Answers by body index: which instance answered and what.
type Answers = BTreeMap<usize, Vec<(usize, Value)>>;

/// Kills `victim` (instance `a`) once `KILL_AT` deliveries were accepted and, as the log
/// shows, while one of its handler runs is in flight, so a lease must be taken over.
async fn kill_mid_run(dir: PathBuf, accepted: Arc<AtomicUsize>, victim: Arc<Mutex<Child>>) {
    while accepted.load(Ordering::SeqCst) < KILL_AT {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut open = HashSet::new();
        for run in runs(&dir).into_iter().filter(|r| r.instance == "a") {
            if run.start {
                open.insert(run.key);
            } else {
                open.remove(&run.key);
            }
        }
        if !open.is_empty() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    victim.lock().unwrap().kill().expect("SIGKILL");
}

/// Sends every body to its targets; whatever instance 0 does not answer (it is killed
/// mid-run, see [`kill_mid_run`]) is sent again to instance 1, as Lever retries.
async fn send_all(
    ports: [u16; 2],
    bodies: Arc<Vec<Vec<u8>>>,
    dir: &Path,
    victim: Arc<Mutex<Child>>,
) -> Answers {
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let answers: Arc<Mutex<Answers>> = Arc::default();
    let killer = tokio::spawn(kill_mid_run(dir.to_owned(), accepted.clone(), victim));
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (next, accepted, answers, bodies) = (
                next.clone(),
                accepted.clone(),
                answers.clone(),
                bodies.clone(),
            );
            tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= bodies.len() {
                        return;
                    }
                    let sends = targets(i).iter().map(|&instance| {
                        let http = &http;
                        let body = &bodies[i];
                        async move {
                            let mut answer = post(http, ports[instance], body).await;
                            let mut by = instance;
                            for _ in 0..5 {
                                if answer.is_some() {
                                    break;
                                }
                                by = 1;
                                answer = post(http, ports[1], body).await;
                            }
                            (by, answer.expect("the surviving instance answers 200"))
                        }
                    });
                    let got = futures_util::future::join_all(sends).await;
                    for (_, answer) in &got {
                        if answer["status"] == "accepted" {
                            accepted.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    answers.lock().unwrap().insert(i, got);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    killer.await.unwrap();
    Arc::try_unwrap(answers).unwrap().into_inner().unwrap()
}

/// One line of the handler's log.
struct Run {
    start: bool,
    instance: String,
    opportunity: String,
    key: String,
}

fn runs(dir: &Path) -> Vec<Run> {
    std::fs::read_to_string(dir.join("runs.log"))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut parts = line.split(' ');
            let (kind, instance, opportunity, key) =
                (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            Some(Run {
                start: kind == "start",
                instance: instance.to_owned(),
                opportunity: opportunity.to_owned(),
                key: key.to_owned(),
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_work_and_survive_losing_one() {
    let Some(url) = pg::url() else {
        eprintln!("{}", pg::SKIPPED);
        return;
    };
    let schema = pg::fresh_schema(&url).await;
    let url = pg::url_in_schema(&url, &schema);
    let dir = tempfile::tempdir().unwrap();
    spawned::write_script(&dir.path().join("record.sh"), RECORD);
    let ports = [free_port(), free_port()];
    let configs = [
        write_config(dir.path(), "a", ports[0], &url),
        write_config(dir.path(), "b", ports[1], &url),
    ];
    let opportunities: Vec<String> = (0..OPPORTUNITIES)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    let bodies = Arc::new(spawned::signed_bodies(TOKEN, DELIVERIES, |i, sample| {
        sample.opportunity_id = opportunities[i % OPPORTUNITIES].clone();
    }));
    let a = Arc::new(Mutex::new(start(&configs[0])));
    wait_listening(ports[0]).await;
    let mut b = start(&configs[1]);
    wait_listening(ports[1]).await;

    let answers = send_all(ports, bodies.clone(), dir.path(), a.clone()).await;
    let _ = a.lock().unwrap().wait();

    // Every delivery answered and stored once; sent to both, one stored it.
    assert_eq!(answers.len(), DELIVERIES);
    let mut ids = HashSet::new();
    let mut answered_by = [0usize; 2];
    let mut both_answered = 0;
    for (i, got) in &answers {
        let id = got[0].1["id"].as_str().expect("an id").to_owned();
        for (by, answer) in got {
            answered_by[*by] += 1;
            assert_eq!(answer["id"], id.as_str(), "delivery {i}: one event, one id");
        }
        let accepted = got
            .iter()
            .filter(|(_, a)| a["status"] == "accepted")
            .count();
        assert!(accepted <= 1, "delivery {i} stored twice: {got:?}");
        if got.len() == 2 && got[0].0 != got[1].0 {
            both_answered += 1;
            assert_eq!(accepted, 1, "delivery {i} at both instances: {got:?}");
        }
        assert!(ids.insert(id), "delivery {i} shares its id with another");
    }
    assert!(
        both_answered > 0,
        "some deliveries reached both instances at once"
    );

    // Every event's job ran to completion.
    let keys: HashSet<String> = ids.iter().map(|id| format!("{id}:record")).collect();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let ended: HashSet<String> = runs(dir.path())
            .into_iter()
            .filter(|r| !r.start)
            .map(|r| r.key)
            .collect();
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let open: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state <> 'done'")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        if keys.is_subset(&ended) && open == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} events never handled, {open} jobs not done",
            keys.difference(&ended).count()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    b.kill().unwrap();
    let _ = b.wait();

    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let jobs: Vec<(String, i32)> =
        sqlx::query_as("SELECT id, jsonb_array_length(attempts) FROM jobs WHERE state = 'done'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        jobs.iter()
            .map(|(id, _)| id.clone())
            .collect::<HashSet<_>>(),
        keys,
        "one job per event, all done"
    );
    assert!(
        jobs.iter().all(|(_, attempts)| *attempts == 1),
        "each job completed exactly once"
    );

    let runs = runs(dir.path());
    let mut starts: HashMap<&str, Vec<&str>> = HashMap::new();
    for run in runs.iter().filter(|r| r.start) {
        starts.entry(&run.key).or_default().push(&run.instance);
    }
    assert_eq!(starts.len(), DELIVERIES, "no handler ran for anything else");
    let twice: Vec<_> = starts.iter().filter(|(_, by)| by.len() > 1).collect();
    assert!(
        twice.len() <= WORKERS
            && twice
                .iter()
                .all(|(_, by)| by.len() == 2 && by[0] == "a" && by[1] == "b"),
        "only jobs in flight on the killed instance (at most {WORKERS}) ran again, once, on the survivor: {twice:?}"
    );
    assert!(
        !twice.is_empty(),
        "the killed instance had jobs in flight, and the survivor took them over"
    );
    let rerun: HashSet<&str> = twice.iter().map(|(key, _)| **key).collect();
    let mut running: HashMap<&str, &str> = HashMap::new();
    for run in &runs {
        if rerun.contains(run.key.as_str()) {
            continue;
        }
        if run.start {
            if let Some(other) = running.insert(&run.opportunity, &run.key) {
                panic!(
                    "{} started while {other} of opportunity {} was running",
                    run.key, run.opportunity
                );
            }
        } else {
            running.remove(run.opportunity.as_str());
        }
    }
    eprintln!(
        "multi-instance: {DELIVERIES} deliveries, answered {} by a and {} by b, {both_answered} answered by both; \
         {} jobs in flight at the kill ran again on the survivor; every job completed once",
        answered_by[0],
        answered_by[1],
        twice.len()
    );
}
