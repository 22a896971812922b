//! The real binary's text log, as an operator's terminal or log file gets it: text a
//! sender chose (an event name, an account path segment) cannot start a line of its own
//! or put a terminal escape in the log.

use crate::spawned;

use lever_hooks::sample::{random_token, signed_body};
use serde_json::json;
use spawned::{free_port, wait_listening};
use std::io::Read;
use std::process::{Command, Stdio};

const TOKEN: &str = "log-lines-signing-token";

/// An event name that, written raw, ends the delivery's line, forges one from the admin
/// module and turns the rest of the terminal red.
const FORGED: &str =
    "madeUp\n2026-01-01T00:00:00.000000Z  INFO lever_hooks::admin: forged line\x1b[31m red";

#[tokio::test]
async fn sender_chosen_names_stay_on_their_delivery_line_without_escape_bytes() {
    // Arrange: the binary with the default text format, no colours of its own.
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("lever-hooks.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n\n[storage]\npath = \"{}\"\n\n[lever]\nsigning_tokens = {{ default = [\"{TOKEN}\"] }}\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lever-hooks"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    wait_listening(port).await;

    // Act: a validly signed delivery with the forged name, and one to an account path
    // holding a newline and an escape.
    let now = lever_hooks::store::now_millis();
    let body = signed_body(
        TOKEN,
        FORGED,
        &json!({"opportunityId": "o1"}),
        now,
        &random_token(),
    );
    let http = reqwest::Client::new();
    let accepted = http
        .post(format!("http://127.0.0.1:{port}/webhooks/lever"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let unknown = http
        .post(format!(
            "http://127.0.0.1:{port}/webhooks/lever/acme%0A2026-01-01T00:00:00Z%20INFO%20forged%1B[31m"
        ))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    // SIGTERM: a clean stop flushes the log and closes stderr.
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let mut log = Vec::new();
    child.stderr.take().unwrap().read_to_end(&mut log).unwrap();
    child.wait().unwrap();

    // Assert
    assert!(!log.contains(&0x1b), "no raw ESC byte in the log");
    let log = String::from_utf8(log).unwrap();
    assert!(
        !log.lines()
            .any(|l| l.contains("forged") && !l.contains("delivery")),
        "no line of the sender's own:\n{log}"
    );
    let accepted_lines: Vec<&str> = log.lines().filter(|l| l.contains("madeUp")).collect();
    assert_eq!(accepted_lines.len(), 1, "{log}");
    assert!(
        accepted_lines[0].contains(r"event=madeUp\n2026-01-01T00:00:00.000000Z  INFO lever_hooks::admin: forged line\u{1b}[31m red")
            && accepted_lines[0].contains("outcome=\"accepted\""),
        "the name, escaped, on its delivery's line: {}",
        accepted_lines[0]
    );
    let unknown_lines: Vec<&str> = log.lines().filter(|l| l.contains("acme")).collect();
    assert_eq!(unknown_lines.len(), 1, "{log}");
    assert!(
        unknown_lines[0].contains("reason=\"unknown_account\""),
        "{log}"
    );
}
