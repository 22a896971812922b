//! `[server]`: the intake listener and how it treats its clients.

use super::{duration, ConfigProblem};
use serde::Deserialize;
use std::time::Duration;

/// `[server]`: the intake listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on, like `0.0.0.0:8080`.
    pub listen: String,
    /// Largest body accepted; larger ones get 413 without being read in full.
    pub max_body_bytes: usize,
    /// HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
    /// How long shutdown waits for requests and running jobs to finish.
    #[serde(deserialize_with = "duration::deserialize")]
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "0.0.0.0:8080".to_owned(),
            max_body_bytes: 256 * 1024,
            workers: None,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

impl ServerConfig {
    pub(super) fn check(&self, problems: &mut Vec<ConfigProblem>) {
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            problems.push(ConfigProblem::new(
                "server.listen",
                format!("`{}` is not an address like 0.0.0.0:8080", self.listen),
            ));
        }
        if self.max_body_bytes < 1024 {
            problems.push(ConfigProblem::new(
                "server.max_body_bytes",
                "must be at least 1024",
            ));
        }
        if self.workers == Some(0) {
            problems.push(ConfigProblem::new("server.workers", "must be at least 1"));
        }
    }
}
