//! One test per row of design.md's intake table (and the check order it describes).

use crate::helpers::*;
use lever_hooks::handler::HandlerRegistry;
use lever_hooks::sample::{random_token, signed_body, SampleEvent};
use lever_hooks::store::Store;
use serde_json::json;
use std::io::{Read, Write};
use std::sync::atomic::Ordering;
use std::time::Duration;

const ROUTES: &str = r#"
[[routes]]
events = ["*"]
handler = "all"

[[routes]]
events = ["candidateHired"]
handler = "hires"
"#;

const QUIET: Duration = Duration::from_millis(300);
const WAIT: Duration = Duration::from_secs(5);

struct Harness {
    app: TestApp,
    all: Recorded,
    hires: Recorded,
}

async fn harness() -> Harness {
    let (all, all_seen) = Recorder::new(Script::Succeed);
    let (hires, hires_seen) = Recorder::new(Script::Succeed);
    let plugins = HandlerRegistry::new()
        .register("all", all)
        .register("hires", hires);
    Harness {
        app: spawn_app(ROUTES, plugins).await,
        all: all_seen,
        hires: hires_seen,
    }
}

impl Harness {
    /// Asserts a request changed nothing: no event stored, no handler called.
    async fn assert_nothing_stored_or_dispatched(&mut self) {
        assert_eq!(self.app.store.accepted_count(), 0, "nothing may be stored");
        self.all.assert_quiet(QUIET).await;
        self.hires.assert_quiet(Duration::ZERO).await;
    }
}

/// A valid, new event is stored, answered `accepted` with its id, and dispatched.
pub async fn a_valid_new_event_is_accepted_stored_and_dispatched() {
    let mut h = harness().await;
    let sample = SampleEvent::new("candidateHired");
    let (status, answer) = h.app.deliver(delivery(&sample)).await;
    assert_eq!(status, 200);
    assert_eq!(answer["status"], "accepted");
    let id = event_id(&answer);
    let stored = h
        .app
        .store
        .event(&id)
        .await
        .unwrap()
        .expect("event is stored");
    assert_eq!(
        stored.opportunity_id.unwrap().as_str(),
        sample.opportunity_id
    );
    let doc = h.all.next(WAIT).await;
    assert_eq!(doc.id, id);
    assert_eq!(doc.idempotency_key, format!("{id}:all"));
    assert_eq!(h.hires.next(WAIT).await.id, id);
    h.app.stop().await;
}

/// The same delivery again (a Lever retry) is answered `duplicate` with the first id and not dispatched again.
pub async fn the_same_event_again_is_a_duplicate_and_not_dispatched_twice() {
    let mut h = harness().await;
    let body = delivery(&SampleEvent::new("candidateStageChange"));
    let (_, first) = h.app.deliver(body.clone()).await;
    let (status, second) = h.app.deliver(body).await;
    assert_eq!(status, 200);
    assert_eq!(second["status"], "duplicate");
    assert_eq!(second["id"], first["id"]);
    assert_eq!(h.app.store.accepted_count(), 1);
    h.all.next(WAIT).await;
    h.all.assert_quiet(QUIET).await;
    h.app.stop().await;
}

/// A rerun carrying a fresh token but the same content is a duplicate too.
pub async fn a_rerun_with_a_new_token_and_the_same_content_is_a_duplicate() {
    let h = harness().await;
    let data = SampleEvent::new("candidateHired").data(now());
    let at = now();
    let (_, first) = h
        .app
        .deliver(signed_body(
            SIGNING_TOKEN,
            "candidateHired",
            &data,
            at,
            &random_token(),
        ))
        .await;
    let (status, second) = h
        .app
        .deliver(signed_body(
            SIGNING_TOKEN,
            "candidateHired",
            &data,
            at,
            &random_token(),
        ))
        .await;
    assert_eq!((status, &second["status"]), (200, &json!("duplicate")));
    assert_eq!(second["id"], first["id"]);
    h.app.stop().await;
}

/// Lever's settings-page test (`data` is `{}`) gets 200 `test` and is neither stored nor dispatched.
pub async fn the_settings_page_test_is_answered_but_not_stored() {
    let mut h = harness().await;
    let body = signed_body(
        SIGNING_TOKEN,
        "candidateHired",
        &json!({}),
        now(),
        &random_token(),
    );
    let (status, answer) = h.app.deliver(body).await;
    assert_eq!((status, answer), (200, json!({"status": "test"})));
    h.assert_nothing_stored_or_dispatched().await;
    h.app.stop().await;
}

/// An event type we do not know is accepted and goes only to `*` routes.
pub async fn an_unknown_event_type_is_accepted_and_only_reaches_star_routes() {
    let mut h = harness().await;
    let (status, answer) = h
        .app
        .deliver(delivery(&SampleEvent::new("candidateTeleported")))
        .await;
    assert_eq!((status, &answer["status"]), (200, &json!("accepted")));
    let doc = h.all.next(WAIT).await;
    assert_eq!(doc.event, "candidateTeleported");
    h.hires.assert_quiet(QUIET).await;
    h.app.stop().await;
}

/// Missing, non-hex and wrong signatures are 401 and change nothing.
pub async fn bad_or_missing_signatures_are_401_and_change_nothing() {
    let mut h = harness().await;
    let data = SampleEvent::new("candidateHired").data(now());
    let good: serde_json::Value = serde_json::from_slice(&signed_body(
        SIGNING_TOKEN,
        "candidateHired",
        &data,
        now(),
        "tok",
    ))
    .unwrap();
    let variants = [
        ("missing", {
            let mut v = good.clone();
            v.as_object_mut().unwrap().remove("signature");
            v
        }),
        ("not hex", {
            let mut v = good.clone();
            v["signature"] = json!("z".repeat(64));
            v
        }),
        ("short", {
            let mut v = good.clone();
            v["signature"] = json!("abcd");
            v
        }),
        ("wrong", {
            let mut v = good.clone();
            v["signature"] = json!("0".repeat(64));
            v
        }),
    ];
    for (what, body) in variants {
        let (status, answer) = h.app.deliver(serde_json::to_vec(&body).unwrap()).await;
        assert_eq!(status, 401, "{what}");
        assert_eq!(answer, json!({"error": "invalid signature"}), "{what}");
    }
    let other_key = signed_body("someone-else", "candidateHired", &data, now(), "tok2");
    assert_eq!(
        h.app.deliver(other_key).await.0,
        401,
        "signed with another key"
    );
    assert_eq!(
        h.app.store.ingests.load(Ordering::SeqCst),
        0,
        "the store is never asked"
    );
    h.assert_nothing_stored_or_dispatched().await;
    h.app.stop().await;
}

/// A token used before, now with different data (a replay with altered content), is 401.
pub async fn a_reused_token_with_different_content_is_401() {
    let mut h = harness().await;
    let at = now();
    let original = SampleEvent::new("candidateStageChange");
    let (status, _) = h
        .app
        .deliver(signed_body(
            SIGNING_TOKEN,
            "candidateStageChange",
            &original.data(at),
            at,
            "tok-1",
        ))
        .await;
    assert_eq!(status, 200);
    h.all.next(WAIT).await;
    let forged = SampleEvent::new("candidateStageChange");
    let (status, answer) = h
        .app
        .deliver(signed_body(
            SIGNING_TOKEN,
            "candidateStageChange",
            &forged.data(at),
            at,
            "tok-1",
        ))
        .await;
    assert_eq!(
        (status, answer),
        (401, json!({"error": "token already used"}))
    );
    assert_eq!(h.app.store.accepted_count(), 1);
    h.all.assert_quiet(QUIET).await;
    h.app.stop().await;
}

/// `triggeredAt` older than `max_age` or more than five minutes ahead is 401.
pub async fn timestamps_outside_the_window_are_401() {
    let mut h = harness().await;
    let data = SampleEvent::new("candidateHired").data(now());
    let sixteen_days = 16 * 86_400_000;
    let six_minutes = 6 * 60_000;
    for (what, at) in [
        ("old", now() - sixteen_days),
        ("future", now() + six_minutes),
    ] {
        let (status, answer) = h
            .app
            .deliver(signed_body(
                SIGNING_TOKEN,
                "candidateHired",
                &data,
                at,
                &random_token(),
            ))
            .await;
        assert_eq!(status, 401, "{what}");
        assert_eq!(
            answer["error"], "triggeredAt outside the accepted window",
            "{what}"
        );
    }
    let four_minutes_ahead = now() + 4 * 60_000;
    let (status, _) = h
        .app
        .deliver(signed_body(
            SIGNING_TOKEN,
            "candidateHired",
            &data,
            four_minutes_ahead,
            &random_token(),
        ))
        .await;
    assert_eq!(status, 200, "small clock skew is tolerated");
    assert_eq!(h.all.next(WAIT).await.event, "candidateHired");
    h.app.stop().await;
}

/// Bodies that are not a well-formed delivery are 400, before any signature check.
pub async fn malformed_bodies_are_400_and_change_nothing() {
    let mut h = harness().await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not json", b"hello".to_vec()),
        ("truncated", br#"{"event":"candidateHired","tok"#.to_vec()),
        ("array", b"[1,2,3]".to_vec()),
        (
            "no event",
            br#"{"token":"t","triggeredAt":1,"signature":"x","data":{}}"#.to_vec(),
        ),
        (
            "no token",
            br#"{"event":"e","triggeredAt":1,"signature":"x","data":{}}"#.to_vec(),
        ),
        (
            "no triggeredAt",
            br#"{"event":"e","token":"t","signature":"x","data":{}}"#.to_vec(),
        ),
        (
            "float triggeredAt",
            br#"{"event":"e","token":"t","triggeredAt":1.5,"signature":"x","data":{}}"#.to_vec(),
        ),
        (
            "string triggeredAt",
            br#"{"event":"e","token":"t","triggeredAt":"1","signature":"x","data":{}}"#.to_vec(),
        ),
        (
            "no data",
            br#"{"event":"e","token":"t","triggeredAt":1,"signature":"x"}"#.to_vec(),
        ),
        (
            "data array",
            br#"{"event":"e","token":"t","triggeredAt":1,"signature":"x","data":[]}"#.to_vec(),
        ),
    ];
    for (what, body) in cases {
        let (status, answer) = h.app.deliver(body).await;
        assert_eq!(status, 400, "{what}");
        assert!(answer["error"].is_string(), "{what}: error body {answer}");
    }
    h.assert_nothing_stored_or_dispatched().await;
    h.app.stop().await;
}

/// A body over `max_body_bytes` is 413, announced by Content-Length or sent chunked.
pub async fn oversized_bodies_are_413_without_being_read_in_full() {
    let mut h = harness().await;
    let big = vec![b' '; 300 * 1024];
    assert_eq!(h.app.deliver(big).await.0, 413);

    // Announce 10 MB but send only a few bytes: the answer must come without the rest.
    let addr = h.app.base.trim_start_matches("http://").to_owned();
    let status_line = tokio::task::spawn_blocking(move || {
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(conn, "POST /webhooks/lever HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n{{").unwrap();
        let mut buf = [0u8; 64];
        let n = conn.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or_default().to_owned()
    })
    .await
    .unwrap();
    assert!(status_line.contains("413"), "got `{status_line}`");

    // Chunked, no Content-Length: cut off once past the limit.
    let addr = h.app.base.trim_start_matches("http://").to_owned();
    let status_line = tokio::task::spawn_blocking(move || {
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(
            conn,
            "POST /webhooks/lever HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        .unwrap();
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..5 {
            if write!(conn, "{:x}\r\n", chunk.len()).is_err()
                || conn.write_all(&chunk).is_err()
                || conn.write_all(b"\r\n").is_err()
            {
                break;
            }
        }
        let mut buf = [0u8; 64];
        let n = conn.read(&mut buf).unwrap_or(0);
        String::from_utf8_lossy(&buf[..n])
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    })
    .await
    .unwrap();
    assert!(status_line.contains("413"), "got `{status_line}`");
    h.assert_nothing_stored_or_dispatched().await;
    h.app.stop().await;
}

/// A path naming an account that is not configured is 404; a configured one verifies with its own token.
pub async fn accounts_are_told_apart_by_path() {
    let mut h = harness().await;
    let sample = SampleEvent::new("candidateHired");
    let (status, answer) = h.app.post("/webhooks/lever/nope", delivery(&sample)).await;
    assert_eq!((status, answer), (404, json!({"error": "unknown account"})));
    // Signed with the default account's token: wrong for acme.
    assert_eq!(
        h.app
            .post("/webhooks/lever/acme", delivery(&sample))
            .await
            .0,
        401
    );
    let body = signed_body(
        "acme-token",
        "candidateHired",
        &sample.data(now()),
        now(),
        &random_token(),
    );
    let (status, answer) = h.app.post("/webhooks/lever/acme", body).await;
    assert_eq!((status, &answer["status"]), (200, &json!("accepted")));
    let doc = h.all.next(WAIT).await;
    assert_eq!(doc.account, "acme");
    h.app.stop().await;
}

/// When the store cannot write, the answer is 503 (Lever retries) and nothing is dispatched.
#[tokio::test]
async fn a_store_failure_is_503_and_intake_resumes_when_it_recovers() {
    let mut h = harness().await;
    h.app.store.fail_ingest.store(true, Ordering::SeqCst);
    let body = delivery(&SampleEvent::new("candidateHired"));
    let (status, answer) = h.app.deliver(body.clone()).await;
    assert_eq!(
        (status, answer),
        (503, json!({"error": "storage unavailable, retry later"}))
    );
    h.assert_nothing_stored_or_dispatched().await;
    h.app.store.fail_ingest.store(false, Ordering::SeqCst);
    let (status, answer) = h.app.deliver(body).await;
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("accepted")),
        "Lever's retry succeeds"
    );
    h.all.next(WAIT).await;
    h.app.stop().await;
}

/// Other methods on the webhook path are 405, other paths 404, both with JSON errors.
pub async fn other_methods_and_paths_get_json_errors() {
    let h = harness().await;
    let get = h
        .app
        .http
        .get(format!("{}/webhooks/lever", h.app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 405);
    let put = h
        .app
        .http
        .put(format!("{}/webhooks/lever/acme", h.app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 405);
    let (status, answer) = h.app.post("/elsewhere", b"{}".to_vec()).await;
    assert_eq!((status, answer), (404, json!({"error": "not found"})));
    h.app.stop().await;
}

/// The checks run in design.md's order: an oversized body for an unknown account is 413, a
/// malformed body for an unknown account is 404, a malformed unsigned body is 400.
pub async fn checks_run_in_the_documented_order() {
    let h = harness().await;
    assert_eq!(
        h.app
            .post("/webhooks/lever/nope", vec![b' '; 300 * 1024])
            .await
            .0,
        413
    );
    assert_eq!(
        h.app
            .post("/webhooks/lever/nope", b"garbage".to_vec())
            .await
            .0,
        404
    );
    assert_eq!(
        h.app
            .deliver(br#"{"event":"e","token":"t","triggeredAt":1.0,"data":{}}"#.to_vec())
            .await
            .0,
        400
    );
    // Signature before time window: a forged old delivery reads as a bad signature.
    let old = signed_body(
        "forged",
        "candidateHired",
        &json!({"opportunityId": "o"}),
        1,
        "t",
    );
    assert_eq!(h.app.deliver(old).await.1["error"], "invalid signature");
    h.app.stop().await;
}

crate::helpers::on_both_stores!(
    a_valid_new_event_is_accepted_stored_and_dispatched,
    the_same_event_again_is_a_duplicate_and_not_dispatched_twice,
    a_rerun_with_a_new_token_and_the_same_content_is_a_duplicate,
    the_settings_page_test_is_answered_but_not_stored,
    an_unknown_event_type_is_accepted_and_only_reaches_star_routes,
    bad_or_missing_signatures_are_401_and_change_nothing,
    a_reused_token_with_different_content_is_401,
    timestamps_outside_the_window_are_401,
    malformed_bodies_are_400_and_change_nothing,
    oversized_bodies_are_413_without_being_read_in_full,
    accounts_are_told_apart_by_path,
    other_methods_and_paths_get_json_errors,
    checks_run_in_the_documented_order,
);
