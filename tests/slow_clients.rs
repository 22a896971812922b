//! Slow, idle and flooding clients cannot crowd out Lever's deliveries: the real app on
//! port 0 with short timeouts, held open and flooded over loopback while signed deliveries
//! keep arriving. `cargo test --test slow_clients -- --nocapture` prints what was measured.
//!
//! Its own test binary: it raises the process-wide open-files limit (rlimit), opens
//! hundreds of sockets and measures timings that other tests in the process would skew.
//! Shares `tests/it/helpers.rs` with `tests/it`.

#[path = "it/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use helpers::{spawn_app_with_config, TestApp};
use lever_hooks::sample::{random_token, signed_body, SampleEvent};
use lever_hooks::store::{SledStore, Store};
use lever_hooks::{Config, HandlerRegistry};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SIGNING_TOKEN: &str = "slow-clients-signing-token";

/// `client_timeout`, `body_timeout` and `keep_alive` in these tests.
const TIMEOUT: Duration = Duration::from_secs(1);

/// The `[server]` keys that set every timeout to [`TIMEOUT`].
const SHORT_TIMEOUTS: &str = r#"
client_timeout = "1s"
body_timeout = "1s"
keep_alive = "1s"
disconnect_timeout = "500ms"
"#;

/// How much later than its timeout a connection may be closed (timer granularity, a busy
/// machine).
const MARGIN: Duration = Duration::from_millis(1500);

/// The slowest answer to a valid delivery that counts as "quick" while the server is
/// under attack.
const QUICK: Duration = Duration::from_secs(2);

/// The tests measure time, so they run one at a time rather than competing for the CPU.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Starts the app with one HTTP worker and `server` added to its `[server]` section.
async fn spawn(server: &str) -> TestApp {
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:0"
workers = 1
shutdown_grace = "2s"
{server}

[lever]
signing_tokens = {{ default = ["{SIGNING_TOKEN}"] }}
"#
    );
    let config = Config::parse(&text, Path::new("."), &|_| None, &HandlerRegistry::new())
        .unwrap_or_else(|e| panic!("test config is invalid: {e}"));
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("temporary store"));
    spawn_app_with_config(&config, HandlerRegistry::new(), store).await
}

/// Where deliveries to the default account go.
fn url(app: &TestApp) -> String {
    format!("{}/webhooks/lever", app.base)
}

/// A delivery signed with the account's token.
fn delivery() -> Vec<u8> {
    signed_with(SIGNING_TOKEN)
}

/// A well-formed delivery signed with the wrong token.
fn badly_signed() -> Vec<u8> {
    signed_with("not-the-signing-token")
}

fn signed_with(signing_token: &str) -> Vec<u8> {
    let now = lever_hooks::store::now_millis();
    let sample = SampleEvent::new("candidateStageChange");
    signed_body(
        signing_token,
        &sample.event,
        &sample.data(now),
        now,
        &random_token(),
    )
}

/// POSTs `body`; the status (0 when the request failed) and how long the answer took.
async fn post(client: &reqwest::Client, url: &str, body: Vec<u8>) -> (u16, Duration) {
    let started = Instant::now();
    let status = match client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
    {
        Ok(response) => response.status().as_u16(),
        Err(_) => 0,
    };
    (status, started.elapsed())
}

/// A client that opens a new connection for every request, as separate Lever deliveries
/// would.
fn fresh_connections() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client builds")
}

/// Reads until the server closes the connection or `limit` passes; what it sent, and
/// after how long (None: still open at `limit`).
async fn read_until_closed(
    stream: &mut (impl AsyncReadExt + Unpin),
    started: Instant,
    limit: Duration,
) -> (Vec<u8>, Option<Duration>) {
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return (received, None),
            Ok(Ok(0)) | Ok(Err(_)) => return (received, Some(started.elapsed())),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// Writes `bytes` one at a time, `gap` apart, until they run out or the server hangs up.
async fn trickle(mut writer: impl AsyncWriteExt + Unpin, bytes: Vec<u8>, gap: Duration) {
    for byte in bytes {
        if writer.write_all(&[byte]).await.is_err() {
            return;
        }
        tokio::time::sleep(gap).await;
    }
}

/// Connects, sends `sent` at once, then trickles `trickled` one byte every `gap` while
/// reading the answer until the server closes the connection or `TIMEOUT + MARGIN`
/// passes, timed from before connecting (see [`read_until_closed`]).
async fn send_then_trickle(
    addr: SocketAddr,
    sent: &[u8],
    trickled: Vec<u8>,
    gap: Duration,
) -> (Vec<u8>, Option<Duration>) {
    let started = Instant::now();
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(sent).await.unwrap();
    let trickling = tokio::spawn(trickle(writer, trickled, gap));
    let answer = read_until_closed(&mut reader, started, TIMEOUT + MARGIN).await;
    trickling.abort();
    answer
}

/// The head of a POST of `len` bytes to the default account.
fn post_head(len: usize) -> String {
    format!(
        "POST /webhooks/lever HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
    )
}

fn status_line(answer: &[u8]) -> String {
    String::from_utf8_lossy(answer)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

/// The worst and the median of some latencies.
fn worst_and_median(mut latencies: Vec<Duration>) -> (Duration, Duration) {
    latencies.sort();
    (
        latencies[latencies.len() - 1],
        latencies[latencies.len() / 2],
    )
}

/// A connection that sends nothing is closed once `client_timeout` has passed.
#[tokio::test]
async fn an_idle_connection_is_closed_after_the_client_timeout() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let app = spawn(SHORT_TIMEOUTS).await;

    let started = Instant::now();
    let mut idle = TcpStream::connect(app.addr()).await.unwrap();
    let (_, closed) = read_until_closed(&mut idle, started, TIMEOUT + MARGIN).await;

    let closed = closed.expect("the server closes an idle connection");
    println!("idle connection closed after {closed:?} (client_timeout {TIMEOUT:?})");
    assert!(closed >= TIMEOUT - Duration::from_millis(100), "{closed:?}");
    app.stop().await;
}

/// A request head sent one byte every 100 ms (slowloris) is cut off at `client_timeout`,
/// however long the client would go on.
#[tokio::test]
async fn a_head_trickled_byte_by_byte_is_cut_off_at_the_client_timeout() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let app = spawn(SHORT_TIMEOUTS).await;

    let endless_head = format!("{}X-Padding: {}", post_head(10), "a".repeat(1000));
    let (answer, closed) = send_then_trickle(
        app.addr(),
        b"",
        endless_head.into_bytes(),
        Duration::from_millis(100),
    )
    .await;

    let closed = closed.expect("the server cuts off a trickled head");
    println!(
        "trickled head cut off after {closed:?} with {:?}",
        status_line(&answer)
    );
    assert!(closed >= TIMEOUT - Duration::from_millis(100), "{closed:?}");
    assert!(
        answer.is_empty() || status_line(&answer).contains(" 408 "),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    app.stop().await;
}

/// A kept-alive connection that goes quiet after its answer is closed after `keep_alive`.
#[tokio::test]
async fn a_kept_alive_connection_is_closed_after_the_keep_alive_time() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let app = spawn(SHORT_TIMEOUTS).await;

    let mut stream = TcpStream::connect(app.addr()).await.unwrap();
    let body = delivery();
    stream
        .write_all(post_head(body.len()).as_bytes())
        .await
        .unwrap();
    stream.write_all(&body).await.unwrap();
    let answered = Instant::now();
    let (answer, closed) = read_until_closed(&mut stream, answered, TIMEOUT + MARGIN).await;

    assert!(
        status_line(&answer).contains(" 200 "),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let closed = closed.expect("the server closes a quiet kept-alive connection");
    println!("quiet kept-alive connection closed {closed:?} after its answer");
    app.stop().await;
}

/// A body trickled slower than `body_timeout` is answered 408 (or cut off) and not
/// stored: the same delivery sent properly afterwards is accepted as new.
#[tokio::test]
async fn a_body_trickled_past_the_body_timeout_gets_408_and_is_not_stored() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let app = spawn(SHORT_TIMEOUTS).await;
    let body = delivery();

    let (answer, closed) = send_then_trickle(
        app.addr(),
        post_head(body.len()).as_bytes(),
        body.clone(),
        Duration::from_millis(100),
    )
    .await;

    let closed = closed.expect("the server gives up on a trickled body");
    println!(
        "trickled body ({} bytes at 10 bytes/s) answered {:?}, closed after {closed:?}",
        body.len(),
        status_line(&answer)
    );
    assert!(
        answer.is_empty() || status_line(&answer).contains(" 408 "),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let answer: serde_json::Value = reqwest::Client::new()
        .post(url(&app))
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["status"], "accepted",
        "a stored delivery would now be a duplicate: {answer}"
    );
    app.stop().await;
}

/// The same with a chunked body: chunks trickled slower than `body_timeout` get 408 and
/// the connection is closed rather than drained at the client's pace.
#[tokio::test]
async fn a_chunked_body_trickled_past_the_body_timeout_gets_408_and_is_closed() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let app = spawn(SHORT_TIMEOUTS).await;

    let chunks = "1\r\n{\r\n".repeat(200).into_bytes();
    let (answer, closed) = send_then_trickle(
        app.addr(),
        b"POST /webhooks/lever HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n",
        chunks,
        Duration::from_millis(20),
    )
    .await;

    let closed = closed.unwrap_or_else(|| {
        panic!(
            "the server did not close a connection trickling chunks; it sent {:?}",
            String::from_utf8_lossy(&answer)
        )
    });
    println!(
        "trickled chunked body answered {:?}, closed after {closed:?}",
        status_line(&answer)
    );
    assert!(
        answer.is_empty() || status_line(&answer).contains(" 408 "),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    app.stop().await;
}

/// A connection kept alive after a rejected request cannot then trickle its next head:
/// actix times only a connection's first head, so rejected requests close the connection.
#[tokio::test]
async fn after_a_rejected_request_the_connection_is_closed_not_kept_for_a_trickled_head() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let app = spawn(SHORT_TIMEOUTS).await;

    let endless_head = format!("{}X-Padding: {}", post_head(10), "a".repeat(1000));
    let (answer, closed) = send_then_trickle(
        app.addr(),
        b"GET /nothing-here HTTP/1.1\r\nHost: localhost\r\n\r\n",
        endless_head.into_bytes(),
        Duration::from_millis(100),
    )
    .await;

    let closed = closed.expect("the server closes the connection after its answer");
    println!(
        "{:?} answered, then the connection was closed after {closed:?}",
        status_line(&answer)
    );
    assert!(
        status_line(&answer).contains(" 404 "),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    app.stop().await;
}

/// Connections held open by the attack in [`deliveries_are_answered_quickly_while_500_connections_are_held`].
const HELD: usize = 500;

/// Raises the open-file limit enough for `HELD` connections at both ends, or says why not.
fn enough_file_descriptors() -> bool {
    let wanted = (HELD as u64) * 2 + 512;
    match rlimit::increase_nofile_limit(wanted) {
        Ok(limit) if limit >= wanted => true,
        Ok(limit) => {
            eprintln!("SKIPPED: holding {HELD} connections needs {wanted} open files; the hard limit allows {limit}");
            false
        }
        Err(e) => {
            eprintln!("SKIPPED: cannot raise the open-file limit to {wanted}: {e}");
            false
        }
    }
}

/// 500 connections held open by an attacker (half silent, half trickling a request head
/// a byte at a time) do not slow down deliveries: each is answered well under 2 s, on a
/// new connection. The attacker's connections are still open after the deliveries, and
/// all are closed at their head deadline, so the server really held every one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_answered_quickly_while_500_connections_are_held() {
    let _serial = ONE_AT_A_TIME.lock().await;
    if !enough_file_descriptors() {
        return;
    }
    // Long enough for the deliveries below to run while every connection is held.
    let head_deadline = Duration::from_secs(5);
    let app = spawn("client_timeout = \"5s\"").await;

    let attack_started = Instant::now();
    let mut held = Vec::new();
    let mut silent_writers = Vec::new();
    let mut tricklers = Vec::new();
    for i in 0..HELD {
        let (reader, writer) = TcpStream::connect(app.addr())
            .await
            .expect("connects")
            .into_split();
        if i % 2 == 0 {
            // Kept: dropping a write half would tell the server the client is done.
            silent_writers.push(writer);
            held.push(reader);
        } else {
            let endless_head = format!("{}X-Padding: {}", post_head(10), "a".repeat(10_000));
            tricklers.push(tokio::spawn(trickle(
                writer,
                endless_head.into_bytes(),
                Duration::from_millis(200),
            )));
            held.push(reader);
        }
    }

    let client = fresh_connections();
    let mut latencies = Vec::new();
    for _ in 0..50 {
        let (status, took) = post(&client, &url(&app), delivery()).await;
        assert_eq!(status, 200);
        latencies.push(took);
    }
    let concurrent: Vec<_> = (0..50)
        .map(|_| {
            let (client, url) = (client.clone(), url(&app));
            tokio::spawn(async move { post(&client, &url, delivery()).await })
        })
        .collect();
    for task in concurrent {
        let (status, took) = task.await.unwrap();
        assert_eq!(status, 200);
        latencies.push(took);
    }
    let (worst, median) = worst_and_median(latencies);
    println!(
        "{HELD} connections held: 100 deliveries (50 one by one, 50 at once), median {median:?}, worst {worst:?}"
    );
    assert!(worst < QUICK, "worst {worst:?}");

    assert!(
        attack_started.elapsed() < head_deadline,
        "the deliveries took longer than the attack could hold its connections"
    );
    let mut buf = [0u8; 1];
    for (i, reader) in held.iter().enumerate() {
        let read = reader.try_read(&mut buf);
        let still_open = matches!(&read, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
        assert!(
            still_open,
            "attacking connection {i} was answered or closed after {:?}: {read:?} {buf:?}",
            attack_started.elapsed(),
        );
    }
    let closing: Vec<_> = held
        .into_iter()
        .map(|mut reader| {
            tokio::spawn(async move {
                read_until_closed(&mut reader, attack_started, head_deadline + MARGIN)
                    .await
                    .1
            })
        })
        .collect();
    let mut last_closed = Duration::ZERO;
    for task in closing {
        let closed = task
            .await
            .unwrap()
            .expect("every held connection is closed at its deadline");
        last_closed = last_closed.max(closed);
    }
    println!("all {HELD} held connections closed by the server within {last_closed:?} of the attack's start");
    for task in tricklers {
        task.abort();
    }
    drop(silent_writers);
    app.stop().await;
}

/// A flood of 2,000 badly signed deliveries from 16 clients at once does not cost a
/// single valid delivery sent meanwhile: valid deliveries go one after another for as
/// long as the flood lasts, and every one is accepted quickly; every bad one gets 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_badly_signed_deliveries_does_not_crowd_out_valid_ones() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let app = spawn("").await;
    const FLOODERS: usize = 16;
    const EACH: usize = 125;
    let flooders_done = Arc::new(AtomicUsize::new(0));

    let started = Instant::now();
    let flood: Vec<_> = (0..FLOODERS)
        .map(|_| {
            let (url, done) = (url(&app), flooders_done.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut statuses = Vec::with_capacity(EACH);
                for _ in 0..EACH {
                    statuses.push(post(&client, &url, badly_signed()).await.0);
                }
                done.fetch_add(1, Ordering::SeqCst);
                statuses
            })
        })
        .collect();
    let client = fresh_connections();
    let mut valid = Vec::new();
    while flooders_done.load(Ordering::SeqCst) < FLOODERS {
        valid.push(post(&client, &url(&app), delivery()).await);
    }
    let mut bad = Vec::new();
    for task in flood {
        bad.extend(task.await.unwrap());
    }
    let flood_took = started.elapsed();

    let accepted = valid.iter().filter(|(status, _)| *status == 200).count();
    let unauthorized = bad.iter().filter(|status| **status == 401).count();
    let (worst, median) = worst_and_median(valid.iter().map(|(_, took)| *took).collect());
    println!(
        "flood of {} badly signed deliveries from {FLOODERS} clients in {flood_took:?}: {unauthorized} got 401; \
         {} valid deliveries during the flood: {accepted} accepted, median {median:?}, worst {worst:?}",
        bad.len(),
        valid.len(),
    );
    assert_eq!(unauthorized, FLOODERS * EACH);
    assert_eq!(accepted, valid.len(), "{valid:?}");
    assert!(
        valid.len() >= 10,
        "only {} valid deliveries overlapped the flood",
        valid.len()
    );
    assert!(worst < QUICK, "worst {worst:?}");
    app.stop().await;
}
