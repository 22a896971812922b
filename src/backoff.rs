//! Exponential backoff with full jitter, the one implementation behind job retries and
//! Data API retries (pure but for the random draw).

use rand::Rng;
use std::time::Duration;

/// Waits that double from `initial` after each failure, up to `max`, each drawn at random
/// below that ceiling ("full jitter").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FullJitter {
    /// The ceiling after the first failure.
    pub initial: Duration,
    /// The highest ceiling.
    pub max: Duration,
}

impl FullJitter {
    /// The upper bound of the wait after the `failures`-th failure (1-based):
    /// `initial * 2^(failures-1)`, capped at `max`.
    pub fn ceiling(&self, failures: u32) -> Duration {
        let exponent = failures.saturating_sub(1).min(31);
        self.initial.saturating_mul(1u32 << exponent).min(self.max)
    }

    /// A wait drawn uniformly from `[0, ceiling]`, so retries of many calls or jobs that
    /// failed together spread out instead of arriving together.
    pub fn delay(&self, failures: u32, rng: &mut impl Rng) -> Duration {
        let cap = self.ceiling(failures).as_millis() as u64;
        Duration::from_millis(rng.random_range(0..=cap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    fn backoff() -> FullJitter {
        FullJitter {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(3_600),
        }
    }

    #[test]
    fn the_ceiling_doubles_then_caps() {
        let b = backoff();
        assert_eq!(b.ceiling(0), Duration::from_secs(1));
        assert_eq!(b.ceiling(1), Duration::from_secs(1));
        assert_eq!(b.ceiling(2), Duration::from_secs(2));
        assert_eq!(b.ceiling(5), Duration::from_secs(16));
        assert_eq!(b.ceiling(13), Duration::from_secs(3_600));
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(3_600));
    }

    #[test]
    fn delays_stay_within_the_ceiling_and_spread_out() {
        let b = backoff();
        let mut rng = StdRng::seed_from_u64(7);
        let delays: Vec<_> = (0..200).map(|_| b.delay(4, &mut rng)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(8)));
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(
            distinct.len() > 100,
            "full jitter should spread delays, got {}",
            distinct.len()
        );
    }
}
