//! Retention against a running app: events older than `retention` whose jobs finished are
//! deleted by the background task, an event with a job still running stays, and the
//! deletions are counted in `/metrics`.

use crate::helpers;

use helpers::*;
use lever_hooks::handler::{
    async_trait, BoxError, Handler, HandlerContext, HandlerRegistry, Outcome,
};
use lever_hooks::sample::SampleEvent;
use lever_hooks::store::{JobState, Store};
use lever_hooks::EventDocument;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Holds every call until the test opens it, so its job stays unfinished.
#[derive(Clone, Default)]
struct Gate {
    entered: Arc<AtomicBool>,
    open: Arc<Notify>,
}

#[async_trait]
impl Handler for Gate {
    async fn handle(&self, _: &EventDocument, _: &HandlerContext) -> Result<Outcome, BoxError> {
        self.entered.store(true, Ordering::SeqCst);
        self.open.notified().await;
        Ok(Outcome::Done)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_finished_events_are_pruned_and_unfinished_ones_stay() {
    let (ok, _) = Recorder::new(Script::Succeed);
    let gate = Gate::default();
    let extra = r#"
[storage]
retention = "1s"
prune_every = "1s"

[admin]
listen = "127.0.0.1:0"

[[routes]]
events = ["candidateStageChange"]
handler = "ok"

[[routes]]
events = ["candidateHired"]
handler = "gate"
"#;
    let plugins = HandlerRegistry::new()
        .register("ok", ok)
        .register("gate", gate.clone());
    let app = spawn_app(extra, plugins).await;

    let (_, done) = app
        .deliver(delivery(&SampleEvent::new("candidateStageChange")))
        .await;
    let (_, held) = app
        .deliver(delivery(&SampleEvent::new("candidateHired")))
        .await;
    let (done, held) = (event_id(&done), event_id(&held));
    eventually(
        "the first job to finish",
        Duration::from_secs(5),
        || async {
            jobs_of(&app, &done)
                .await
                .iter()
                .all(|j| j.state == JobState::Done)
        },
    )
    .await;
    eventually("the gate to be entered", Duration::from_secs(5), || async {
        gate.entered.load(Ordering::SeqCst)
    })
    .await;

    eventually(
        "the finished event to be pruned",
        Duration::from_secs(10),
        || async { app.store.event(&done).await.unwrap().is_none() },
    )
    .await;
    assert!(
        jobs_of(&app, &done).await.is_empty(),
        "its jobs went with it"
    );
    // The held event is past retention too, and has had a prune run since.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(
        app.store.event(&held).await.unwrap().is_some(),
        "an event with an unfinished job stays"
    );

    let text = reqwest::get(format!("{}/metrics", app.admin.as_ref().unwrap()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let pruned = text
        .lines()
        .find_map(|l| l.strip_prefix("lever_hooks_pruned_events_total "))
        .and_then(|v| v.trim().parse::<f64>().ok());
    assert_eq!(pruned, Some(1.0), "{text}");

    gate.open.notify_waiters();
    app.stop().await;
}
