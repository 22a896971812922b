//! `[dispatch]` and `[retry]`: how many jobs run at once, how long a claim lasts, and the
//! backoff schedule. `config` reads them from the file; they check themselves.

use crate::duration;
use serde::Deserialize;
use std::time::Duration;

/// `[dispatch]`: how jobs are run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DispatchConfig {
    /// Jobs run at once, across all opportunities.
    pub workers: usize,
    /// How long a claimed job is reserved before another worker may take it over.
    #[serde(deserialize_with = "duration::deserialize")]
    pub lease: Duration,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self {
            workers: 8,
            lease: Duration::from_secs(600),
        }
    }
}

impl DispatchConfig {
    /// What is wrong with these settings, as (key within `[dispatch]`, message) pairs.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if self.workers == 0 {
            problems.push(("workers".to_owned(), "must be at least 1".to_owned()));
        }
        if self.lease < Duration::from_secs(1) {
            problems.push(("lease".to_owned(), "must be at least 1s".to_owned()));
        }
        problems
    }
}

/// `[retry]`: exponential backoff with full jitter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// Attempts before a job becomes a dead letter.
    pub max_attempts: u32,
    /// The first retry's upper bound; doubles each attempt.
    #[serde(deserialize_with = "duration::deserialize")]
    pub initial_backoff: Duration,
    /// The cap on any one wait.
    #[serde(deserialize_with = "duration::deserialize")]
    pub max_backoff: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(3_600),
        }
    }
}

impl RetryConfig {
    /// What is wrong with these settings, as (key within `[retry]`, message) pairs.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if self.max_attempts == 0 {
            problems.push(("max_attempts".to_owned(), "must be at least 1".to_owned()));
        }
        if self.initial_backoff > self.max_backoff {
            problems.push((
                "initial_backoff".to_owned(),
                "is larger than retry.max_backoff".to_owned(),
            ));
        }
        problems
    }
}
