//! What happens to a job after one attempt (pure but for the random draw of the backoff):
//! done, retried at a time, or a dead letter.

use super::{backoff, RetryConfig};
use crate::handler::Outcome;
use crate::store::{AttemptOutcome, NextStep};
use rand::Rng;

/// The decision about a job after its handler answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterAttempt {
    /// What the attempt record says the handler answered.
    pub outcome: AttemptOutcome,
    /// The handler's reason, when it did not finish the work.
    pub error: Option<String>,
    /// Where the job goes next.
    pub next: NextStep,
}

/// Decides what follows `outcome`, the `failures_in_budget`-th failure counted against
/// `[retry] max_attempts` (this one included), at `now` (ms since the epoch): a retry
/// waits what the handler asked for (at most `max_backoff`) or a full-jitter backoff, and
/// a job out of attempts or given up becomes a dead letter.
pub fn after_attempt(
    outcome: &Outcome,
    failures_in_budget: u32,
    retry: &RetryConfig,
    now: u64,
    rng: &mut impl Rng,
) -> AfterAttempt {
    match outcome {
        Outcome::Done => AfterAttempt {
            outcome: AttemptOutcome::Done,
            error: None,
            next: NextStep::Done,
        },
        Outcome::GiveUp { reason } => AfterAttempt {
            outcome: AttemptOutcome::GiveUp,
            error: Some(reason.clone()),
            next: NextStep::Dead,
        },
        Outcome::Retry { after, reason } => {
            let next = if failures_in_budget >= retry.max_attempts {
                NextStep::Dead
            } else {
                let wait = after
                    .map(|a| a.min(retry.max_backoff))
                    .unwrap_or_else(|| backoff::delay(retry, failures_in_budget, rng));
                NextStep::RetryAt(now + wait.as_millis() as u64)
            };
            AfterAttempt {
                outcome: AttemptOutcome::Retry,
                error: Some(reason.clone()),
                next,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};
    use std::time::Duration;

    const NOW: u64 = 1_000_000;

    fn retry() -> RetryConfig {
        RetryConfig {
            max_attempts: 3,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
        }
    }

    fn decide(outcome: Outcome, failures: u32) -> AfterAttempt {
        after_attempt(
            &outcome,
            failures,
            &retry(),
            NOW,
            &mut StdRng::seed_from_u64(1),
        )
    }

    #[test]
    fn done_finishes_the_job() {
        let after = decide(Outcome::Done, 1);
        assert_eq!(
            (after.outcome, after.error, after.next),
            (AttemptOutcome::Done, None, NextStep::Done)
        );
    }

    #[test]
    fn giving_up_is_a_dead_letter_at_once() {
        let after = decide(Outcome::give_up("bad data"), 1);
        assert_eq!(after.outcome, AttemptOutcome::GiveUp);
        assert_eq!(after.error.as_deref(), Some("bad data"));
        assert_eq!(after.next, NextStep::Dead);
    }

    #[test]
    fn a_retry_waits_at_most_the_backoff_ceiling() {
        let after = decide(Outcome::retry("down"), 2);
        assert_eq!(after.outcome, AttemptOutcome::Retry);
        let NextStep::RetryAt(at) = after.next else {
            panic!("expected a retry, got {:?}", after.next);
        };
        assert!((NOW..=NOW + 2_000).contains(&at), "{at}");
    }

    #[test]
    fn a_requested_wait_is_kept_but_capped_at_max_backoff() {
        let asked = |secs| Outcome::Retry {
            after: Some(Duration::from_secs(secs)),
            reason: "429".into(),
        };
        assert_eq!(decide(asked(7), 1).next, NextStep::RetryAt(NOW + 7_000));
        assert_eq!(decide(asked(600), 1).next, NextStep::RetryAt(NOW + 60_000));
    }

    #[test]
    fn the_last_allowed_failure_is_a_dead_letter() {
        let after = decide(Outcome::retry("down"), 3);
        assert_eq!(after.outcome, AttemptOutcome::Retry);
        assert_eq!(after.next, NextStep::Dead);
    }
}
