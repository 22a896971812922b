//! The TOML configuration: typed sections, `${VAR}` substitution, and a loader that reports
//! every problem with its key path instead of stopping at the first.

mod admin;
mod env_vars;
mod read_section;
mod sections;
mod server;

pub use crate::alerts::{AlertsConfig, RejectedBurstConfig};
pub use crate::dispatch::{DispatchConfig, RetryConfig};
/// The duration parser, kept at its old path for code written against it.
pub use crate::duration;
pub use crate::route::{ArchiveReasonType, RouteConfig};
pub use admin::AdminConfig;
pub use sections::{AccountConfig, OAuthSettings, RateLimitSettings, StorageConfig};
pub use server::{ServerConfig, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PENDING_BODY_BYTES};

use crate::handler::{HandlerRegistry, HandlerSettings, KindContext};
use crate::lever_accounts::AccountApiSettings;
use env_vars::join;
use read_section::read;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::lever_accounts::DEFAULT_ACCOUNT;

/// The whole configuration of one lever-hooks instance.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `[server]`: the intake listener.
    pub server: ServerConfig,
    /// `[storage]`: where events and jobs are kept.
    pub storage: StorageConfig,
    /// Every account by name; `[lever]` is [`DEFAULT_ACCOUNT`], `[accounts.X]` is `X`.
    pub accounts: BTreeMap<String, AccountConfig>,
    /// `[dispatch]`: workers.
    pub dispatch: DispatchConfig,
    /// `[retry]`: the backoff schedule for handler jobs.
    pub retry: RetryConfig,
    /// `[handlers.NAME]`: handlers by name, each read and checked by its kind (built-in or
    /// a plugin's).
    pub handlers: BTreeMap<String, HandlerSettings>,
    /// `[[routes]]`: which events go to which handlers.
    pub routes: Vec<RouteConfig>,
    /// `[admin]`: the operator's listener, when the section exists.
    pub admin: Option<AdminConfig>,
    /// `[alerts]`: where dead letters and rejected bursts are reported.
    pub alerts: AlertsConfig,
    /// The folder of the config file; relative paths in it are relative to this.
    pub base_dir: PathBuf,
}

/// One thing wrong with a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Where: a key path like `handlers.notify.timeout` or `routes[2].handler`.
    pub path: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl ConfigProblem {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Every problem found in a config file; never empty.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ConfigError {
    /// The problems, in file order as far as they can be told.
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        writeln!(
            f,
            "{count} problem{} in the configuration:",
            if count == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            writeln!(f, "  {problem}")?;
        }
        Ok(())
    }
}

const TOP_LEVEL_KEYS: [&str; 10] = [
    "server", "storage", "lever", "accounts", "dispatch", "retry", "handlers", "routes", "admin",
    "alerts",
];

impl Config {
    /// Reads and checks a config file, taking `${VAR}` values from the process environment.
    ///
    /// `registry` gives the kinds `[handlers.NAME]` may name and the Rust handlers
    /// registered in code, which routes may name.
    pub fn load(path: &Path, registry: &HandlerRegistry) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            problems: vec![ConfigProblem::new(
                "",
                format!("cannot read {}: {e}", path.display()),
            )],
        })?;
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        Self::parse(&text, &base_dir, &|name| std::env::var(name).ok(), registry)
    }

    /// Parses and checks config text; `lookup` resolves `${VAR}`.
    pub fn parse(
        text: &str,
        base_dir: &Path,
        lookup: &dyn Fn(&str) -> Option<String>,
        registry: &HandlerRegistry,
    ) -> Result<Self, ConfigError> {
        let plugins = &registry.names();
        let mut problems = Vec::new();
        let mut root: toml::Value = match toml::from_str(text) {
            Ok(value) => value,
            Err(e) => {
                let message = e.message().to_owned();
                let at = e
                    .span()
                    .map(|span| format!("line {}", line_of(text, span.start)))
                    .unwrap_or_default();
                return Err(ConfigError {
                    problems: vec![ConfigProblem::new(at, format!("invalid TOML: {message}"))],
                });
            }
        };
        env_vars::substitute(&mut root, "", lookup, &mut problems);
        let toml::Value::Table(mut table) = root else {
            unreachable!("a TOML document is a table")
        };
        for key in table.keys() {
            if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
                problems.push(ConfigProblem::new(
                    key.clone(),
                    format!(
                        "unknown section; expected one of {}",
                        TOP_LEVEL_KEYS.join(", ")
                    ),
                ));
            }
        }
        let mut config = Config {
            base_dir: base_dir.to_path_buf(),
            ..Config::default()
        };
        // Sections that were written but could not be read: already reported, so the
        // cross-section checks must not call them missing as well.
        let mut written = Written::default();
        let mut section = |name: &str| table.remove(name);
        if let Some(s) = section("server").and_then(|v| read(v, "server", &mut problems)) {
            config.server = s;
        }
        if let Some(s) = section("storage").and_then(|v| read(v, "storage", &mut problems)) {
            config.storage = s;
        }
        if let Some(s) = section("dispatch").and_then(|v| read(v, "dispatch", &mut problems)) {
            config.dispatch = s;
        }
        if let Some(s) = section("retry").and_then(|v| read(v, "retry", &mut problems)) {
            config.retry = s;
        }
        if let Some(s) = section("admin").and_then(|v| read(v, "admin", &mut problems)) {
            config.admin = Some(s);
        }
        if let Some(s) = section("alerts").and_then(|v| read(v, "alerts", &mut problems)) {
            config.alerts = s;
        }
        if let Some(v) = section("lever") {
            written.account = true;
            if let Some(account) = read(v, "lever", &mut problems) {
                config.accounts.insert(DEFAULT_ACCOUNT.to_owned(), account);
            }
        }
        for (name, v) in each_entry(section("accounts"), "accounts", &mut problems) {
            written.account = true;
            let path = join("accounts", &name);
            if name == DEFAULT_ACCOUNT {
                problems.push(ConfigProblem::new(
                    path,
                    "`default` is the `[lever]` account; pick another name",
                ));
            } else if !valid_name(&name) {
                problems.push(ConfigProblem::new(
                    path,
                    "account names use a-z, 0-9, `-` and `_` (they appear in the URL)",
                ));
            } else if let Some(account) = read(v, &path, &mut problems) {
                config.accounts.insert(name, account);
            }
        }
        for (name, v) in each_entry(section("handlers"), "handlers", &mut problems) {
            let path = join("handlers", &name);
            match read_handler(v, &path, registry, &mut problems) {
                Some(handler) => {
                    config.handlers.insert(name, handler);
                }
                None => written.broken_handlers.push(name),
            }
        }
        match section("routes") {
            None => {}
            Some(toml::Value::Array(items)) => {
                for (i, v) in items.into_iter().enumerate() {
                    if let Some(route) = read(v, &format!("routes[{i}]"), &mut problems) {
                        config.routes.push(route);
                    }
                }
            }
            Some(_) => problems.push(ConfigProblem::new(
                "routes",
                "write routes as [[routes]] tables",
            )),
        }
        config.check(plugins, &written, &mut problems);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError { problems })
        }
    }

    /// Semantic checks that need more than one section.
    fn check(&self, plugins: &[String], written: &Written, problems: &mut Vec<ConfigProblem>) {
        if self.accounts.is_empty() && !written.account {
            problems.push(ConfigProblem::new(
                "lever",
                "no account configured: add a [lever] section (or [accounts.NAME])",
            ));
        }
        for (name, account) in &self.accounts {
            let path = account_path(name);
            account.check(&path, problems);
        }
        self.server.check(&self.base_dir, problems);
        push_all("dispatch", self.dispatch.check(), problems);
        if let Some(admin) = &self.admin {
            admin.check(problems);
        }
        push_all("retry", self.retry.check(), problems);
        for (name, handler) in &self.handlers {
            if plugins.contains(name) {
                problems.push(ConfigProblem::new(
                    join("handlers", name),
                    "this name is taken by a registered Rust handler",
                ));
            }
            if handler.uses_lever_api() && !self.accounts.values().any(AccountConfig::has_api) {
                problems.push(ConfigProblem::new(
                    join("handlers", name),
                    "this handler reads and writes through Lever's Data API, but no account has credentials: set api_key (or oauth) in [lever]",
                ));
            }
            let cx = KindContext {
                name,
                base_dir: &self.base_dir,
            };
            push_all(&join("handlers", name), handler.check(&cx), problems);
        }
        for (i, route) in self.routes.iter().enumerate() {
            let path = format!("routes[{i}]");
            self.check_handler_named(
                &route.handler,
                &format!("{path}.handler"),
                plugins,
                written,
                problems,
            );
            push_all(&path, route.check(), problems);
        }
        self.storage.check(problems);
        push_all("alerts", self.alerts.check(), problems);
        for (key, handler) in self.alerts.targets() {
            let path = join("alerts", key);
            self.check_handler_named(handler, &path, plugins, written, problems);
        }
    }

    /// The Data API settings of every account with credentials, by account name.
    pub fn data_api_settings(&self) -> BTreeMap<String, AccountApiSettings> {
        self.accounts
            .iter()
            .filter_map(|(name, account)| Some((name.clone(), account.api_settings()?)))
            .collect()
    }

    /// Reports at `path` when no handler (configured or registered in code) is called `name`.
    fn check_handler_named(
        &self,
        name: &str,
        path: &str,
        plugins: &[String],
        written: &Written,
        problems: &mut Vec<ConfigProblem>,
    ) {
        let known = self.handlers.contains_key(name)
            || plugins.iter().any(|p| p == name)
            || written.broken_handlers.iter().any(|b| b == name);
        if known {
            return;
        }
        let mut names: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
        names.extend(plugins.iter().map(String::as_str));
        let hint = if names.is_empty() {
            "none are configured".to_owned()
        } else {
            format!("known: {}", names.join(", "))
        };
        problems.push(ConfigProblem::new(
            path,
            format!("no handler named `{name}` ({hint})"),
        ));
    }
}

/// What the file declared beyond what could be read from it.
#[derive(Default)]
struct Written {
    /// A `[lever]` or `[accounts.NAME]` section exists, even if it was rejected.
    account: bool,
    /// `[handlers.NAME]` sections that exist but could not be read.
    broken_handlers: Vec<String>,
}

/// Records a section's own problems, given as (key within it, message) pairs, under `path`.
fn push_all(path: &str, found: Vec<(String, String)>, problems: &mut Vec<ConfigProblem>) {
    problems.extend(found.into_iter().map(|(key, message)| match key.as_str() {
        "" => ConfigProblem::new(path, message),
        key => ConfigProblem::new(join(path, key), message),
    }));
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let before = text.get(..offset).unwrap_or(text);
    before.bytes().filter(|&b| b == b'\n').count() + 1
}

/// The key path of an account's section.
pub fn account_path(name: &str) -> String {
    crate::lever_accounts::account_section(name)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn each_entry(
    value: Option<toml::Value>,
    path: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Vec<(String, toml::Value)> {
    match value {
        None => Vec::new(),
        Some(toml::Value::Table(table)) => table.into_iter().collect(),
        Some(_) => {
            problems.push(ConfigProblem::new(path, "expected a table"));
            Vec::new()
        }
    }
}

/// Reads one `[handlers.NAME]` section through the kind its `kind` key names, recording
/// problems with their full key paths.
fn read_handler(
    value: toml::Value,
    path: &str,
    registry: &HandlerRegistry,
    problems: &mut Vec<ConfigProblem>,
) -> Option<HandlerSettings> {
    let toml::Value::Table(mut section) = value else {
        problems.push(ConfigProblem::new(path, "expected a table"));
        return None;
    };
    let known = || format!("this binary knows: {}", registry.kinds().join(", "));
    let kind = match section.remove("kind") {
        Some(toml::Value::String(kind)) => kind,
        Some(_) => {
            problems.push(ConfigProblem::new(
                join(path, "kind"),
                format!("expected a string; {}", known()),
            ));
            return None;
        }
        None => {
            problems.push(ConfigProblem::new(
                join(path, "kind"),
                format!("missing: say which kind of handler this is; {}", known()),
            ));
            return None;
        }
    };
    let secrets = read_callback_secrets(section.remove("callback_secret"), path, problems);
    match registry.read_section(&kind, toml::Value::Table(section)) {
        None => {
            problems.push(ConfigProblem::new(
                join(path, "kind"),
                format!("unknown kind `{kind}`; {}", known()),
            ));
            None
        }
        Some((settings, found)) => {
            push_all(path, found, problems);
            let settings = settings?;
            if !secrets.is_empty() && !settings.takes_results() {
                problems.push(ConfigProblem::new(
                    join(path, "callback_secret"),
                    format!("kind `{kind}` takes no provider results; remove callback_secret"),
                ));
            }
            Some(settings.with_callback_secrets(secrets))
        }
    }
}

/// `callback_secret`: one secret, or a list for rotation; each `whsec_…` (base64) or raw.
fn read_callback_secrets(
    value: Option<toml::Value>,
    path: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Vec<secrecy::SecretString> {
    let key = join(path, "callback_secret");
    let texts = match value {
        None => return Vec::new(),
        Some(toml::Value::String(secret)) => vec![(key, secret)],
        Some(toml::Value::Array(items)) if !items.is_empty() => {
            let mut texts = Vec::new();
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    toml::Value::String(secret) => texts.push((format!("{key}[{i}]"), secret)),
                    _ => problems.push(ConfigProblem::new(
                        format!("{key}[{i}]"),
                        "expected a string",
                    )),
                }
            }
            texts
        }
        Some(_) => {
            problems.push(ConfigProblem::new(
                key,
                "expected a secret, or a non-empty list of secrets for rotation",
            ));
            return Vec::new();
        }
    };
    let mut secrets = Vec::new();
    for (at, text) in texts {
        let secret = secrecy::SecretString::from(text);
        match crate::standard_webhooks::signing_key(&secret) {
            Ok(_) => secrets.push(secret),
            Err(message) => problems.push(ConfigProblem::new(at, message)),
        }
    }
    secrets
}

#[cfg(test)]
mod tests;
