//! The store failing for real: the disk fills up under a running lever-hooks. Deliveries
//! get 503 (so Lever retries) and nothing half-written; once space is freed, intake
//! resumes without a restart, and everything answered 200 is on disk.
//!
//! Filled and freed again and again, it never leaves the store unable to open.
//!
//! The disk is a small tmpfs mounted for the test, which needs root (CI runs as root);
//! elsewhere the test prints why it skipped.

use lever_hooks::sample::{random_token, signed_body, SampleEvent};
use lever_hooks::store::SledStore;
use lever_hooks::{App, Config, HandlerRegistry, Store};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TOKEN: &str = "faults-signing-token";

/// A tmpfs of `megabytes`, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !status.status.success() {
            return Err(format!(
                "mount -t tmpfs failed (needs root): {}",
                String::from_utf8_lossy(&status.stderr).trim()
            ));
        }
        Ok(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the disk is full; returns its path.
    fn fill(&self) -> PathBuf {
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while file.write_all(&chunk).and_then(|_| file.sync_all()).is_ok() {}
        // Single bytes, to take the last scraps too.
        while file.write_all(&[0]).and_then(|_| file.sync_all()).is_ok() {}
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily: a store still closing may hold a file for a moment.
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// A config storing in `data`, with `more` (handlers, routes) appended.
fn config(data: &Path, more: &str) -> Config {
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:0"
workers = 1

[storage]
path = "{}"

[lever]
signing_tokens = {{ default = ["{TOKEN}"] }}
{more}
"#,
        data.display()
    );
    Config::parse(&text, Path::new("."), &|_| None, &HandlerRegistry::new()).unwrap()
}

fn body() -> Vec<u8> {
    let sample = SampleEvent::new("candidateStageChange");
    let now = lever_hooks::store::now_millis();
    signed_body(
        TOKEN,
        &sample.event,
        &sample.data(now),
        now,
        &random_token(),
    )
}

async fn post(http: &reqwest::Client, base: &str, body: &[u8]) -> (u16, serde_json::Value) {
    let response = http
        .post(format!("{base}/webhooks/lever"))
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_gives_503s_and_intake_resumes_when_space_is_freed() {
    let disk = match SmallDisk::mount(32) {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!(
                "skipped a_full_disk_gives_503s_and_intake_resumes_when_space_is_freed: {why}"
            );
            return;
        }
    };
    let data = disk.path().join("data");
    let config = config(&data, "");
    let app = App::build(&config, HandlerRegistry::new()).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let stopper = app.stopper();
    let running = tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    let mut accepted = Vec::new();
    for _ in 0..20 {
        let (status, answer) = post(&http, &base, &body()).await;
        assert_eq!(status, 200, "{answer}");
        accepted.push(answer["id"].as_str().unwrap().to_owned());
    }

    let filler = disk.fill();
    let mut refused = Vec::new();
    for _ in 0..200 {
        let sent = body();
        let (status, answer) = post(&http, &base, &sent).await;
        match status {
            200 => accepted.push(answer["id"].as_str().unwrap().to_owned()),
            503 => refused.push(sent),
            other => panic!("a full disk answered {other}: {answer}"),
        }
        if refused.len() >= 5 {
            break;
        }
    }
    assert!(!refused.is_empty(), "a full disk never gave a 503");

    std::fs::remove_file(&filler).unwrap();
    let mut resumed = false;
    for _ in 0..100 {
        let (status, answer) = post(&http, &base, &body()).await;
        if status == 200 {
            accepted.push(answer["id"].as_str().unwrap().to_owned());
            resumed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(resumed, "intake did not resume after space was freed");
    // Lever retries what got a 503: now each is stored (accepted, or duplicate if the
    // failed attempt's write reached memory before its flush failed).
    for sent in &refused {
        let (status, answer) = post(&http, &base, sent).await;
        assert_eq!(status, 200, "{answer}");
        accepted.push(answer["id"].as_str().unwrap().to_owned());
    }

    stopper.stop();
    running.await.unwrap().unwrap();
    let reopened = reopen(&data).await;
    for id in &accepted {
        let event = reopened
            .event(&lever_hooks::event::EventId::new(id))
            .await
            .unwrap();
        assert!(event.is_some(), "{id} was answered 200 but is not on disk");
    }
}

/// The disk filled and freed again and again: each reopen tried while it is full can leave
/// sled's next snapshot unfinished (an empty `snap.<lsn>.generating`), which sled refuses to
/// open with, for good. Intake must resume after every cycle, and a restart find all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_disk_cycles_never_keep_the_store_closed() {
    let disk = match SmallDisk::mount(16) {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!("skipped full_disk_cycles_never_keep_the_store_closed: {why}");
            return;
        }
    };
    let data = disk.path().join("data");
    // Every event gets a job, so sled (which holds jobs) writes its log and snapshots.
    let with_jobs = r#"
[handlers.done]
kind = "command"
program = "/bin/true"

[[routes]]
events = ["*"]
handler = "done"
"#;
    let app = App::build(&config(&data, with_jobs), HandlerRegistry::new())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let stopper = app.stopper();
    let running = tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    let mut accepted = Vec::new();
    for cycle in 1..=4 {
        for _ in 0..10 {
            let (status, answer) = post(&http, &base, &body()).await;
            assert_eq!(status, 200, "cycle {cycle}: {answer}");
            accepted.push(answer["id"].as_str().unwrap().to_owned());
        }
        let filler = disk.fill();
        let mut refused = false;
        for _ in 0..200 {
            let (status, answer) = post(&http, &base, &body()).await;
            match status {
                200 => accepted.push(answer["id"].as_str().unwrap().to_owned()),
                503 => {
                    refused = true;
                    break;
                }
                other => panic!("cycle {cycle}: a full disk answered {other}: {answer}"),
            }
        }
        assert!(refused, "cycle {cycle}: a full disk never gave a 503");
        // The store tries to reopen every 250 ms, on the full disk.
        tokio::time::sleep(Duration::from_millis(1500)).await;

        std::fs::remove_file(&filler).unwrap();
        let mut resumed = false;
        for _ in 0..200 {
            let (status, answer) = post(&http, &base, &body()).await;
            if status == 200 {
                accepted.push(answer["id"].as_str().unwrap().to_owned());
                resumed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            resumed,
            "cycle {cycle}: intake did not resume after space was freed"
        );
    }

    stopper.stop();
    running.await.unwrap().unwrap();
    let reopened = reopen(&data).await;
    for id in &accepted {
        let event = reopened
            .event(&lever_hooks::event::EventId::new(id))
            .await
            .unwrap();
        assert!(event.is_some(), "{id} was answered 200 but is not on disk");
    }
}

async fn reopen(path: &Path) -> SledStore {
    for _ in 0..300 {
        if let Ok(store) = SledStore::open(path) {
            return store;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the store was never released");
}
