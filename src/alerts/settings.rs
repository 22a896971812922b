//! `[alerts]`: which handler hears about dead letters, bursts of rejected deliveries and
//! changes webhooks missed.
//! `config` reads it from the file; it checks itself.

use crate::duration;
use serde::Deserialize;
use std::time::Duration;

/// `[alerts]`: operational events sent through a configured handler. Absent, nothing is sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// The handler told each time a job becomes a dead letter.
    pub on_dead_letter: Option<String>,
    /// `{ handler, threshold, window }`: told when more than `threshold` deliveries are
    /// refused with 400 or 401 within `window`.
    pub on_rejected_burst: Option<RejectedBurstConfig>,
    /// The handler told when a reconciliation pass finds changes no webhook delivered.
    pub on_missed_webhooks: Option<String>,
}

/// `on_rejected_burst = { handler = "chat", threshold = 20, window = "1m" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectedBurstConfig {
    /// The handler that receives the alert.
    pub handler: String,
    /// More rejections than this within one window send the alert.
    #[serde(default = "default_threshold")]
    pub threshold: u32,
    /// The counting window; at most one alert is sent per window.
    #[serde(default = "default_window", deserialize_with = "duration::deserialize")]
    pub window: Duration,
}

fn default_threshold() -> u32 {
    20
}

fn default_window() -> Duration {
    Duration::from_secs(60)
}

impl AlertsConfig {
    /// The alert targets with their keys within `[alerts]`, for the "handler exists" check.
    pub fn targets(&self) -> Vec<(&'static str, &str)> {
        let mut targets = Vec::new();
        if let Some(name) = &self.on_dead_letter {
            targets.push(("on_dead_letter", name.as_str()));
        }
        if let Some(burst) = &self.on_rejected_burst {
            targets.push(("on_rejected_burst.handler", burst.handler.as_str()));
        }
        if let Some(name) = &self.on_missed_webhooks {
            targets.push(("on_missed_webhooks", name.as_str()));
        }
        targets
    }

    /// What is wrong with these settings, as (key within `[alerts]`, message) pairs.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if let Some(burst) = &self.on_rejected_burst {
            if burst.window < Duration::from_secs(1) {
                problems.push((
                    "on_rejected_burst.window".to_owned(),
                    "must be at least 1s".to_owned(),
                ));
            }
        }
        problems
    }
}
