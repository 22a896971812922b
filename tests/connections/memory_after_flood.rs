//! Memory comes back after a flood: the real binary (its own allocator, two HTTP
//! workers) is flooded with connections that each send most of a large body and stall;
//! once they are gone, the server's resident memory falls back near where it started,
//! by itself, while nothing else comes in.

use crate::raw::{post_head, read_until_closed, ONE_AT_A_TIME};
use crate::spawned::{free_port, start, wait_listening};
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Connections in the flood, and how many connect at once.
const FLOOD: usize = 4000;
const CONNECTING_AT_ONCE: usize = 500;

/// Each declares this much body and sends all of it but the last 100 bytes.
const DECLARED: usize = 250_100;
const SENT: usize = 250_000;

/// How long the flood's connections are held open.
const HOLD: Duration = Duration::from_secs(4);

/// How long the server has, idle after the flood, to give the memory back.
const GIVE_BACK_WITHIN: Duration = Duration::from_secs(30);

/// The flood must raise the server's memory at least this much for the test to say
/// anything about giving it back.
const LEAST_RISE_KIB: u64 = 64 * 1024;

/// The share of the rise that may stay after the flood: a quarter.
const MAY_STAY_DIVISOR: u64 = 4;

/// The server process, killed however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc is readable");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// Raises the open-file limit for the flood at both ends (the server inherits it), or
/// says why not.
fn enough_file_descriptors() -> bool {
    let wanted = (FLOOD as u64) * 2 + 512;
    match rlimit::increase_nofile_limit(wanted) {
        Ok(limit) if limit >= wanted => true,
        Ok(limit) => {
            eprintln!(
                "SKIPPED: the flood needs {wanted} open files; the hard limit allows {limit}"
            );
            false
        }
        Err(e) => {
            eprintln!("SKIPPED: cannot raise the open-file limit to {wanted}: {e}");
            false
        }
    }
}

/// One flood connection: sends its head and most of its body, then holds the connection
/// until `until` (or until the server closes it). Returns the connection, if it got one.
async fn stalled_body(
    port: u16,
    until: Instant,
    connecting: Arc<tokio::sync::Semaphore>,
) -> Option<TcpStream> {
    let mut stream = {
        let _turn = connecting.acquire().await.unwrap();
        TcpStream::connect(("127.0.0.1", port)).await.ok()?
    };
    let mut request = post_head(&format!("Content-Length: {DECLARED}\r\n"));
    request.resize(request.len() + SENT, b' ');
    let left = until.saturating_duration_since(Instant::now());
    let _ = tokio::time::timeout(left, stream.write_all(&request)).await;
    let _ = read_until_closed(
        &mut stream,
        Instant::now(),
        until.saturating_duration_since(Instant::now()),
    )
    .await;
    Some(stream)
}

/// The flood raises the server's memory by at least [`LEAST_RISE_KIB`]; within
/// [`GIVE_BACK_WITHIN`] of its connections closing, with no traffic since, all but a
/// quarter of that rise is back with the system.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_goes_back_down_after_a_flood_of_stalled_bodies() {
    let _serial = ONE_AT_A_TIME.lock().await;
    if !enough_file_descriptors() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("lever-hooks.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nworkers = 2\n\n[storage]\npath = \"{}\"\n\n[lever]\nsigning_tokens = {{ default = [\"flood-token\"] }}\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let server = Server(start(&config));
    let pid = server.0.id();
    wait_listening(port).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid);

    let until = Instant::now() + HOLD;
    let connecting = Arc::new(tokio::sync::Semaphore::new(CONNECTING_AT_ONCE));
    let flood: Vec<_> = (0..FLOOD)
        .map(|_| tokio::spawn(stalled_body(port, until, connecting.clone())))
        .collect();
    let mut peak = before;
    while !flood.iter().all(|connection| connection.is_finished()) {
        peak = peak.max(rss_kib(pid));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut held = Vec::new();
    for connection in flood {
        held.extend(connection.await.unwrap());
    }
    peak = peak.max(rss_kib(pid));
    let connected = held.len();
    drop(held);

    let rise = peak.saturating_sub(before);
    assert!(
        rise >= LEAST_RISE_KIB,
        "the flood ({connected} connections) raised the server's memory only from {before} KiB to {peak} KiB"
    );
    let may_stay = before + rise / MAY_STAY_DIVISOR;
    let closed = Instant::now();
    let mut now = rss_kib(pid);
    while now > may_stay && closed.elapsed() < GIVE_BACK_WITHIN {
        tokio::time::sleep(Duration::from_millis(250)).await;
        now = rss_kib(pid);
    }
    println!(
        "RSS {before} KiB before, peak {peak} KiB, {now} KiB {:.1} s after {connected} connections closed",
        closed.elapsed().as_secs_f64()
    );
    assert!(
        now <= may_stay,
        "{GIVE_BACK_WITHIN:?} after the flood the server still holds {now} KiB: it had {before} KiB before and {peak} KiB at the peak (at most {may_stay} KiB may stay)"
    );
}
