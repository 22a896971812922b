//! The poll's own token bucket, in front of the account's shared one: the poll takes at
//! most a fraction of the account's Data API rate, so handlers always have the rest.

use crate::lever::RateLimit;
use governor::{DefaultDirectRateLimiter, Quota};
use std::num::NonZeroU32;

/// The share of the account's rate the poll may use: one half.
pub const POLL_SHARE_DIVISOR: u32 = 2;

/// A bucket at [`POLL_SHARE_DIVISOR`]'s fraction of an account's rate (at least one
/// request a second).
pub struct PollLimiter {
    bucket: DefaultDirectRateLimiter,
}

impl PollLimiter {
    /// The poll's bucket for an account limited to `account_rate`.
    pub fn new(account_rate: RateLimit) -> Self {
        let share = poll_share(account_rate);
        let nonzero = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_second(nonzero(share.per_second)).allow_burst(nonzero(share.burst));
        Self {
            bucket: DefaultDirectRateLimiter::direct(quota),
        }
    }

    /// Waits until the poll may send one more request (then the shared bucket decides).
    pub async fn wait(&self) {
        self.bucket.until_ready().await;
    }
}

/// The poll's share of `account_rate` (pure).
pub fn poll_share(account_rate: RateLimit) -> RateLimit {
    RateLimit {
        per_second: (account_rate.per_second / POLL_SHARE_DIVISOR).max(1),
        burst: (account_rate.burst / POLL_SHARE_DIVISOR).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poll_takes_half_of_the_accounts_rate_and_at_least_one() {
        let share = poll_share(RateLimit {
            per_second: 10,
            burst: 20,
        });
        assert_eq!((share.per_second, share.burst), (5, 10));
        let share = poll_share(RateLimit {
            per_second: 1,
            burst: 1,
        });
        assert_eq!((share.per_second, share.burst), (1, 1));
    }
}
