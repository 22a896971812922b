//! `POST /providers/…`: everything refused before it is stored, and `send-result`.

use super::*;
use clap::Parser as _;
use lever_hooks::cli::{send_result, Cli, Command};
use serde_json::json;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

/// Sends `body` to `path` with `headers`; asserts the answer and that nothing was stored.
async fn refused(
    r: &Results,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
    want: (u16, Value),
) {
    let answer = post(&r.app, path, headers, body).await;
    assert_eq!(answer, want, "{path}");
    assert_eq!(
        r.app.store.ingests.load(Ordering::SeqCst),
        0,
        "nothing stored"
    );
}

#[tokio::test]
async fn forged_signatures_and_timestamps_out_of_the_window_are_401() {
    let r = start().await;
    remember(&r.app, "bgcheck", "default", "chk_1", "opp-1").await;
    let body = serde_json::to_vec(&result("chk_1")).unwrap();
    let invalid = (401, json!({"error": "invalid signature"}));
    let path = "/providers/bgcheck";

    let forged = signed("not-the-secret", "msg_1", now_secs(), &body);
    refused(&r, path, &forged, body.clone(), invalid.clone()).await;
    let old = signed(SECRET, "msg_1", now_secs() - 301, &body);
    refused(&r, path, &old, body.clone(), invalid.clone()).await;
    let future = signed(SECRET, "msg_1", now_secs() + 301, &body);
    refused(&r, path, &future, body.clone(), invalid.clone()).await;
    let unsigned = &signed(SECRET, "msg_1", now_secs(), &body)[..2];
    refused(&r, path, unsigned, body.clone(), invalid.clone()).await;
    // A valid signature of another body.
    let other = signed(SECRET, "msg_1", now_secs(), b"{}");
    refused(&r, path, &other, body, invalid).await;
    r.app.stop().await;
}

#[tokio::test]
async fn the_rotated_out_secret_and_one_good_signature_among_several_pass() {
    let r = start().await;
    remember(&r.app, "bgcheck", "default", "chk_1", "opp-1").await;
    let body = serde_json::to_vec(&result("chk_1")).unwrap();

    let old = signed(OLD_SECRET, "msg_old", now_secs(), &body);
    let (status, answer) = post(&r.app, "/providers/bgcheck", &old, body.clone()).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("accepted")));

    let mut several = signed(SECRET, "msg_several", now_secs(), &body);
    let wrong = signed("not-the-secret", "msg_several", now_secs(), &body);
    several[2].1 = format!("{} v1,bm90IGEgc2lnbmF0dXJl {}", wrong[2].1, several[2].1);
    let (status, answer) = post(&r.app, "/providers/bgcheck", &several, body).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("accepted")),
        "{answer}"
    );
    r.app.stop().await;
}

#[tokio::test]
async fn no_secret_unknown_handler_and_unknown_account_are_the_same_404() {
    let r = start().await;
    remember(&r.app, "nosecret", "default", "chk_1", "opp-1").await;
    let body = serde_json::to_vec(&result("chk_1")).unwrap();
    let headers = signed(SECRET, "msg_1", now_secs(), &body);
    let not_found = (404, json!({"error": "not found"}));

    for path in [
        "/providers/nosecret",
        "/providers/nobody",
        "/providers/globex/bgcheck",
    ] {
        refused(&r, path, &headers, body.clone(), not_found.clone()).await;
    }
    // The same answer before the signature is looked at.
    refused(&r, "/providers/nosecret", &[], b"junk".to_vec(), not_found).await;
    // The named account works.
    remember(&r.app, "bgcheck", "acme", "chk_acme", "opp-2").await;
    let (status, _) = send(
        &r.app,
        "/providers/acme/bgcheck",
        "msg_2",
        &result("chk_acme"),
    )
    .await;
    assert_eq!(status, 200);
    r.app.stop().await;
}

#[tokio::test]
async fn a_signed_body_that_is_not_a_result_is_400_and_an_oversized_one_413() {
    let r = start().await;
    let path = "/providers/bgcheck";
    for body in [&b"{not json"[..], br#"{"reference": "chk_1"}"#, br#"[1]"#] {
        let headers = signed(SECRET, "msg_1", now_secs(), body);
        let answer = post(&r.app, path, &headers, body.to_vec()).await;
        assert_eq!(
            answer.0,
            400,
            "{}: {}",
            String::from_utf8_lossy(body),
            answer.1
        );
    }
    let huge = serde_json::to_vec(
        &json!({"reference": "r", "status": "s", "pad": "x".repeat(300 * 1024)}),
    )
    .unwrap();
    let headers = signed(SECRET, "msg_1", now_secs(), &huge);
    refused(
        &r,
        path,
        &headers,
        huge,
        (413, json!({"error": "body too large"})),
    )
    .await;
    r.app.stop().await;
}

/// Runs `lever-hooks send-result ARGS` in process; its exit code.
async fn send_result_cli(args: &[&str]) -> ExitCode {
    let argv = ["lever-hooks", "send-result"].iter().chain(args);
    match Cli::try_parse_from(argv)
        .expect("the arguments parse")
        .command
    {
        Command::SendResult(args) => send_result::run(*args).await.expect("it runs"),
        other => panic!("not send-result: {other:?}"),
    }
}

#[tokio::test]
async fn send_result_signs_and_posts_a_result_and_fails_on_a_refusal() {
    let mut r = start().await;
    remember(&r.app, "bgcheck", "acme", "chk_1", "opp-2").await;
    let base = r.app.base.clone();
    let args = [
        "--url",
        &base,
        "--account",
        "acme",
        "--handler",
        "bgcheck",
        "--reference",
        "chk_1",
        "--status",
        "completed",
        "--score",
        "82",
        "--max-score",
        "100",
        "--passed",
        "true",
        "--summary",
        "strong",
        "--secret",
        OLD_SECRET,
        "--webhook-id",
        "msg_cli",
    ];

    assert_eq!(send_result_cli(&args).await, ExitCode::SUCCESS);
    let (_, doc) = tokio::time::timeout(WAIT, r.seen.recv())
        .await
        .unwrap()
        .unwrap();
    let got = doc.provider_result().unwrap().unwrap();
    assert_eq!(
        (got.status.as_str(), got.score, got.max_score, got.passed),
        ("completed", Some(82.0), Some(100.0), Some(true))
    );
    assert_eq!(
        (doc.account.as_str(), got.opportunity_id.as_str()),
        ("acme", "opp-2")
    );
    assert_eq!(
        send_result_cli(&args).await,
        ExitCode::SUCCESS,
        "a duplicate is 200"
    );
    assert_eq!(r.app.store.accepted_count(), 1);

    let mut forged = args.to_vec();
    forged[19] = "wrong";
    assert_eq!(
        send_result_cli(&forged).await,
        ExitCode::from(1),
        "401 fails"
    );
    r.app.stop().await;
}
