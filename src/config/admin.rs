//! `[admin]`: the operator's listener (health, metrics, REST API, dashboard).

use super::ConfigProblem;
use secrecy::SecretString;
use serde::Deserialize;

/// `[admin]`: present means the admin listener runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Address of the admin listener; keep it private.
    pub listen: String,
    /// Bearer token for everything but `/healthz`, `/readyz` and `/metrics`. Required
    /// unless `listen` is a loopback address.
    pub token: Option<SecretString>,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9090".to_owned(),
            token: None,
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
