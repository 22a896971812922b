//! `max_pending_body_bytes`: bodies being received share one budget. A body that does not
//! fit is answered 503 with `Retry-After` at once, without being read, and the budget
//! is given back however a body ends: answered, timed out, or its client gone.

use crate::helpers::{eventually, TestApp};
use crate::raw::ONE_AT_A_TIME;
use crate::raw::{delivery, header, metric, post_head, read_until_closed, spawn, status_line};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The gauge of bytes reserved by bodies being received.
const PENDING: &str = "lever_hooks_pending_body_bytes";

/// The largest body in these tests, and the budget: four of them.
const LARGEST: usize = 16_384;
const BUDGET: usize = 4 * LARGEST;

/// Well under `body_timeout` (10 s here): an answer this quick did not wait for the body.
const AT_ONCE: Duration = Duration::from_secs(2);

fn limits(body_timeout: &str) -> String {
    format!(
        "max_body_bytes = {LARGEST}\nmax_pending_body_bytes = {BUDGET}\nbody_timeout = \"{body_timeout}\"\ndisconnect_timeout = \"300ms\"\n"
    )
}

/// A connection that declared `declared` bytes of body, sent `sent` of them, and stalls.
async fn stalled(app: &TestApp, declared: usize, sent: usize) -> TcpStream {
    let mut stream = TcpStream::connect(app.addr()).await.unwrap();
    stream
        .write_all(&post_head(&format!("Content-Length: {declared}\r\n")))
        .await
        .unwrap();
    stream.write_all(&vec![b' '; sent]).await.unwrap();
    stream
}

/// Waits until the pending-bytes gauge reads `bytes`.
async fn pending_reaches(app: &TestApp, bytes: usize) {
    eventually(
        &format!("{PENDING} to read {bytes}"),
        Duration::from_secs(5),
        || async { metric(app, PENDING).await == bytes as f64 },
    )
    .await;
}

/// A handler that takes providers' results, so `/providers/bgcheck` shares the budget.
const RESULTS_HANDLER: &str = r#"
[accounts.acme]
signing_tokens = { default = ["acme-token"] }
api_key = "acme-key"

[handlers.bgcheck]
kind = "background-check"
provider = { kind = "http", url = "http://127.0.0.1:9/checks" }
callback_secret = "results-secret"
"#;

/// Twelve connections each declare the largest body, send a part of it and stall: four
/// fill the budget and wait for the rest of their body; the other eight are answered 503
/// with `Retry-After` and `Connection: close` at once. While the four hold the budget a
/// valid delivery, and a provider's result, get the same 503 and are not stored; once
/// they go, the delivery is accepted.
#[tokio::test]
async fn a_flood_of_stalled_bodies_gets_503_at_once_and_deliveries_pass_when_it_stops() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let app = spawn(&format!("{}{RESULTS_HANDLER}", limits("10s"))).await;

    let mut flood = Vec::new();
    for _ in 0..12 {
        let mut stream = stalled(&app, LARGEST, 1000).await;
        let started = Instant::now();
        flood.push(tokio::spawn(async move {
            let (answer, closed) = read_until_closed(&mut stream, started, AT_ONCE).await;
            (answer, closed, stream)
        }));
    }
    let mut refused = Vec::new();
    let mut held = Vec::new();
    for connection in flood {
        let (answer, closed, stream) = connection.await.unwrap();
        match closed {
            Some(after) => refused.push((answer, after)),
            None => {
                assert_eq!(
                    answer, "",
                    "a held body was answered before it was complete"
                );
                held.push(stream);
            }
        }
    }

    assert_eq!((refused.len(), held.len()), (8, 4), "{refused:?}");
    for (answer, after) in &refused {
        assert!(status_line(answer).contains(" 503 "), "{answer}");
        assert_eq!(header(answer, "retry-after"), Some("10"), "{answer}");
        assert_eq!(header(answer, "connection"), Some("close"), "{answer}");
        assert!(answer.contains(r#"{"error":"#), "{answer}");
        assert!(*after < AT_ONCE, "answered and closed after {after:?}");
    }
    pending_reaches(&app, BUDGET).await;

    let valid = delivery();
    let response = app
        .http
        .post(format!("{}/webhooks/lever", app.base))
        .body(valid.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "10");
    let result = app
        .http
        .post(format!("{}/providers/bgcheck", app.base))
        .header("content-type", "application/json")
        .body(r#"{"reference":"chk-1","status":"clear"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        result.status(),
        503,
        "a provider's result shares the budget"
    );
    assert_eq!(result.headers()["retry-after"], "10");
    assert_eq!(app.store.accepted_count(), 0);

    drop(held);
    pending_reaches(&app, 0).await;
    let (status, answer) = app.deliver(valid).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("accepted")),
        "{answer}"
    );
    app.stop().await;
}

/// The budget comes back to 0 when stalled bodies are cut off by `body_timeout` (408)
/// and when their clients hang up halfway.
#[tokio::test]
async fn the_budget_is_given_back_when_bodies_time_out_or_their_clients_go() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let app = spawn(&limits("1s")).await;

    let mut timing_out = Vec::new();
    for _ in 0..3 {
        timing_out.push(stalled(&app, LARGEST, 1000).await);
    }
    pending_reaches(&app, 3 * LARGEST).await;
    for mut stream in timing_out {
        let (answer, closed) =
            read_until_closed(&mut stream, Instant::now(), Duration::from_secs(5)).await;
        assert!(
            closed.is_some() && status_line(&answer).contains(" 408 "),
            "{answer}"
        );
    }
    pending_reaches(&app, 0).await;

    let mut leaving = Vec::new();
    for _ in 0..3 {
        leaving.push(stalled(&app, LARGEST, 1000).await);
    }
    pending_reaches(&app, 3 * LARGEST).await;
    drop(leaving);
    pending_reaches(&app, 0).await;
    app.stop().await;
}

/// A chunked body has no length to reserve up front: each chunk is charged as it comes.
/// With the budget nearly full, a first chunk that fits is taken, and the next one, which
/// does not, is answered 503 at once; its bytes are given back.
#[tokio::test]
async fn a_chunked_body_is_charged_chunk_by_chunk_and_refused_when_one_does_not_fit() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let app = spawn(&limits("10s")).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(stalled(&app, 16_000, 1000).await);
    }
    pending_reaches(&app, 64_000).await;

    let chunk = format!("3e8\r\n{}\r\n", " ".repeat(1000));
    let mut chunked = TcpStream::connect(app.addr()).await.unwrap();
    chunked
        .write_all(&post_head("Transfer-Encoding: chunked\r\n"))
        .await
        .unwrap();
    chunked.write_all(chunk.as_bytes()).await.unwrap();
    pending_reaches(&app, 65_000).await;
    let started = Instant::now();
    chunked.write_all(chunk.as_bytes()).await.unwrap();
    let (answer, closed) = read_until_closed(&mut chunked, started, AT_ONCE).await;

    assert!(closed.is_some(), "no answer within {AT_ONCE:?}: {answer:?}");
    assert!(status_line(&answer).contains(" 503 "), "{answer}");
    assert!(header(&answer, "retry-after").is_some(), "{answer}");
    pending_reaches(&app, 64_000).await;
    drop(held);
    pending_reaches(&app, 0).await;
    app.stop().await;
}
