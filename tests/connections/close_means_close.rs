//! Once an answer says `Connection: close`, nothing more read from that connection is
//! processed: requests pipelined behind it (sent in the same write) get no answer and
//! never reach the store.

use crate::raw::ONE_AT_A_TIME;
use crate::raw::{badly_signed, delivery, header, post, read_until_closed, spawn, status_line};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// How long a connection may take to close after its closing answer
/// (`disconnect_timeout` is 1 s by default).
const CLOSED_WITHIN: Duration = Duration::from_secs(5);

/// Sends `requests` in one write and reads every answer until the server closes.
async fn pipelined(app: &crate::helpers::TestApp, requests: &[Vec<u8>]) -> String {
    let mut stream = TcpStream::connect(app.addr()).await.unwrap();
    stream.write_all(&requests.concat()).await.unwrap();
    let (answers, closed) = read_until_closed(&mut stream, Instant::now(), CLOSED_WITHIN).await;
    assert!(
        closed.is_some(),
        "the connection was still open after {CLOSED_WITHIN:?}: {answers}"
    );
    answers
}

fn answer_count(answers: &str) -> usize {
    answers.matches("HTTP/1.1 ").count()
}

/// The RFC 9112 case: a request saying `Connection: close`, refused (401), with a valid
/// delivery pipelined behind it. Only the 401 comes back, and the delivery is not stored:
/// sent again on its own afterwards, it is accepted as new.
#[tokio::test]
async fn a_delivery_pipelined_behind_a_closing_401_is_not_processed() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let app = spawn("").await;
    let valid = delivery();

    let answers = pipelined(
        &app,
        &[
            post(&badly_signed(), "Connection: close\r\n"),
            post(&valid, ""),
        ],
    )
    .await;

    assert_eq!(answer_count(&answers), 1, "{answers}");
    assert!(status_line(&answers).contains(" 401 "), "{answers}");
    assert_eq!(header(&answers, "connection"), Some("close"), "{answers}");
    assert_eq!(
        app.store.accepted_count(),
        0,
        "the pipelined delivery was stored"
    );
    let (_, answer) = app.deliver(valid).await;
    assert_eq!(answer["status"], "accepted", "{answer}");
    app.stop().await;
}

/// The same when only the answer closes the connection: every refused request's does,
/// so what follows a 401 on its connection is not processed either.
#[tokio::test]
async fn a_delivery_pipelined_behind_any_refused_request_is_not_processed() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let app = spawn("").await;

    let answers = pipelined(&app, &[post(&badly_signed(), ""), post(&delivery(), "")]).await;

    assert_eq!(answer_count(&answers), 1, "{answers}");
    assert!(status_line(&answers).contains(" 401 "), "{answers}");
    assert_eq!(header(&answers, "connection"), Some("close"), "{answers}");
    assert_eq!(
        app.store.accepted_count(),
        0,
        "the pipelined delivery was stored"
    );
    app.stop().await;
}

/// A valid delivery that asks to close is accepted, and its answer says `close` even
/// though another request was already read behind it; that one is not processed.
#[tokio::test]
async fn a_delivery_pipelined_behind_one_that_asked_to_close_is_not_processed() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let app = spawn("").await;

    let answers = pipelined(
        &app,
        &[
            post(&delivery(), "Connection: close\r\n"),
            post(&delivery(), ""),
        ],
    )
    .await;

    assert_eq!(answer_count(&answers), 1, "{answers}");
    assert!(status_line(&answers).contains(" 200 "), "{answers}");
    assert_eq!(header(&answers, "connection"), Some("close"), "{answers}");
    assert_eq!(
        app.store.accepted_count(),
        1,
        "only the first delivery is stored"
    );
    app.stop().await;
}

/// Pipelining on a connection that stays open still works: three valid deliveries in one
/// write get three 200s and are all stored.
#[tokio::test]
async fn deliveries_pipelined_on_a_kept_connection_are_all_processed() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let app = spawn("keep_alive = \"1s\"").await;

    let answers = pipelined(
        &app,
        &[
            post(&delivery(), ""),
            post(&delivery(), ""),
            post(&delivery(), ""),
        ],
    )
    .await;

    assert_eq!(answers.matches("HTTP/1.1 200 ").count(), 3, "{answers}");
    assert_eq!(app.store.accepted_count(), 3);
    app.stop().await;
}
