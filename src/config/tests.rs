//! The config parser's tests, by subject; the helpers and examples they share are here.

use super::*;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// The example from design.md, made valid: the `command` handler runs an existing program
/// (and has no `args`, which a later version adds), and the `…` placeholders are real values.
const DESIGN_EXAMPLE: &str = r#"
[server]
listen = "0.0.0.0:8080"
max_body_bytes = 262144

[storage]
path = "./data"                  # embedded sled, the default
retention = "30d"
# url = "postgres://…"           # PostgreSQL, for several instances

[lever]                          # the default account, at /webhooks/lever
max_age = "15d"
signing_tokens = { default = ["${LEVER_SIGNING_TOKEN}"], candidateHired = ["hired-old", "hired-new"] }
api_base = "https://api.lever.co/v1"
api_key = "${LEVER_API_KEY}"     # or oauth = { … }
perform_as = "df0adaa6-172c-4cd6-8520-49b203660fe1"

[accounts.acme]                  # more accounts, each at /webhooks/lever/acme
signing_tokens = { default = ["acme-token"] }

[dispatch]
workers = 8

[retry]
max_attempts = 10
initial_backoff = "1s"
max_backoff = "1h"

[handlers.notify]
kind = "command"
program = "/bin/true"

[[routes]]
events = ["candidateStageChange"]   # event names, "hired", or "*"
to_stage = "Background Check"       # optional: stage name or id
handler = "notify"
"#;

/// The smallest valid account, to put in front of sections under test.
const LEVER: &str = "[lever]\nsigning_tokens = { default = [\"t\"] }\n";

fn env(name: &str) -> Option<String> {
    match name {
        "LEVER_SIGNING_TOKEN" => Some("from-the-environment".to_owned()),
        "LEVER_API_KEY" => Some("api-key-from-the-environment".to_owned()),
        _ => None,
    }
}

/// A Rust handler registered in code, for routes to name.
struct Plugin;

#[crate::handler::async_trait]
impl crate::handler::Handler for Plugin {
    async fn handle(
        &self,
        _: &crate::EventDocument,
        _: &crate::handler::HandlerContext,
    ) -> Result<crate::handler::Outcome, crate::handler::BoxError> {
        Ok(crate::handler::Outcome::Done)
    }
}

fn parse_with_registry(text: &str, registry: &HandlerRegistry) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/etc/lever-hooks"), &env, registry)
}

fn parse_with_plugins(text: &str, plugins: &[&str]) -> Result<Config, ConfigError> {
    let registry = plugins
        .iter()
        .fold(HandlerRegistry::new(), |registry, name| {
            registry.register(*name, Plugin)
        });
    parse_with_registry(text, &registry)
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    parse_with_plugins(text, &[])
}

/// The problems of a config that must not parse.
fn problems(text: &str) -> Vec<ConfigProblem> {
    match parse(text) {
        Ok(_) => panic!("expected problems in:\n{text}"),
        Err(e) => e.problems,
    }
}

/// The one problem of a config that must have exactly one.
fn only_problem(text: &str) -> ConfigProblem {
    let mut found = problems(text);
    assert_eq!(found.len(), 1, "{found:#?}");
    found.remove(0)
}

fn tokens(list: &[SecretString]) -> Vec<&str> {
    list.iter().map(|t| t.expose_secret()).collect()
}

mod parsing;
mod plugin_kinds;
mod problems;
mod routes_and_accounts;
mod sections;
