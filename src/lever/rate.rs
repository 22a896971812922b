//! The client-side token bucket (GCRA, via `governor`) that keeps one credential under
//! Lever's limit of 10 requests per second with bursts of 20 (lever-facts.md §4.5).

use super::{LeverError, RateLimit};
use crate::metrics::LEVER_RATE_LIMIT_WAITS;
use governor::{DefaultDirectRateLimiter, Quota};
use std::num::NonZeroU32;
use std::time::Instant;
use tracing::debug;

/// One bucket, shared by every clone of a client.
pub(crate) struct Limiter {
    bucket: DefaultDirectRateLimiter,
}

impl Limiter {
    /// A bucket refilling `per_second` permits a second, holding at most `burst`.
    pub(crate) fn new(rate: RateLimit) -> Result<Self, LeverError> {
        let nonzero = |n: u32, what: &str| {
            NonZeroU32::new(n).ok_or_else(|| LeverError::Config(format!("rate.{what} must be > 0")))
        };
        let quota = Quota::per_second(nonzero(rate.per_second, "per_second")?)
            .allow_burst(nonzero(rate.burst, "burst")?);
        Ok(Self {
            bucket: DefaultDirectRateLimiter::direct(quota),
        })
    }

    /// Waits for a permit; says so at debug level, and counts the wait, when it had to.
    pub(crate) async fn wait(&self, account: &str, path: &str) {
        if self.bucket.check().is_ok() {
            return;
        }
        metrics::counter!(LEVER_RATE_LIMIT_WAITS, "account" => account.to_owned()).increment(1);
        let started = Instant::now();
        self.bucket.until_ready().await;
        debug!(
            account,
            path,
            waited_ms = started.elapsed().as_millis() as u64,
            "waited for the Lever rate limit"
        );
    }
}
