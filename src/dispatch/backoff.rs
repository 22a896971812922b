//! Exponential backoff with full jitter (pure but for the random draw).

use super::RetryConfig;
use rand::Rng;
use std::time::Duration;

/// The upper bound of the wait after the `failures`-th failure (1-based):
/// `initial_backoff * 2^(failures-1)`, capped at `max_backoff`.
pub fn ceiling(retry: &RetryConfig, failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(32);
    retry
        .initial_backoff
        .saturating_mul(1u32 << exponent.min(31))
        .min(retry.max_backoff)
}

/// A wait drawn uniformly from `[0, ceiling]` ("full jitter"), so retries of many jobs
/// that failed together spread out instead of arriving together.
pub fn delay(retry: &RetryConfig, failures: u32, rng: &mut impl Rng) -> Duration {
    let cap = ceiling(retry, failures).as_millis() as u64;
    Duration::from_millis(rng.random_range(0..=cap))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    fn retry() -> RetryConfig {
        RetryConfig {
            max_attempts: 10,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(3_600),
        }
    }

    #[test]
    fn the_ceiling_doubles_then_caps() {
        let r = retry();
        assert_eq!(ceiling(&r, 1), Duration::from_secs(1));
        assert_eq!(ceiling(&r, 2), Duration::from_secs(2));
        assert_eq!(ceiling(&r, 5), Duration::from_secs(16));
        assert_eq!(ceiling(&r, 13), Duration::from_secs(3_600));
        assert_eq!(ceiling(&r, 400), Duration::from_secs(3_600));
    }

    #[test]
    fn delays_stay_within_the_ceiling_and_spread_out() {
        let r = retry();
        let mut rng = StdRng::seed_from_u64(7);
        let delays: Vec<_> = (0..200).map(|_| delay(&r, 4, &mut rng)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(8)));
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(
            distinct.len() > 100,
            "full jitter should spread delays, got {}",
            distinct.len()
        );
    }
}
