//! Crash safety, with the real binary: 2,000 distinct signed deliveries from 32
//! connections, SIGKILL in the middle, a restart on the same data. Every delivery that
//! got a 200 is still stored (its redelivery is answered `duplicate` with the same id)
//! and its handler job runs; no job runs twice except those in flight at the kill, and
//! those again with the same idempotency key. Three kill points.

use crate::spawned;

use serde_json::Value;
use spawned::{free_port, start, wait_listening};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Child;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOKEN: &str = "crash-signing-token";
const DELIVERIES: usize = 2_000;
const CONNECTIONS: usize = 32;
const WORKERS: usize = 8;

fn write_config(dir: &Path, port: u16) -> std::path::PathBuf {
    spawned::write_script(
        &dir.join("record.sh"),
        "#!/bin/sh\nprintf '%s\\n' \"$LEVER_HOOKS_IDEMPOTENCY_KEY\" >> \"$RUNS\"\n",
    );
    let config = dir.join("lever-hooks.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[server]
listen = "127.0.0.1:{port}"

[storage]
path = "{data}"

[lever]
signing_tokens = {{ default = ["{TOKEN}"] }}

[dispatch]
workers = {WORKERS}

[handlers.record]
kind = "command"
program = "./record.sh"
env = {{ RUNS = "{runs}" }}

[[routes]]
events = ["*"]
handler = "record"
"#,
            data = dir.join("data").display(),
            runs = dir.join("runs.log").display(),
        ),
    )
    .unwrap();
    config
}

fn bodies() -> Vec<Vec<u8>> {
    spawned::signed_bodies(TOKEN, DELIVERIES, |_, _| {})
}

/// Sends every body once over `CONNECTIONS` connections; returns the 200 answers by body
/// index. `killed_after` kills `child` once that many were accepted.
async fn send_all(
    port: u16,
    bodies: &Arc<Vec<Vec<u8>>>,
    kill: Option<(usize, Arc<Mutex<Child>>)>,
) -> BTreeMap<usize, Value> {
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let answers = Arc::new(Mutex::new(BTreeMap::new()));
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (next, accepted, answers, bodies) = (
                next.clone(),
                accepted.clone(),
                answers.clone(),
                bodies.clone(),
            );
            let kill = kill.clone();
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
                    let sent = http
                        .post(format!("http://127.0.0.1:{port}/webhooks/lever"))
                        .header("content-type", "application/json")
                        .body(bodies[i].clone())
                        .send()
                        .await;
                    let Ok(response) = sent else { continue };
                    if response.status() != 200 {
                        continue;
                    }
                    let Ok(answer) = response.json::<Value>().await else {
                        continue;
                    };
                    answers.lock().unwrap().insert(i, answer);
                    let count = accepted.fetch_add(1, Ordering::SeqCst) + 1;
                    if let Some((at, child)) = &kill {
                        if count == *at {
                            child.lock().unwrap().kill().expect("SIGKILL");
                        }
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    Arc::try_unwrap(answers).unwrap().into_inner().unwrap()
}

fn runs(dir: &Path) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for line in std::fs::read_to_string(dir.join("runs.log"))
        .unwrap_or_default()
        .lines()
    {
        *counts.entry(line.to_owned()).or_default() += 1;
    }
    counts
}

async fn crash_and_restart(kill_at: usize) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(dir.path(), port);
    let bodies = Arc::new(bodies());
    let child = Arc::new(Mutex::new(start(&config)));
    wait_listening(port).await;

    let before = send_all(port, &bodies, Some((kill_at, child.clone()))).await;
    let _ = child.lock().unwrap().wait();
    assert!(
        before.len() >= kill_at,
        "{} accepted before the kill",
        before.len()
    );
    assert!(before.len() < DELIVERIES, "the kill happened mid-run");

    let mut restarted = start(&config);
    wait_listening(port).await;
    // Lever sends everything again: what was accepted must be a duplicate of itself.
    let after = send_all(port, &bodies, None).await;
    assert_eq!(
        after.len(),
        DELIVERIES,
        "every delivery is answered 200 after the restart"
    );
    for (i, first) in &before {
        let again = &after[i];
        assert_eq!(
            again["status"], "duplicate",
            "delivery {i} was answered 200 before the kill but is not stored"
        );
        assert_eq!(
            again["id"], first["id"],
            "delivery {i} is stored under its first id"
        );
    }
    let keys: Vec<String> = after
        .values()
        .map(|a| format!("{}:record", a["id"].as_str().unwrap()))
        .collect();
    for _ in 0..1500 {
        let runs = runs(dir.path());
        if keys.iter().all(|k| runs.contains_key(k)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    restarted.kill().unwrap();
    let _ = restarted.wait();
    let runs = runs(dir.path());
    let missing = keys.iter().filter(|k| !runs.contains_key(*k)).count();
    assert_eq!(missing, 0, "every stored event's job ran");
    assert_eq!(runs.len(), DELIVERIES, "no job ran for anything else");
    let twice: Vec<_> = runs.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.len() <= WORKERS && twice.iter().all(|(_, n)| **n == 2),
        "only jobs in flight at the kill (at most {WORKERS}) ran again, once: {twice:?}"
    );
    eprintln!(
        "kill after {kill_at}: {} accepted before the kill, {} jobs ran twice (in flight at the kill)",
        before.len(),
        twice.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_early_in_the_run_loses_nothing() {
    crash_and_restart(200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_midway_loses_nothing() {
    crash_and_restart(1_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_late_in_the_run_loses_nothing() {
    crash_and_restart(1_700).await;
}
