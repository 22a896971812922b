//! Dispatch: per-opportunity order, parallelism across opportunities, retries, dead letters.

use crate::helpers::*;
use lever_hooks::handler::HandlerRegistry;
use lever_hooks::sample::SampleEvent;
use lever_hooks::store::{AttemptOutcome, JobState};
use lever_hooks::Store;
use std::sync::atomic::Ordering;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

fn route_all_to(handler: &str) -> String {
    format!("[[routes]]\nevents = [\"*\"]\nhandler = \"{handler}\"\n")
}

/// Jobs of one opportunity and handler run one at a time, in the order the events were stored.
pub async fn one_opportunitys_jobs_run_one_at_a_time_in_store_order() {
    let (recorder, mut seen) = Recorder::new(Script::Sleep(30));
    let app = spawn_app(
        &route_all_to("slow"),
        HandlerRegistry::new().register("slow", recorder),
    )
    .await;
    let mut sample = SampleEvent::new("candidateStageChange");
    let mut sent = Vec::new();
    for stage in ["s1", "s2", "s3", "s4", "s5"] {
        sample.to_stage = stage.to_owned();
        let (status, answer) = app.deliver(delivery(&sample)).await;
        assert_eq!(status, 200);
        sent.push(event_id(&answer));
    }
    let mut handled = Vec::new();
    for _ in 0..5 {
        handled.push(seen.next(WAIT).await.id);
    }
    assert_eq!(handled, sent, "handled in store order");
    assert_eq!(
        seen.max_in_flight.load(Ordering::SeqCst),
        1,
        "never two at once for one opportunity"
    );
    app.stop().await;
}

/// Different opportunities run in parallel (up to `[dispatch] workers`).
pub async fn different_opportunities_run_in_parallel() {
    let (recorder, mut seen) = Recorder::new(Script::Sleep(300));
    let app = spawn_app(
        &route_all_to("slow"),
        HandlerRegistry::new().register("slow", recorder),
    )
    .await;
    for _ in 0..4 {
        app.deliver(delivery(&SampleEvent::new("candidateHired")))
            .await;
    }
    for _ in 0..4 {
        seen.next(WAIT).await;
    }
    assert!(
        seen.max_in_flight.load(Ordering::SeqCst) >= 2,
        "independent opportunities overlap"
    );
    app.stop().await;
}

/// A failing handler is retried with backoff until it succeeds; every attempt is recorded.
pub async fn a_failing_handler_is_retried_until_it_succeeds() {
    let (recorder, mut seen) = Recorder::new(Script::FailTimes(2));
    let app = spawn_app(
        &route_all_to("flaky"),
        HandlerRegistry::new().register("flaky", recorder),
    )
    .await;
    let (_, answer) = app
        .deliver(delivery(&SampleEvent::new("candidateHired")))
        .await;
    let id = event_id(&answer);
    let attempts: Vec<u32> = vec![
        seen.next(WAIT).await.attempt,
        seen.next(WAIT).await.attempt,
        seen.next(WAIT).await.attempt,
    ];
    assert_eq!(attempts, [1, 2, 3]);
    eventually("the job is done", WAIT, || async {
        jobs_of(&app, &id)
            .await
            .first()
            .is_some_and(|j| j.state == JobState::Done)
    })
    .await;
    let job = jobs_of(&app, &id).await.remove(0);
    let outcomes: Vec<_> = job.attempts.iter().map(|a| a.outcome).collect();
    assert_eq!(
        outcomes,
        [
            AttemptOutcome::Retry,
            AttemptOutcome::Retry,
            AttemptOutcome::Done
        ]
    );
    assert_eq!(
        job.attempts[0].error.as_deref(),
        Some("simulated failure 1")
    );
    assert!(job.attempts.iter().all(|a| a.started_at > 0));
    app.stop().await;
}

/// After `max_attempts` failures the job is a dead letter, and later jobs of the opportunity still run.
pub async fn a_dead_letter_is_kept_and_does_not_block_later_jobs() {
    let (recorder, mut seen) = Recorder::new(Script::FailTimes(100));
    let app = spawn_app(
        &route_all_to("broken"),
        HandlerRegistry::new().register("broken", recorder),
    )
    .await;
    let mut sample = SampleEvent::new("candidateStageChange");
    let (_, first) = app.deliver(delivery(&sample)).await;
    let first = event_id(&first);
    for attempt in 1..=3 {
        let doc = seen.next(WAIT).await;
        assert_eq!((doc.id.clone(), doc.attempt), (first.clone(), attempt));
    }
    eventually("the job is dead", WAIT, || async {
        jobs_of(&app, &first)
            .await
            .first()
            .is_some_and(|j| j.state == JobState::Dead)
    })
    .await;
    assert_eq!(
        jobs_of(&app, &first).await[0].attempts.len(),
        3,
        "max_attempts = 3"
    );
    sample.to_stage = "later".into();
    let (_, second) = app.deliver(delivery(&sample)).await;
    assert_eq!(
        seen.next(WAIT).await.id,
        event_id(&second),
        "same opportunity, not blocked"
    );
    app.stop().await;
}

/// A handler that gives up makes a dead letter at once, with its reason.
pub async fn giving_up_makes_a_dead_letter_after_one_attempt() {
    let (recorder, mut seen) = Recorder::new(Script::GiveUp);
    let app = spawn_app(
        &route_all_to("strict"),
        HandlerRegistry::new().register("strict", recorder),
    )
    .await;
    let (_, answer) = app
        .deliver(delivery(&SampleEvent::new("candidateHired")))
        .await;
    let id = event_id(&answer);
    seen.next(WAIT).await;
    eventually("the job is dead", WAIT, || async {
        jobs_of(&app, &id)
            .await
            .first()
            .is_some_and(|j| j.state == JobState::Dead)
    })
    .await;
    let job = jobs_of(&app, &id).await.remove(0);
    assert_eq!(job.attempts.len(), 1);
    assert_eq!(job.attempts[0].outcome, AttemptOutcome::GiveUp);
    assert_eq!(
        job.attempts[0].error.as_deref(),
        Some("simulated permanent failure")
    );
    seen.assert_quiet(Duration::from_millis(200)).await;
    app.stop().await;
}

/// A handler can ask for a specific delay before the retry.
pub async fn a_handler_chosen_delay_is_honoured() {
    let (recorder, mut seen) = Recorder::new(Script::RetryAfterOnce(40));
    // max_backoff is 50ms in the test config, so 40ms stands as asked.
    let app = spawn_app(
        &route_all_to("patient"),
        HandlerRegistry::new().register("patient", recorder),
    )
    .await;
    app.deliver(delivery(&SampleEvent::new("candidateHired")))
        .await;
    let first = seen.next(WAIT).await;
    let second = seen.next(WAIT).await;
    assert_eq!((first.attempt, second.attempt), (1, 2));
    let job = {
        let id = first.id.clone();
        eventually("done", WAIT, || async {
            jobs_of(&app, &id)
                .await
                .first()
                .is_some_and(|j| j.state == JobState::Done)
        })
        .await;
        jobs_of(&app, &id).await.remove(0)
    };
    let gap = job.attempts[1].started_at - job.attempts[0].started_at;
    assert!(gap >= 40, "second attempt waited {gap}ms, asked for 40ms");
    app.stop().await;
}

/// Every matching handler gets its own job with its own idempotency key.
pub async fn each_matching_handler_gets_one_job() {
    let (a, mut seen_a) = Recorder::new(Script::Succeed);
    let (b, mut seen_b) = Recorder::new(Script::Succeed);
    let routes = format!("{}{}", route_all_to("a"), route_all_to("b"));
    let app = spawn_app(
        &routes,
        HandlerRegistry::new().register("a", a).register("b", b),
    )
    .await;
    let (_, answer) = app
        .deliver(delivery(&SampleEvent::new("contactUpdated")))
        .await;
    let id = event_id(&answer);
    assert_eq!(seen_a.next(WAIT).await.idempotency_key, format!("{id}:a"));
    assert_eq!(seen_b.next(WAIT).await.idempotency_key, format!("{id}:b"));
    let mut handlers: Vec<String> = jobs_of(&app, &id)
        .await
        .into_iter()
        .map(|j| j.handler)
        .collect();
    handlers.sort();
    assert_eq!(handlers, ["a", "b"]);
    app.stop().await;
}

pub async fn a_deleted_opportunity_leaves_only_tombstones_of_its_events() {
    let app = spawn_app("", HandlerRegistry::new()).await;
    let now = now();
    let with_personal_data = serde_json::json!({
        "opportunityId": "opp-gone", "contactId": "person-1", "toStageId": "offer",
        "name": "Dana Whitfield", "emails": ["dana@example.com"]
    });
    let body = lever_hooks::sample::signed_body(
        SIGNING_TOKEN,
        "candidateStageChange",
        &with_personal_data,
        now,
        &lever_hooks::sample::random_token(),
    );
    let (_, answer) = app.deliver(body).await;
    let earlier = event_id(&answer);
    let mut deleted = SampleEvent::new("candidateDeleted");
    deleted.opportunity_id = "opp-gone".into();
    let (status, _) = app.deliver(delivery(&deleted)).await;
    assert_eq!(status, 200);

    eventually(
        "the earlier event to be purged",
        Duration::from_secs(5),
        || async {
            let event = app.store.event(&earlier).await.unwrap().unwrap();
            event.purged_at.is_some()
        },
    )
    .await;
    let tombstone = app.store.event(&earlier).await.unwrap().unwrap();
    let data: serde_json::Value = serde_json::from_str(tombstone.data.get()).unwrap();
    assert_eq!(
        data,
        serde_json::json!({"opportunityId": "opp-gone", "contactId": "person-1", "toStageId": "offer"})
    );
    app.stop().await;
}

crate::helpers::on_both_stores!(
    one_opportunitys_jobs_run_one_at_a_time_in_store_order,
    different_opportunities_run_in_parallel,
    a_failing_handler_is_retried_until_it_succeeds,
    a_dead_letter_is_kept_and_does_not_block_later_jobs,
    giving_up_makes_a_dead_letter_after_one_attempt,
    a_handler_chosen_delay_is_honoured,
    each_matching_handler_gets_one_job,
    a_deleted_opportunity_leaves_only_tombstones_of_its_events,
);
