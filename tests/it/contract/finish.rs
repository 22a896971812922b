//! Finishing attempts (done, retry, dead letter) and `next_due`.

use super::fixtures::{attempt, claim_all, job, routed_job, LEASE, T0};
use lever_hooks::store::{now_millis, AttemptOutcome, JobState, NextStep};
use lever_hooks::Store;
use std::sync::Arc;

const MINUTE: u64 = 60_000;

pub async fn a_done_attempt_is_recorded_and_the_job_is_never_claimed_again(store: Arc<dyn Store>) {
    let id = routed_job(&*store, None, "h", T0).await;
    assert_eq!(claim_all(&*store, T0).await, std::slice::from_ref(&id));
    let done = attempt(1, T0 + 3, AttemptOutcome::Done);

    store
        .finish_attempt(&id, done.clone(), NextStep::Done)
        .await
        .unwrap();

    let finished = job(&*store, &id).await;
    assert_eq!(finished.state, JobState::Done);
    assert_eq!(finished.attempts, [done]);
    assert_eq!(finished.lease_until, None);
    assert!(
        claim_all(&*store, T0 + 60 * MINUTE).await.is_empty(),
        "not even after the lease"
    );
    assert_eq!(store.next_due().await.unwrap(), None);
}

pub async fn a_dead_attempt_keeps_the_job_as_a_dead_letter(store: Arc<dyn Store>) {
    let id = routed_job(&*store, None, "h", T0).await;
    assert_eq!(claim_all(&*store, T0).await, std::slice::from_ref(&id));
    let given_up = attempt(1, T0 + 3, AttemptOutcome::GiveUp);

    store
        .finish_attempt(&id, given_up.clone(), NextStep::Dead)
        .await
        .unwrap();

    let dead = job(&*store, &id).await;
    assert_eq!(dead.state, JobState::Dead);
    assert_eq!(dead.attempts, [given_up]);
    assert_eq!(dead.attempts[0].error.as_deref(), Some("attempt 1 failed"));
    assert!(claim_all(&*store, T0 + 60 * MINUTE).await.is_empty());
    assert_eq!(store.next_due().await.unwrap(), None);
}

pub async fn a_retry_waits_until_its_time_and_attempts_are_numbered_in_order(
    store: Arc<dyn Store>,
) {
    let id = routed_job(&*store, Some("opp-1"), "h", T0).await;
    assert_eq!(claim_all(&*store, T0).await, std::slice::from_ref(&id));
    let first = attempt(1, T0, AttemptOutcome::Retry);

    store
        .finish_attempt(&id, first.clone(), NextStep::RetryAt(T0 + MINUTE))
        .await
        .unwrap();

    let waiting = job(&*store, &id).await;
    assert_eq!(
        (waiting.state, waiting.next_at, waiting.lease_until),
        (JobState::Pending, T0 + MINUTE, None)
    );
    assert_eq!(waiting.next_attempt_number(), 2);
    assert_eq!(store.next_due().await.unwrap(), Some(T0 + MINUTE));
    assert!(
        claim_all(&*store, T0 + MINUTE - 1).await.is_empty(),
        "not before its retry time"
    );
    let claimed = store.claim(T0 + MINUTE, 10, LEASE).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        claimed[0].job.attempts,
        std::slice::from_ref(&first),
        "the claimed job carries its history"
    );

    let second = attempt(2, T0 + MINUTE, AttemptOutcome::Retry);
    store
        .finish_attempt(&id, second.clone(), NextStep::RetryAt(T0 + 3 * MINUTE))
        .await
        .unwrap();
    assert_eq!(
        claim_all(&*store, T0 + 3 * MINUTE).await,
        std::slice::from_ref(&id)
    );
    let third = attempt(3, T0 + 3 * MINUTE, AttemptOutcome::Done);
    store
        .finish_attempt(&id, third.clone(), NextStep::Done)
        .await
        .unwrap();

    let done = job(&*store, &id).await;
    assert_eq!(done.state, JobState::Done);
    assert_eq!(done.attempts, [first, second, third]);
    assert_eq!(
        done.attempts.iter().map(|a| a.number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
}

pub async fn next_due_reports_the_earliest_pending_job(store: Arc<dyn Store>) {
    assert_eq!(store.next_due().await.unwrap(), None, "nothing pending");
    let later = routed_job(&*store, None, "h", T0 + 10 * MINUTE).await;
    routed_job(&*store, Some("opp-1"), "h", T0 + 20 * MINUTE).await;
    assert_eq!(store.next_due().await.unwrap(), Some(T0 + 10 * MINUTE));
    let sooner = routed_job(&*store, Some("opp-2"), "h", T0 + 5 * MINUTE).await;

    assert_eq!(store.next_due().await.unwrap(), Some(T0 + 5 * MINUTE));

    assert_eq!(
        claim_all(&*store, T0 + 5 * MINUTE).await,
        std::slice::from_ref(&sooner)
    );
    store
        .finish_attempt(
            &sooner,
            attempt(1, T0, AttemptOutcome::Done),
            NextStep::Done,
        )
        .await
        .unwrap();
    assert_eq!(store.next_due().await.unwrap(), Some(T0 + 10 * MINUTE));
    assert_eq!(
        claim_all(&*store, T0 + 10 * MINUTE).await,
        std::slice::from_ref(&later)
    );
    store
        .finish_attempt(
            &later,
            attempt(1, T0, AttemptOutcome::Retry),
            NextStep::RetryAt(T0 + 30 * MINUTE),
        )
        .await
        .unwrap();
    assert_eq!(store.next_due().await.unwrap(), Some(T0 + 20 * MINUTE));
}

/// A job behind its order key's head cannot be claimed, so reporting it as due would make
/// the dispatcher wake (and find nothing) in a loop.
pub async fn next_due_ignores_jobs_waiting_behind_their_order_key_head(store: Arc<dyn Store>) {
    let head = routed_job(&*store, Some("opp-1"), "h", T0).await;
    routed_job(&*store, Some("opp-1"), "h", T0).await;
    assert_eq!(claim_all(&*store, T0).await, std::slice::from_ref(&head));

    store
        .finish_attempt(
            &head,
            attempt(1, T0, AttemptOutcome::Retry),
            NextStep::RetryAt(T0 + 30 * MINUTE),
        )
        .await
        .unwrap();

    assert_eq!(store.next_due().await.unwrap(), Some(T0 + 30 * MINUTE));
}

/// `next_due` reads the clock itself, so this test leases against the real time.
pub async fn next_due_does_not_report_a_leased_job_as_due_now(store: Arc<dyn Store>) {
    let now = now_millis();
    let running = routed_job(&*store, None, "h", now).await;
    routed_job(&*store, None, "h", now + 10 * MINUTE).await;
    let claimed = store.claim(now, 1, LEASE).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].job.id, running);
    let lease_until = claimed[0].job.lease_until.expect("leased");

    let due = store
        .next_due()
        .await
        .unwrap()
        .expect("the unleased job is pending");

    assert!(
        due >= lease_until,
        "due at {due}, but the only job due before {lease_until} is leased"
    );
}

/// A worker whose lease ran out and the worker that claimed the job after it may finish
/// at the same moment; the history must keep both attempts.
pub async fn two_workers_finishing_one_job_at_once_both_leave_their_attempt(store: Arc<dyn Store>) {
    const JOBS: usize = 200;
    let mut jobs = Vec::new();
    for _ in 0..JOBS {
        jobs.push(routed_job(&*store, None, "h", T0).await);
    }
    assert_eq!(claim_all(&*store, T0).await.len(), JOBS);
    let expired = T0 + LEASE.as_millis() as u64;
    assert_eq!(
        claim_all(&*store, expired).await.len(),
        JOBS,
        "every lease ran out"
    );
    let start = Arc::new(tokio::sync::Barrier::new(2 * JOBS));

    let mut finishing = Vec::new();
    for id in &jobs {
        for (number, started_at) in [(1, T0), (2, expired)] {
            let (store, start, id) = (store.clone(), start.clone(), id.clone());
            finishing.push(tokio::spawn(async move {
                let done = attempt(number, started_at, AttemptOutcome::Done);
                start.wait().await;
                store
                    .finish_attempt(&id, done, NextStep::Done)
                    .await
                    .unwrap();
            }));
        }
    }
    for task in finishing {
        task.await.unwrap();
    }

    for id in &jobs {
        let finished = job(&*store, id).await;
        let mut numbers: Vec<u32> = finished.attempts.iter().map(|a| a.number).collect();
        numbers.sort();
        assert_eq!(numbers, [1, 2], "{id} lost an attempt");
        assert_eq!(finished.state, JobState::Done);
    }
}
