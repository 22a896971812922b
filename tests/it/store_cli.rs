//! `lever-hooks store check` and `store repair`, with the real binary: check refuses a
//! store that a running `serve` holds, exits 0 on a clean store and 1 on a damaged one
//! (naming the damaged range); repair moves the damage aside to the file it names and the
//! store is clean again; the next `serve` logs how many events it indexed; and a second
//! `serve` on a store in use says another lever-hooks holds it.

use crate::spawned;

use spawned::{free_port, wait_listening};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const TOKEN: &str = "store-cli-token";
const DELIVERIES: usize = 50;

fn write_config(dir: &Path, port: u16) -> PathBuf {
    let config = dir.join("lever-hooks.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n\n[storage]\npath = \"{}\"\n\n[lever]\nsigning_tokens = {{ default = [\"{TOKEN}\"] }}\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    config
}

fn store(config: &Path, command: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lever-hooks"))
        .args(["store", command, "--config"])
        .arg(config)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The offset of the first event record at or past the middle of a segment file.
fn middle_event_record(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let mut offset = 0;
    loop {
        let len = u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap()) as usize;
        if offset >= bytes.len() / 2 && bytes[offset + 8..].starts_with(b"{\"event\"") {
            return offset as u64;
        }
        offset += 8 + len;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_check_exits_0_when_clean_and_1_on_damage_and_repair_moves_it_aside() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(dir.path(), port);
    let mut serve = spawned::start(&config);
    wait_listening(port).await;
    let http = reqwest::Client::new();
    for body in spawned::signed_bodies(TOKEN, DELIVERIES, |_, _| {}) {
        let answer = http
            .post(format!("http://127.0.0.1:{port}/webhooks/lever"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }

    let busy = store(&config, "check");
    assert_eq!(busy.status.code(), Some(1), "{busy:?}");
    assert!(
        text(&busy.stderr).contains("in use"),
        "{}",
        text(&busy.stderr)
    );
    let busy = store(&config, "repair");
    assert_eq!(busy.status.code(), Some(1), "repair refuses too");
    serve.kill().unwrap();
    serve.wait().unwrap();

    let clean = store(&config, "check");
    let stdout = text(&clean.stdout);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{stdout}{}",
        text(&clean.stderr)
    );
    assert!(stdout.contains(&format!("{DELIVERIES} events")), "{stdout}");
    assert!(stdout.ends_with("clean\n"), "{stdout}");

    let segment = dir.path().join("data/journal/0000000000000001.log");
    let damaged = middle_event_record(&segment);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .unwrap();
    // A length past the end of the segment.
    file.write_all_at(&[0x7f], damaged + 3).unwrap();

    let check = store(&config, "check");
    let stdout = text(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("damaged: segment 1, offset {damaged},")),
        "{stdout}"
    );

    let repair = store(&config, "repair");
    let stdout = text(&repair.stdout);
    assert_eq!(
        repair.status.code(),
        Some(0),
        "{stdout}{}",
        text(&repair.stderr)
    );
    let aside = dir
        .path()
        .join(format!("data/journal/damaged-1-{damaged}.bin"));
    assert!(
        stdout.contains(&format!("moved segment 1, offset {damaged}, ")),
        "{stdout}"
    );
    assert!(stdout.contains(&aside.display().to_string()), "{stdout}");
    assert!(aside.is_file());

    let check = store(&config, "check");
    let stdout = text(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(&format!("{} events", DELIVERIES - 1)),
        "{stdout}"
    );

    // The next start says how much it indexed, and how long that took.
    let mut serve = Command::new(env!("CARGO_BIN_EXE_lever-hooks"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = serve.stderr.take().unwrap();
    let (lines, found) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("events indexed in") {
                let _ = lines.send(line);
            }
        }
    });
    let line = found.recv_timeout(Duration::from_secs(20));
    serve.kill().unwrap();
    serve.wait().unwrap();
    let line = line.expect("serve logs what it indexed at open");
    assert!(
        line.contains(&format!("{} events indexed in", DELIVERIES - 1)),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_serve_on_the_same_store_says_another_lever_hooks_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(dir.path(), port);
    let mut first = spawned::start(&config);
    wait_listening(port).await;

    // The same storage.path, another port: only the store stands in the way.
    let second_dir = dir.path().join("second");
    std::fs::create_dir(&second_dir).unwrap();
    let second_config = second_dir.join("lever-hooks.toml");
    let same_store = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&port.to_string(), &free_port().to_string());
    std::fs::write(&second_config, same_store).unwrap();
    let second = Command::new(env!("CARGO_BIN_EXE_lever-hooks"))
        .args(["serve", "--config"])
        .arg(&second_config)
        .output()
        .expect("the binary runs");
    first.kill().unwrap();
    first.wait().unwrap();

    let stderr = text(&second.stderr);
    assert!(!second.status.success(), "{stderr}");
    assert!(
        stderr.contains("another running lever-hooks holds its lock")
            && stderr.contains("storage.path"),
        "{stderr}"
    );
}
