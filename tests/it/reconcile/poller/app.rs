//! The running app polls every second: each handler runs once per change found while the
//! fake's webhooks are stopped, and the poll and handlers stay under the fake's limit.

use super::*;
use crate::lever_flows::{free_port, Provider, SIGNING_TOKEN};
use lever_hooks::handler::HandlerRegistry;
use lever_hooks::store::JobState;
use lever_hooks::{App, Config};
use std::path::Path;

/// The app with the fake delivering webhooks, polling every second.
async fn app_polling(
    lever_rate: Option<(u32, u32)>,
) -> (
    FakeLever,
    Provider,
    Arc<dyn Store>,
    lever_hooks::app::Stopper,
    tokio::task::JoinHandle<Result<(), lever_hooks::app::AppError>>,
) {
    let provider = Provider::start().await;
    let port = free_port();
    let mut options = FakeLeverOptions::new(example());
    options.signing_tokens = [("default".to_owned(), SIGNING_TOKEN.to_owned())].into();
    options.webhook_url = Some(format!("http://127.0.0.1:{port}/webhooks/lever"));
    options.rate_limit = lever_rate;
    let lever = fake_lever::start(options).await.unwrap();
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:{port}"
workers = 1
shutdown_grace = "5s"

[lever]
signing_tokens = {{ default = ["{SIGNING_TOKEN}"] }}
api_base = "{api}"
api_key = "app-key"
api_rate_limit = {{ per_second = 8, burst = 15 }}
reconcile_every = "1s"
reconcile_overlap = "1s"

[retry]
max_attempts = 5
initial_backoff = "20ms"
max_backoff = "200ms"
{handlers}

[handlers.alerts]
kind = "http"
url = "{provider}"

[alerts]
on_missed_webhooks = "alerts"
"#,
        provider = provider.url,
        api = lever.url(),
        handlers = lever_flows::handlers(&provider.url),
    );
    let plugins = HandlerRegistry::new();
    let config = Config::parse(&text, Path::new("."), &|_| None, &plugins).unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().unwrap());
    let app = App::build_with_store(&config, plugins, store.clone())
        .await
        .unwrap();
    let stopper = app.stopper();
    let running = tokio::spawn(app.run_until_stopped());
    (lever, provider, store, stopper, running)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_app_polls_runs_each_handler_once_per_change_and_stays_under_the_limit() {
    let (lever, provider, store, stopper, running) = app_polling(Some((10, 20))).await;
    // The first pass (after one interval) records the states; the changes are made just
    // after the second pass, so the third finds them all (a second apart).
    let cursor = || async {
        lever_hooks::reconcile::lease::cursor(&*store, "default")
            .await
            .unwrap()
    };
    let mut first = None;
    for _ in 0..500 {
        first = cursor().await;
        if first.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(first.is_some(), "the first pass completed");
    for _ in 0..500 {
        if cursor().await != first {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        events(&*store).await.is_empty(),
        "no pass found anything yet"
    );
    lever.stop_webhooks();
    make_changes(&lever).await;

    // Finished (done, or given up for Sam, who has no email): bgcheck for the move to
    // Background Check and for the archive; hris for the hire (once, though two events
    // mean it); assessment for the move to Assessment a pass saw (Sam's: Dana passed
    // through it between passes).
    let done = |jobs: &[(String, JobState)]| {
        let mut names: Vec<&str> = jobs
            .iter()
            .filter(|(_, s)| *s != JobState::Pending)
            .map(|(h, _)| h.as_str())
            .collect();
        names.sort();
        names.join(",")
    };
    let mut last = String::new();
    for _ in 0..500 {
        let mut jobs = Vec::new();
        for event in events(&*store).await {
            for job in store.jobs_of(&event.id).await.unwrap() {
                jobs.push((job.handler, job.state));
            }
        }
        last = done(&jobs);
        if last == "assessment,bgcheck,bgcheck,hris" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(last, "assessment,bgcheck,bgcheck,hris");
    assert!(
        lever.dropped_webhooks() > 0,
        "the webhooks really were stopped"
    );
    assert_eq!(lever.rate_limited(), 0, "no request over the fake's limit");

    // The alert said which event types webhooks missed.
    let mut missing = serde_json::Map::new();
    for _ in 0..500 {
        let alerts: Vec<_> = provider
            .bodies()
            .into_iter()
            .filter(|b| b["event"] == "leverHooks.missedWebhooks")
            .collect();
        if let Some(alert) = alerts.first() {
            assert_eq!(alerts.len(), 1, "{alerts:?}");
            missing = alert["data"]["missing"].as_object().unwrap().clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        serde_json::Value::Object(missing),
        json!({"candidateStageChange": 2, "candidateArchiveChange": 1, "candidateHired": 1})
    );
    stopper.stop();
    running.await.unwrap().unwrap();
    lever.stop().await;
}
