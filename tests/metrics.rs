//! `/metrics` after real traffic: deliveries by outcome, rejections by reason, jobs,
//! attempts, dead letters, handler and answer times, and the queue depth gauge.
//!
//! The Prometheus recorder is process-wide, so every metric assertion of this binary
//! lives in the one test below.
//!
//! Its own test binary: it asserts exact counts of the process-wide recorder, which any
//! other test in the same process would move. Shares `tests/it/helpers.rs` with `tests/it`.

#[path = "it/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use helpers::*;
use lever_hooks::event::KNOWN_EVENTS;
use lever_hooks::handler::HandlerRegistry;
use lever_hooks::sample::{random_token, signed_body, SampleEvent};
use lever_hooks::store::{EventFilter, JobState, Store};
use std::collections::BTreeSet;
use std::time::Duration;

/// The value of the series written exactly as `series` (name and labels), if present.
fn value_of(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?.strip_prefix(' ')?;
        rest.trim().parse().ok()
    })
}

async fn scrape(app: &TestApp) -> String {
    let url = format!("{}/metrics", app.admin.as_ref().expect("admin configured"));
    let response = reqwest::get(url).await.expect("admin listener answers");
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test]
async fn metrics_count_deliveries_rejections_jobs_attempts_and_dead_letters() {
    let (ok, _ok_seen) = Recorder::new(Script::Succeed);
    let (bad, _bad_seen) = Recorder::new(Script::GiveUp);
    let extra = r#"
[admin]
listen = "127.0.0.1:0"

[[routes]]
events = ["candidateStageChange"]
handler = "ok"

[[routes]]
events = ["candidateStageChange"]
handler = "bad"
"#;
    let app = spawn_app(
        extra,
        HandlerRegistry::new()
            .register("ok", ok)
            .register("bad", bad),
    )
    .await;

    // One accepted event, the same delivery again, and a forged one.
    let body = delivery(&SampleEvent::new("candidateStageChange"));
    let (status, accepted) = app.deliver(body.clone()).await;
    assert_eq!(
        (status, accepted["status"].as_str()),
        (200, Some("accepted"))
    );
    let (status, duplicate) = app.deliver(body).await;
    assert_eq!(
        (status, duplicate["status"].as_str()),
        (200, Some("duplicate"))
    );
    let sample = SampleEvent::new("candidateStageChange");
    let forged = signed_body(
        "not-the-signing-token",
        &sample.event,
        &sample.data(now()),
        now(),
        &random_token(),
    );
    assert_eq!(app.deliver(forged).await.0, 401);

    // "ok" finishes, "bad" gives up at once: a dead letter.
    let id = event_id(&accepted);
    eventually("both jobs to finish", Duration::from_secs(10), || async {
        let jobs = jobs_of(&app, &id).await;
        jobs.len() == 2 && jobs.iter().all(|j| j.state != JobState::Pending)
    })
    .await;

    let expected = [
        (
            r#"lever_hooks_deliveries_total{account="default",event="candidateStageChange",outcome="accepted"}"#,
            1.0,
        ),
        (
            r#"lever_hooks_deliveries_total{account="default",event="candidateStageChange",outcome="duplicate"}"#,
            1.0,
        ),
        (
            r#"lever_hooks_deliveries_total{account="default",event="(unverified)",outcome="rejected"}"#,
            1.0,
        ),
        (
            r#"lever_hooks_rejections_total{reason="signature_mismatch"}"#,
            1.0,
        ),
        ("lever_hooks_ack_seconds_count", 3.0),
        (r#"lever_hooks_jobs_created_total{handler="ok"}"#, 1.0),
        (r#"lever_hooks_jobs_created_total{handler="bad"}"#, 1.0),
        (
            r#"lever_hooks_attempts_total{handler="ok",outcome="done"}"#,
            1.0,
        ),
        (
            r#"lever_hooks_attempts_total{handler="bad",outcome="give_up"}"#,
            1.0,
        ),
        (
            r#"lever_hooks_handler_seconds_count{handler="ok",outcome="done"}"#,
            1.0,
        ),
        (
            r#"lever_hooks_handler_seconds_count{handler="bad",outcome="give_up"}"#,
            1.0,
        ),
        (r#"lever_hooks_dead_letters_total{handler="bad"}"#, 1.0),
    ];
    // The dead letter is counted just after the store records it: poll briefly.
    let mut text = String::new();
    for _ in 0..100 {
        text = scrape(&app).await;
        if expected.iter().all(|(s, v)| value_of(&text, s) == Some(*v)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for (series, count) in expected {
        assert_eq!(value_of(&text, series), Some(count), "{series} in:\n{text}");
    }
    assert_eq!(
        value_of(&text, r#"lever_hooks_dead_letters_total{handler="ok"}"#),
        None,
        "no dead letter for the handler that succeeded:\n{text}"
    );
    assert!(
        value_of(&text, "lever_hooks_queue_depth").is_some(),
        "the queue depth gauge is set:\n{text}"
    );
    assert!(
        !text.contains("not-the-signing-token") && !text.contains(&sample.opportunity_id),
        "no secret or payload value in a label"
    );

    // 50 validly signed deliveries, each with an event name of its own: one `other`
    // series, not 50 new ones, while each stored event keeps its exact name.
    let names: Vec<String> = (0..50).map(|i| format!("madeUpEvent{i}")).collect();
    for name in &names {
        let (status, answer) = app.deliver(delivery(&SampleEvent::new(name))).await;
        assert_eq!((status, answer["status"].as_str()), (200, Some("accepted")));
    }
    let text = scrape(&app).await;
    let labels: BTreeSet<&str> = text
        .lines()
        .filter(|l| l.starts_with("lever_hooks_deliveries_total{"))
        .filter_map(|l| l.split("event=\"").nth(1)?.split('"').next())
        .collect();
    let allowed: BTreeSet<&str> = KNOWN_EVENTS
        .into_iter()
        .chain(["other", "(unverified)"])
        .collect();
    assert!(labels.is_subset(&allowed), "{labels:?}");
    assert_eq!(
        value_of(
            &text,
            r#"lever_hooks_deliveries_total{account="default",event="other",outcome="accepted"}"#
        ),
        Some(50.0),
        "{text}"
    );
    for name in [&names[0], &names[49]] {
        let filter = EventFilter {
            event: Some(name.clone()),
            ..EventFilter::default()
        };
        let page = app.store.list_events(&filter, None, 10).await.unwrap();
        assert_eq!(page.events.len(), 1, "{name} stored under its own name");
        assert_eq!(&page.events[0].event.event, name);
    }
    app.stop().await;
}
