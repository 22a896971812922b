//! Graceful shutdown: stop accepting, let running jobs finish, flush, exit cleanly.

use crate::helpers::*;
use lever_hooks::handler::HandlerRegistry;
use lever_hooks::sample::SampleEvent;
use lever_hooks::store::JobState;
use lever_hooks::store::Store;
use std::time::Duration;

/// A job running when shutdown starts finishes and is recorded; new deliveries are refused.
#[tokio::test]
async fn shutdown_lets_running_jobs_finish_and_refuses_new_deliveries() {
    let (recorder, mut seen) = Recorder::new(Script::Sleep(500));
    let routes = "[[routes]]\nevents = [\"*\"]\nhandler = \"slow\"\n";
    let app = spawn_app(routes, HandlerRegistry::new().register("slow", recorder)).await;
    let (_, answer) = app
        .deliver(delivery(&SampleEvent::new("candidateHired")))
        .await;
    let id = event_id(&answer);
    seen.next(Duration::from_secs(5)).await; // the job is now running
    let store = app.store.clone();
    let base = app.base.clone();
    let http = app.http.clone();
    app.stop().await;
    let job = store.jobs_of(&id).await.unwrap().remove(0);
    assert_eq!(
        job.state,
        JobState::Done,
        "the running job finished within the grace period"
    );
    let refused = http
        .post(format!("{base}/webhooks/lever"))
        .body("{}")
        .send()
        .await;
    assert!(refused.is_err(), "the listener is closed after shutdown");
}
