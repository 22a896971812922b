//! A killed process resumes its work: the real binary is SIGKILLed with one job in flight
//! and one waiting behind it, then started again on the same data.

use lever_hooks::sample::{random_token, signed_body, SampleEvent};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "restart-test-token";

/// The handler script: logs `start KEY`, blocks until the release file exists, logs `done KEY`.
const SCRIPT: &str = r#"#!/bin/sh
echo "start $LEVER_HOOKS_IDEMPOTENCY_KEY" >> "$1"
while [ ! -f "$2" ]; do sleep 0.05; done
echo "done $LEVER_HOOKS_IDEMPOTENCY_KEY" >> "$1"
"#;

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    /// A failing test must not leave a server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(config: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lever-hooks"))
        .args(["serve", "--log-format", "json", "--config"])
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("server: {line}");
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                if let Some(port) = v["port"].as_u64() {
                    let _ = tx.send(port as u16);
                }
            }
        }
    });
    let port = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the server reports its port");
    Server { child, port }
}

fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

fn count(log: &Path, line: &str) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| *l == line)
        .count()
}

/// A plain blocking HTTP/1.1 POST of a delivery; asserts 200 and returns the JSON answer.
fn post(port: u16, body: Vec<u8>) -> serde_json::Value {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
    write!(
        conn,
        "POST /webhooks/lever HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    conn.write_all(&body).unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "answer: {answer}");
    let json = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(json).unwrap_or_else(|_| panic!("JSON body in {answer}"))
}

/// SIGKILL with one job running and one queued behind it: after a restart the running one
/// runs again with the same idempotency key, the queued one runs once, nothing is lost.
#[test]
fn a_restart_after_sigkill_resumes_in_flight_and_pending_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("handler.sh");
    std::fs::write(&script, SCRIPT).unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    let log = dir.path().join("handler.log");
    let release = dir.path().join("release");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[server]
listen = "127.0.0.1:0"
workers = 1
[storage]
path = "{data}"
[lever]
signing_tokens = {{ default = ["{TOKEN}"] }}
[handlers.blocking]
kind = "command"
program = "./handler.sh"
args = ["{log}", "{release}"]
timeout = "60s"
[[routes]]
events = ["*"]
handler = "blocking"
"#,
            data = dir.path().join("data").display(),
            log = log.display(),
            release = release.display(),
        ),
    )
    .unwrap();

    let server = start(&config);
    let mut sample = SampleEvent::new("candidateStageChange");
    let now = lever_hooks::store::now_millis();
    let first = post(
        server.port,
        signed_body(
            TOKEN,
            &sample.event,
            &sample.data(now),
            now,
            &random_token(),
        ),
    );
    sample.to_stage = "next-stage".into();
    let second = post(
        server.port,
        signed_body(
            TOKEN,
            &sample.event,
            &sample.data(now),
            now + 1,
            &random_token(),
        ),
    );
    let key = |answer: &serde_json::Value| format!("{}:blocking", answer["id"].as_str().unwrap());
    let (first_key, second_key) = (key(&first), key(&second));

    wait_for("the first job to start", Duration::from_secs(20), || {
        count(&log, &format!("start {first_key}")) == 1
    });
    drop(server); // SIGKILL: no shutdown, no flush
    assert_eq!(
        count(&log, &format!("start {second_key}")),
        0,
        "the second job waits behind the first"
    );

    std::fs::write(&release, b"").unwrap();
    let mut server = start(&config);
    wait_for("both jobs to finish", Duration::from_secs(30), || {
        count(&log, &format!("done {first_key}")) >= 1
            && count(&log, &format!("done {second_key}")) == 1
    });
    // The killed server's child process was orphaned, not killed: it may finish too. Both
    // runs of the in-flight job carry the same idempotency key, which is the documented
    // exception to "once".
    assert_eq!(
        count(&log, &format!("start {first_key}")),
        2,
        "the in-flight job ran again, same key"
    );
    assert_eq!(
        count(&log, &format!("start {second_key}")),
        1,
        "the queued job ran once"
    );
    let lines: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let position = |line: String| lines.iter().position(|l| *l == line).unwrap();
    let restarted_first = lines
        .iter()
        .rposition(|l| *l == format!("start {first_key}"))
        .unwrap();
    assert!(
        position(format!("start {second_key}")) > restarted_first,
        "after the restart the queued job still waits for the first: {lines:?}"
    );

    stop_with_sigterm(&mut server.child);
}

/// Stops the server with SIGTERM and asserts a clean exit 0.
fn stop_with_sigterm(child: &mut Child) {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "SIGTERM exits 0, got {status}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
