//! The client's token bucket: every request waits for a permit, and clones share it.

use super::mock::{test_config, Mock, Reply, API_KEY};
use crate::lever::{Credentials, LeverClient, MemoryRefreshTokenStore, RateLimit};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const RATE: RateLimit = RateLimit {
    per_second: 20,
    burst: 5,
};
/// 40 requests: 5 at once, then 35 at 20 a second, so at least 1.75 s.
const REQUESTS: usize = 40;
const AT_LEAST: Duration = Duration::from_millis(1600);

fn client(mock: &Mock) -> LeverClient {
    let mut config = test_config(mock, Credentials::ApiKey(API_KEY.to_owned().into()));
    config.rate = RATE;
    config.max_retries = 0;
    LeverClient::new("acme", config, Arc::new(MemoryRefreshTokenStore::default())).unwrap()
}

fn ok() -> Reply {
    Reply::json(200, json!({ "data": { "id": "u1" } }))
}

#[tokio::test]
async fn requests_beyond_the_burst_wait_for_the_rate() {
    let mock = Mock::start(|_| ok()).await;
    let client = client(&mock);
    let started = Instant::now();
    for _ in 0..REQUESTS {
        client.user("u1").await.unwrap();
    }
    let took = started.elapsed();
    assert!(took >= AT_LEAST, "{REQUESTS} requests took only {took:?}");
}

/// Lever's side of the limit: a token bucket of the same rate that answers 429 when it
/// runs dry. Two tokens of slack absorb scheduling jitter between the client granting a
/// permit and the request arriving.
struct LeverBucket {
    tokens: f64,
    last: Instant,
}

impl LeverBucket {
    const CAPACITY: f64 = RATE.burst as f64 + 2.0;

    fn admit(&mut self, now: Instant) -> bool {
        let refill = now.duration_since(self.last).as_secs_f64() * f64::from(RATE.per_second);
        self.tokens = (self.tokens + refill).min(Self::CAPACITY);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[tokio::test]
async fn concurrent_clones_share_one_bucket_and_never_trip_levers_limit() {
    let refused = Arc::new(AtomicUsize::new(0));
    let bucket = Mutex::new(LeverBucket {
        tokens: LeverBucket::CAPACITY,
        last: Instant::now(),
    });
    let counter = refused.clone();
    let mock = Mock::start(move |seen| {
        if bucket.lock().unwrap().admit(seen.at) {
            ok()
        } else {
            counter.fetch_add(1, Ordering::SeqCst);
            Reply::empty(429)
        }
    })
    .await;
    let client = client(&mock);
    let started = Instant::now();
    let calls = (0..REQUESTS).map(|_| {
        let client = client.clone();
        async move { client.user("u1").await }
    });
    let results = futures_util::future::join_all(calls).await;
    let took = started.elapsed();
    assert_eq!(refused.load(Ordering::SeqCst), 0, "Lever answered 429");
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(mock.requests().len(), REQUESTS);
    assert!(took >= AT_LEAST, "{REQUESTS} requests took only {took:?}");
}

#[test]
fn a_zero_rate_is_refused() {
    let config = crate::lever::ClientConfig {
        rate: RateLimit {
            per_second: 0,
            burst: 1,
        },
        ..crate::lever::ClientConfig::new(Credentials::ApiKey("k".to_owned().into()))
    };
    let error =
        LeverClient::new("acme", config, Arc::new(MemoryRefreshTokenStore::default())).unwrap_err();
    assert!(matches!(error, crate::lever::LeverError::Config(_)));
}
