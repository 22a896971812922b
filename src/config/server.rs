//! `[server]`: the intake listener and how it treats its clients.

use super::{duration, ConfigProblem};
use crate::tls::TlsConfig;
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// `[server]`: the intake listener.
///
/// The timeouts bound how long one client can hold a connection without sending a
/// delivery, so idle or trickling connections cannot crowd out Lever's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on, like `0.0.0.0:8080`.
    pub listen: String,
    /// Largest body accepted; larger ones get 413 without being read in full.
    pub max_body_bytes: usize,
    /// Bytes that all bodies being received may hold between them. A body is charged
    /// its `Content-Length` before it is read (a chunked body, each chunk as it comes);
    /// one that does not fit is answered 503 with `Retry-After` at once, unread, so
    /// unfinished bodies cannot pin memory. Default 32 MiB; at least `max_body_bytes`.
    pub max_pending_body_bytes: usize,
    /// HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
    /// How long shutdown waits for requests and running jobs to finish.
    #[serde(deserialize_with = "duration::deserialize")]
    pub shutdown_grace: Duration,
    /// A new connection must send its whole request head (request line and headers)
    /// within this time, or it is answered 408 and closed. A connection that sends
    /// nothing is closed. Default 5 s.
    #[serde(deserialize_with = "duration::deserialize")]
    pub client_timeout: Duration,
    /// Once the head is in, the whole body must arrive within this time, or the
    /// delivery is answered 408 and nothing is stored. Default 10 s.
    #[serde(deserialize_with = "duration::deserialize")]
    pub body_timeout: Duration,
    /// How long a connection may stay open, idle, after a response, waiting for the
    /// next request. Default 5 s.
    #[serde(deserialize_with = "duration::deserialize")]
    pub keep_alive: Duration,
    /// How long closing a connection may take (flushing the last response) before
    /// the socket is dropped. Default 1 s.
    #[serde(deserialize_with = "duration::deserialize")]
    pub disconnect_timeout: Duration,
    /// Open connections per HTTP worker; at the limit, new ones wait in the kernel's
    /// backlog until one closes. Default 1 000: see [`DEFAULT_MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// `[server.tls]`: when set, the listener speaks HTTPS only, with this certificate.
    /// A new connection's TLS handshake must also finish within `client_timeout`.
    pub tls: Option<TlsConfig>,
}

/// The default `max_pending_body_bytes`: 32 MiB, 128 bodies of the largest default size
/// (256 KiB) at once, and thousands of Lever's usual few-KiB deliveries.
pub const DEFAULT_MAX_PENDING_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The default `max_connections` per HTTP worker: 1 000, so 2 000 on two cores, what one
/// process can serve. Two cores are saturated by about 256 busy connections (see the
/// README's benchmark); the rest of the room is for idle and slow clients, so that a few
/// hundred held connections do not crowd out Lever's. Memory sets the ceiling: besides
/// its body (bounded by the body budget), an open connection can hold up to about
/// 160 KiB in actix-http's buffers (it reads up to 128 KiB ahead and queues 32 KiB of a
/// body not being read), about 320 MiB for 2 000; 25 000 per worker allowed gigabytes.
/// Each connection is also an open file: `ulimit -n` must exceed the total.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1_000;

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "0.0.0.0:8080".to_owned(),
            max_body_bytes: 256 * 1024,
            max_pending_body_bytes: DEFAULT_MAX_PENDING_BODY_BYTES,
            workers: None,
            shutdown_grace: Duration::from_secs(30),
            client_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(10),
            keep_alive: Duration::from_secs(5),
            disconnect_timeout: Duration::from_secs(1),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            tls: None,
        }
    }
}

impl ServerConfig {
    /// `base_dir` is the config file's folder, which relative TLS file paths start from.
    pub(super) fn check(&self, base_dir: &Path, problems: &mut Vec<ConfigProblem>) {
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
        if self.max_pending_body_bytes < self.max_body_bytes {
            problems.push(ConfigProblem::new(
                "server.max_pending_body_bytes",
                format!(
                    "must be at least max_body_bytes ({}), or a body of the largest size could never be received",
                    self.max_body_bytes
                ),
            ));
        }
        if self.workers == Some(0) {
            problems.push(ConfigProblem::new("server.workers", "must be at least 1"));
        }
        let timeouts = [
            ("client_timeout", self.client_timeout),
            ("body_timeout", self.body_timeout),
            ("keep_alive", self.keep_alive),
            ("disconnect_timeout", self.disconnect_timeout),
        ];
        for (key, value) in timeouts {
            if value.is_zero() {
                problems.push(ConfigProblem::new(
                    format!("server.{key}"),
                    "must be more than 0 (a zero would turn the limit off)",
                ));
            }
        }
        if self.max_connections == 0 {
            problems.push(ConfigProblem::new(
                "server.max_connections",
                "must be at least 1",
            ));
        }
        if let Some(tls) = &self.tls {
            for problem in tls.check(base_dir) {
                problems.push(ConfigProblem::new(
                    format!("server.tls.{}", problem.key),
                    problem.message,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const LEVER: &str = "[lever]\nsigning_tokens = { default = [\"t\"] }\n";

    fn server_section(keys: &str) -> Result<Config, crate::config::ConfigError> {
        let text = format!("{LEVER}[server]\n{keys}\n");
        Config::parse(
            &text,
            Path::new("/etc/lever-hooks"),
            &|_| None,
            &crate::handler::HandlerRegistry::new(),
        )
    }

    #[test]
    fn the_body_budget_has_a_default_and_can_be_set() {
        let config = server_section("").unwrap();
        assert_eq!(config.server.max_pending_body_bytes, 32 * 1024 * 1024);

        let config = server_section("max_pending_body_bytes = 1048576").unwrap();
        assert_eq!(config.server.max_pending_body_bytes, 1_048_576);
    }

    #[test]
    fn a_body_budget_below_the_largest_body_is_a_problem_at_its_key() {
        let problems = server_section("max_body_bytes = 65536\nmax_pending_body_bytes = 65535")
            .unwrap_err()
            .problems;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, "server.max_pending_body_bytes");
        assert!(problems[0].message.contains("65536"), "{}", problems[0]);

        let equal = server_section("max_body_bytes = 65536\nmax_pending_body_bytes = 65536");
        assert!(equal.is_ok(), "{:?}", equal.err());
    }

    #[test]
    fn a_body_budget_below_the_default_largest_body_is_a_problem_too() {
        let problems = server_section("max_pending_body_bytes = 1024")
            .unwrap_err()
            .problems;
        assert_eq!(
            problems[0].path, "server.max_pending_body_bytes",
            "{problems:?}"
        );
        assert!(
            problems[0].message.contains("max_body_bytes (262144)"),
            "{}",
            problems[0]
        );
    }
}
