//! `[alerts]` with a recording plugin as the target: a dead letter sends exactly one
//! `leverHooks.deadLetter`, and a burst of forged deliveries one `leverHooks.rejectedBurst`.

use crate::helpers;

use helpers::*;
use lever_hooks::handler::HandlerRegistry;
use lever_hooks::sample::{random_token, signed_body, SampleEvent};
use serde_json::{json, Value};
use std::time::Duration;

/// A delivery signed with a token the app does not know.
fn forged() -> Vec<u8> {
    let sample = SampleEvent::new("candidateStageChange");
    signed_body(
        "not-the-signing-token",
        &sample.event,
        &sample.data(now()),
        now(),
        &random_token(),
    )
}

/// A job that gives up becomes a dead letter, and the alert handler hears of it once,
/// with the failed event's account and the facts an operator needs.
#[tokio::test]
async fn a_dead_letter_sends_exactly_one_alert_with_its_details() {
    let (bad, _) = Recorder::new(Script::GiveUp);
    let (alert, mut alerts) = Recorder::new(Script::Succeed);
    let extra = r#"
[alerts]
on_dead_letter = "alert"

[[routes]]
events = ["candidateStageChange"]
handler = "bad"
"#;
    let plugins = HandlerRegistry::new()
        .register("bad", bad)
        .register("alert", alert);
    let app = spawn_app(extra, plugins).await;
    let sample = SampleEvent::new("candidateStageChange");
    let (status, answer) = app.deliver(delivery(&sample)).await;
    assert_eq!(status, 200, "{answer}");
    let id = event_id(&answer);

    let doc = alerts.next(Duration::from_secs(10)).await;
    assert_eq!(doc.event, "leverHooks.deadLetter");
    assert_eq!(doc.account, "default");
    assert_eq!(doc.handler, "alert");
    assert_eq!(doc.attempt, 1);
    assert_eq!(doc.idempotency_key, format!("alert:{id}:bad"));
    assert_ne!(doc.id, id, "the alert has an event id of its own");
    let data: Value = serde_json::from_str(doc.data.get()).unwrap();
    assert_eq!(
        data,
        json!({
            "eventId": id.as_str(),
            "handler": "bad",
            "attempts": 1,
            "lastError": "simulated permanent failure",
            "opportunityId": sample.opportunity_id,
        })
    );
    alerts.assert_quiet(Duration::from_millis(300)).await;
    let jobs = jobs_of(&app, &id).await;
    assert_eq!(jobs.len(), 1, "the alert ran directly, not as a job");
    app.stop().await;
}

/// More forged deliveries than the threshold within the window send one burst alert
/// with the count so far and the reasons; later ones in the same window send nothing.
#[tokio::test]
async fn a_burst_of_forged_deliveries_sends_one_alert() {
    let (alert, mut alerts) = Recorder::new(Script::Succeed);
    let extra = r#"
[alerts]
on_rejected_burst = { handler = "alert", threshold = 3, window = "1m" }
"#;
    let app = spawn_app(extra, HandlerRegistry::new().register("alert", alert)).await;
    for _ in 0..3 {
        assert_eq!(app.deliver(forged()).await.0, 401);
    }
    alerts.assert_quiet(Duration::from_millis(200)).await;
    assert_eq!(app.deliver(b"not json".to_vec()).await.0, 400);

    let doc = alerts.next(Duration::from_secs(5)).await;
    assert_eq!(doc.event, "leverHooks.rejectedBurst");
    assert_eq!(doc.account, "default");
    assert!(doc.idempotency_key.starts_with("alert:rejectedBurst:"));
    let data: Value = serde_json::from_str(doc.data.get()).unwrap();
    assert_eq!(data["count"], 4);
    assert_eq!(data["window"], "1m");
    assert_eq!(
        data["reasons"],
        json!({"signature_mismatch": 3, "malformed": 1})
    );
    for _ in 0..3 {
        assert_eq!(app.deliver(forged()).await.0, 401);
    }
    alerts.assert_quiet(Duration::from_millis(300)).await;
    app.stop().await;
}

/// An alert naming a handler nobody configured is a config error.
#[test]
fn alerts_must_name_a_configured_handler() {
    let text = config_text(
        "[alerts]\non_dead_letter = \"nobody\"\non_rejected_burst = { handler = \"ghost\" }\n",
    );
    let err = lever_hooks::Config::parse(
        &text,
        std::path::Path::new("."),
        &|_| None,
        &HandlerRegistry::new(),
    )
    .unwrap_err();
    let paths: Vec<&str> = err.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        ["alerts.on_dead_letter", "alerts.on_rejected_burst.handler"],
        "{err}"
    );
}
