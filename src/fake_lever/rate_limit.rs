//! Lever's rate limit (lever-facts.md §4.5): a token bucket per credential, refilled at a
//! steady rate up to a burst; a request that finds the bucket empty gets 429.

use std::collections::HashMap;
use std::time::Instant;

/// A token bucket per credential.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: HashMap<String, Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// `per_second` steady, up to `burst` at once (Lever: 10 and 20).
    pub(crate) fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_second),
            burst: f64::from(burst),
            buckets: HashMap::new(),
        }
    }

    /// Takes one token from `credential`'s bucket; false when it is empty.
    pub(crate) fn allow(&mut self, credential: &str, now: Instant) -> bool {
        let burst = self.burst;
        let bucket = self.buckets.entry(credential.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_passes_then_the_next_request_is_limited() {
        let mut limiter = RateLimiter::new(10, 20);
        let now = Instant::now();
        assert!((0..20).all(|_| limiter.allow("k", now)));
        assert!(!limiter.allow("k", now));
    }

    #[test]
    fn the_bucket_refills_at_the_steady_rate() {
        let mut limiter = RateLimiter::new(10, 20);
        let now = Instant::now();
        (0..20).for_each(|_| {
            limiter.allow("k", now);
        });
        let later = now + Duration::from_millis(300);
        assert_eq!((0..5).filter(|_| limiter.allow("k", later)).count(), 3);
    }

    #[test]
    fn each_credential_has_its_own_bucket() {
        let mut limiter = RateLimiter::new(1, 1);
        let now = Instant::now();
        assert!(limiter.allow("a", now));
        assert!(!limiter.allow("a", now));
        assert!(limiter.allow("b", now));
    }
}
