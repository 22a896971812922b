//! What the fake was asked: every API request with its answer's status and the kind of
//! credential it carried (never the credential), plus the count of rate-limited requests.

use super::auth::AuthKind;
use serde::Serialize;
use std::collections::VecDeque;

/// Requests kept; older ones are dropped so a long-running fake stays small.
const KEEP: usize = 10_000;

/// One API request the fake answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path, e.g. `/v1/opportunities/…`.
    pub path: String,
    /// The raw query string (empty when none).
    pub query: String,
    /// The status answered.
    pub status: u16,
    /// The kind of credential sent.
    pub auth: AuthKind,
    /// When it arrived (ms since the epoch).
    pub at: u64,
}

/// The request log.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    requests: VecDeque<RecordedRequest>,
    rate_limited: u64,
}

impl RequestLog {
    /// Records a request; a 429 from the rate limiter also counts in [`Self::rate_limited`].
    pub(crate) fn record(&mut self, request: RecordedRequest, by_rate_limit: bool) {
        if self.requests.len() == KEEP {
            self.requests.pop_front();
        }
        self.requests.push_back(request);
        self.rate_limited += u64::from(by_rate_limit);
    }

    /// Every request kept, oldest first.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.iter().cloned().collect()
    }

    /// How many requests the rate limiter refused (injected 429s not included).
    pub(crate) fn rate_limited(&self) -> u64 {
        self.rate_limited
    }

    /// Forgets every request and resets the count.
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }
}
