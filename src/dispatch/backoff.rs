//! Job retry waits: the shared full-jitter backoff ([`crate::backoff`]) read from
//! `[retry]`.

use super::RetryConfig;
use crate::backoff::FullJitter;
use rand::Rng;
use std::time::Duration;

/// The full-jitter backoff `[retry]` describes.
pub fn full_jitter(retry: &RetryConfig) -> FullJitter {
    FullJitter {
        initial: retry.initial_backoff,
        max: retry.max_backoff,
    }
}

/// The upper bound of the wait after the `failures`-th failure (1-based):
/// `initial_backoff * 2^(failures-1)`, capped at `max_backoff`.
pub fn ceiling(retry: &RetryConfig, failures: u32) -> Duration {
    full_jitter(retry).ceiling(failures)
}

/// A wait drawn uniformly from `[0, ceiling]` ("full jitter"), so retries of many jobs
/// that failed together spread out instead of arriving together.
pub fn delay(retry: &RetryConfig, failures: u32, rng: &mut impl Rng) -> Duration {
    full_jitter(retry).delay(failures, rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_follows_the_retry_settings() {
        let retry = RetryConfig {
            max_attempts: 10,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(3_600),
        };
        assert_eq!(ceiling(&retry, 5), Duration::from_secs(16));
        assert_eq!(ceiling(&retry, 13), Duration::from_secs(3_600));
    }
}
