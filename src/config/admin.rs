//! `[admin]`: the operator's listener (health, metrics, REST API, dashboard).

use super::{duration, ConfigProblem};
use secrecy::SecretString;
use serde::Deserialize;
use std::time::Duration;

/// `[admin]`: present means the admin listener runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Address of the admin listener; keep it private.
    pub listen: String,
    /// Bearer token for the API, and what the dashboard's sign-in asks for; `/healthz`,
    /// `/readyz` and `/metrics` need none. Required unless `listen` is a loopback
    /// address; without it only a loopback `Host` is answered.
    pub token: Option<SecretString>,
    /// How long a dashboard sign-in lasts (from signing in, however much it is used).
    #[serde(deserialize_with = "duration::deserialize")]
    pub session_lifetime: Duration,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9090".to_owned(),
            token: None,
            session_lifetime: Duration::from_secs(12 * 3600),
        }
    }
}

impl AdminConfig {
    pub(super) fn check(&self, problems: &mut Vec<ConfigProblem>) {
        match self.listen.parse::<std::net::SocketAddr>() {
            Err(_) => problems.push(ConfigProblem::new(
                "admin.listen",
                format!("`{}` is not an address like 127.0.0.1:9090", self.listen),
            )),
            Ok(addr) if !addr.ip().is_loopback() && self.token.is_none() => {
                problems.push(ConfigProblem::new(
                    "admin.token",
                    "the admin listener is reachable from other machines, so it needs a token: set token = \"${LEVER_HOOKS_ADMIN_TOKEN}\" or listen on 127.0.0.1",
                ))
            }
            Ok(_) => {}
        }
        if self.session_lifetime.is_zero() {
            problems.push(ConfigProblem::new(
                "admin.session_lifetime",
                "a session must last longer than 0s; the default is \"12h\"",
            ));
        }
        if self
            .token
            .as_ref()
            .is_some_and(|t| secrecy::ExposeSecret::expose_secret(t).len() < 16)
        {
            problems.push(ConfigProblem::new(
                "admin.token",
                "use at least 16 characters",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<ConfigProblem> {
        let config: AdminConfig = toml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        let mut problems = Vec::new();
        config.check(&mut problems);
        problems
    }

    #[test]
    fn a_session_lasts_twelve_hours_unless_set() {
        let config: AdminConfig = toml::from_str("").unwrap();
        assert_eq!(config.session_lifetime, Duration::from_secs(12 * 3600));
        let config: AdminConfig = toml::from_str("session_lifetime = \"30m\"").unwrap();
        assert_eq!(config.session_lifetime, Duration::from_secs(30 * 60));
    }

    #[test]
    fn a_session_lifetime_of_zero_is_a_problem() {
        let problems = problems("session_lifetime = \"0s\"");
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["admin.session_lifetime"]);
    }
}
