//! Claim: due jobs under a lease, one at a time per order key, in event order.

use super::fixtures::{attempt, claim_all, ids, routed_job, LEASE, T0};
use lever_hooks::store::{AttemptOutcome, NextStep};
use lever_hooks::Store;
use std::collections::HashSet;
use std::sync::Arc;

const SECOND: u64 = 1_000;

pub async fn only_due_jobs_are_claimed(store: Arc<dyn Store>) {
    let now_job = routed_job(&*store, None, "h", T0).await;
    let later_job = routed_job(&*store, None, "h", T0 + 10 * SECOND).await;

    assert_eq!(claim_all(&*store, T0 - 1).await, Vec::<String>::new());
    assert_eq!(claim_all(&*store, T0).await, [now_job]);
    assert_eq!(
        claim_all(&*store, T0 + 10 * SECOND).await,
        [later_job],
        "the first is still leased"
    );
}

pub async fn a_claimed_job_comes_with_its_event_and_lease(store: Arc<dyn Store>) {
    let job = routed_job(&*store, Some("opp-1"), "bgcheck", T0).await;

    let claimed = store.claim(T0 + 5, 10, LEASE).await.unwrap();

    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].job.id, job);
    assert_eq!(
        claimed[0].job.lease_until,
        Some(T0 + 5 + LEASE.as_millis() as u64)
    );
    assert_eq!(claimed[0].event.id, claimed[0].job.event_id);
    assert_eq!(
        claimed[0].event.opportunity_id.as_ref().map(|o| o.as_str()),
        Some("opp-1")
    );
    let stored = super::fixtures::job(&*store, &job).await;
    assert_eq!(
        stored.lease_until, claimed[0].job.lease_until,
        "the lease is stored"
    );
}

pub async fn a_leased_job_is_claimed_again_only_after_its_lease_expires(store: Arc<dyn Store>) {
    let job = routed_job(&*store, None, "h", T0).await;
    let expiry = T0 + LEASE.as_millis() as u64;
    assert_eq!(claim_all(&*store, T0).await, std::slice::from_ref(&job));

    assert!(claim_all(&*store, T0 + 1).await.is_empty());
    assert!(claim_all(&*store, expiry - 1).await.is_empty());
    assert_eq!(claim_all(&*store, expiry).await, std::slice::from_ref(&job));
    assert!(
        claim_all(&*store, expiry + 1).await.is_empty(),
        "claimed again means leased again"
    );
}

pub async fn jobs_of_one_order_key_are_handed_out_one_at_a_time_in_event_order(
    store: Arc<dyn Store>,
) {
    let first = routed_job(&*store, Some("opp-1"), "h", T0).await;
    let second = routed_job(&*store, Some("opp-1"), "h", T0).await;
    let third = routed_job(&*store, Some("opp-1"), "h", T0).await;

    assert_eq!(claim_all(&*store, T0).await, std::slice::from_ref(&first));
    assert!(
        claim_all(&*store, T0 + 1).await.is_empty(),
        "the head is leased: nothing else"
    );
    let past_lease = T0 + LEASE.as_millis() as u64;
    assert_eq!(
        claim_all(&*store, past_lease).await,
        std::slice::from_ref(&first),
        "an expired head comes back, not its successor"
    );
    finish(&*store, &first, 1, NextStep::Done).await;
    assert_eq!(
        claim_all(&*store, past_lease + 1).await,
        std::slice::from_ref(&second)
    );
    finish(&*store, &second, 1, NextStep::Done).await;
    assert_eq!(claim_all(&*store, past_lease + 2).await, [third]);
}

pub async fn a_retrying_head_holds_back_later_jobs_of_its_order_key(store: Arc<dyn Store>) {
    let head = routed_job(&*store, Some("opp-1"), "h", T0).await;
    let next = routed_job(&*store, Some("opp-1"), "h", T0).await;
    assert_eq!(claim_all(&*store, T0).await, std::slice::from_ref(&head));

    finish(&*store, &head, 1, NextStep::RetryAt(T0 + 60 * SECOND)).await;

    assert!(
        claim_all(&*store, T0 + SECOND).await.is_empty(),
        "{next} must wait for {head}"
    );
    assert_eq!(
        claim_all(&*store, T0 + 60 * SECOND).await,
        std::slice::from_ref(&head)
    );
    finish(&*store, &head, 2, NextStep::Done).await;
    assert_eq!(claim_all(&*store, T0 + 61 * SECOND).await, [next]);
}

pub async fn a_dead_job_does_not_block_the_next_job_of_its_order_key(store: Arc<dyn Store>) {
    let head = routed_job(&*store, Some("opp-1"), "h", T0).await;
    let next = routed_job(&*store, Some("opp-1"), "h", T0).await;
    assert_eq!(claim_all(&*store, T0).await, std::slice::from_ref(&head));

    finish(&*store, &head, 1, NextStep::Dead).await;

    assert_eq!(claim_all(&*store, T0 + 1).await, [next]);
}

pub async fn different_order_keys_run_side_by_side(store: Arc<dyn Store>) {
    let opp1 = routed_job(&*store, Some("opp-1"), "h", T0).await;
    let opp2 = routed_job(&*store, Some("opp-2"), "h", T0).await;
    let opp1_other_handler = routed_job(&*store, Some("opp-1"), "other", T0).await;
    routed_job(&*store, Some("opp-1"), "h", T0).await;

    let claimed: HashSet<String> = claim_all(&*store, T0).await.into_iter().collect();

    assert_eq!(claimed, HashSet::from([opp1, opp2, opp1_other_handler]));
}

pub async fn jobs_without_an_order_key_are_all_claimable_at_once(store: Arc<dyn Store>) {
    let mut jobs = HashSet::new();
    for _ in 0..5 {
        jobs.insert(routed_job(&*store, None, "h", T0).await);
    }

    let claimed: HashSet<String> = claim_all(&*store, T0).await.into_iter().collect();

    assert_eq!(claimed, jobs);
}

pub async fn claim_hands_out_at_most_limit_jobs(store: Arc<dyn Store>) {
    for _ in 0..5 {
        routed_job(&*store, None, "h", T0).await;
    }

    let first = store.claim(T0, 2, LEASE).await.unwrap();
    let second = store.claim(T0, 2, LEASE).await.unwrap();
    let third = store.claim(T0, 2, LEASE).await.unwrap();
    let none = store.claim(T0, 0, LEASE).await.unwrap();

    assert_eq!(
        (first.len(), second.len(), third.len(), none.len()),
        (2, 2, 1, 0)
    );
    let all: HashSet<String> = [ids(&first), ids(&second), ids(&third)]
        .concat()
        .into_iter()
        .collect();
    assert_eq!(all.len(), 5, "no job handed out twice");
}

/// Several workers claiming at the same moment (one process with many workers, or many
/// instances on one database) must split the work, never share it.
pub async fn concurrent_claims_never_hand_out_a_job_twice(store: Arc<dyn Store>) {
    const FREE: usize = 120;
    const OPPORTUNITIES: usize = 20;
    const CLAIMERS: usize = 8;
    let mut expected = HashSet::new();
    for i in 0..FREE {
        expected.insert(routed_job(&*store, None, "h", T0).await);
        if i < 2 * OPPORTUNITIES {
            routed_job(
                &*store,
                Some(&format!("opp-{}", i % OPPORTUNITIES)),
                "h",
                T0,
            )
            .await;
        }
    }
    let start = Arc::new(tokio::sync::Barrier::new(CLAIMERS));
    let claimers: Vec<_> = (0..CLAIMERS)
        .map(|_| {
            let (store, start) = (store.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                store.claim(T0, 1_000, LEASE).await.unwrap()
            })
        })
        .collect();

    let mut seen = HashSet::new();
    let mut order_keys = HashSet::new();
    for claimer in claimers {
        for claimed in claimer.await.unwrap() {
            assert!(
                seen.insert(claimed.job.id.clone()),
                "{} handed out twice",
                claimed.job.id
            );
            if let Some(key) = claimed.job.order_key {
                assert!(
                    order_keys.insert(key.clone()),
                    "two jobs of {key} handed out at once"
                );
            }
        }
    }
    assert_eq!(
        order_keys.len(),
        OPPORTUNITIES,
        "each opportunity's head was claimed"
    );
    assert!(expected.is_subset(&seen), "every free job was claimed");
    assert_eq!(seen.len(), FREE + OPPORTUNITIES);
}

async fn finish(store: &dyn Store, job: &String, number: u32, next: NextStep) {
    let outcome = match next {
        NextStep::Done => AttemptOutcome::Done,
        NextStep::RetryAt(_) => AttemptOutcome::Retry,
        NextStep::Dead => AttemptOutcome::GiveUp,
    };
    store
        .finish_attempt(job, attempt(number, T0, outcome), next)
        .await
        .unwrap();
}
