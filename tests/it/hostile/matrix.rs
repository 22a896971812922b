//! The bad-input matrix: one named row per hostile or broken request, in the order the
//! checks run (HTTP framing and routing, size, account, shape, signature, time window),
//! each with the status the README's table gives it.

mod edge;
mod shape;
mod signed;

use super::bodies::*;
use super::client::{send, Request};
use crate::helpers::*;
use lever_hooks::handler::HandlerRegistry;
use lever_hooks::sample::random_token;
use lever_hooks::signature;
use lever_hooks::store::Store;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// One hostile request and what it must get.
struct Case {
    name: &'static str,
    request: fn() -> Request,
    status: u16,
    /// The `error` of the JSON answer; `None` where the HTTP layer answers by itself.
    error: Option<&'static str>,
}

const INVALID: Option<&str> = Some("body is not a valid JSON delivery");
const NOT_OBJECT: Option<&str> = Some("body is not a JSON object");
const BAD_TIME: Option<&str> = Some("`triggeredAt` must be a non-negative integer of milliseconds");
const DATA_NOT_OBJECT: Option<&str> = Some("`data` must be a JSON object");
const BAD_SIGNATURE: Option<&str> = Some("invalid signature");
const OUTSIDE_WINDOW: Option<&str> = Some("triggeredAt outside the accepted window");
const TOO_LARGE: Option<&str> = Some("body too large");
const NO_ACCOUNT: Option<&str> = Some("unknown account");
const UNREADABLE: Option<&str> = Some("body could not be read");
const NOT_FOUND: Option<&str> = Some("not found");
const USE_POST: Option<&str> = Some("use POST");

/// The head of a raw POST to the default account, up to and including the blank line.
fn raw_head(extra_headers: &str) -> String {
    format!("POST /webhooks/lever HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n{extra_headers}\r\n")
}

fn raw_chunked(chunks: &[&[u8]]) -> Vec<u8> {
    let mut bytes = raw_head("Transfer-Encoding: chunked\r\n").into_bytes();
    for chunk in chunks {
        bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        bytes.extend_from_slice(chunk);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"0\r\n\r\n");
    bytes
}

fn replace_bytes(body: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = body
        .windows(from.len())
        .position(|w| w == from)
        .expect("placeholder present");
    [&body[..at], to, &body[at + from.len()..]].concat()
}

fn method(method: &'static str, path: &str) -> Request {
    Request::Method {
        method,
        path: path.to_owned(),
    }
}

fn row(
    name: &'static str,
    status: u16,
    error: Option<&'static str>,
    request: fn() -> Request,
) -> Case {
    Case {
        name,
        request,
        status,
        error,
    }
}

/// Every row, in the order the checks run.
fn cases() -> Vec<Case> {
    [edge::cases(), shape::cases(), signed::cases()]
        .into_iter()
        .flatten()
        .collect()
}

/// Every case gets its exact status and error, quickly; nothing reaches the store; and a
/// valid delivery sent right after is accepted, so no case hurt the server.
#[tokio::test]
async fn every_hostile_request_gets_its_status_stores_nothing_and_the_server_keeps_serving() {
    let app = spawn_app("", HandlerRegistry::new()).await;
    let cases = cases();
    let names: HashSet<_> = cases.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), cases.len(), "case names are unique");
    let mut failures = Vec::new();
    for case in cases {
        let before = app.store.accepted_count();
        let started = Instant::now();
        let answer = send(&app, (case.request)()).await;
        let took = started.elapsed();
        let mut wrong = Vec::new();
        if answer.status != case.status {
            wrong.push(format!("status {} (want {})", answer.status, case.status));
        }
        if let Some(error) = case.error {
            if answer.body != json!({ "error": error }) {
                wrong.push(format!("body {} (want error {error:?})", answer.body));
            }
        }
        if case.status == 405 && answer.allow.as_deref() != Some("POST") {
            wrong.push(format!("Allow {:?} (want POST)", answer.allow));
        }
        if took > Duration::from_secs(5) {
            wrong.push(format!("took {took:?}"));
        }
        if app.store.accepted_count() != before {
            wrong.push("an event was stored".to_owned());
        }
        let accepted: HashSet<_> = app.store.accepted.lock().unwrap().iter().cloned().collect();
        let unrouted = app.store.unrouted(10_000).await.expect("store reads");
        if unrouted.iter().any(|e| !accepted.contains(&e.id)) {
            wrong.push("an event no valid delivery made is waiting for routing".to_owned());
        }
        let (status, after) = app.deliver(serde_json::to_vec(&valid()).unwrap()).await;
        if (status, &after["status"]) != (200, &json!("accepted")) {
            wrong.push(format!("the next valid delivery got {status} {after}"));
        }
        if !wrong.is_empty() {
            failures.push(format!("{}: {}", case.name, wrong.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "cases that went wrong:\n{}",
        failures.join("\n")
    );
    app.stop().await;
}
