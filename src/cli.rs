//! The command line: `serve`, `check-config`, `migrate`, `send`, `send-result`, `bench`, `webhooks`,
//! `fake-lever`, `events` and `dead-letters` over the admin API, `store` (check or
//! repair a stopped sled store), `reconcile` (one pass against the Data API now), and
//! `rules test` (which `categorize` rules match an opportunity),
//! callable from a user's own binary through [`main_with`] so Rust plugins get the whole CLI for free.

pub mod admin;
pub mod bench;
pub mod fake_lever;
pub mod migrate;
pub mod reconcile;
pub mod rules;
pub mod send;
pub mod send_result;
pub mod store;
pub mod webhooks;

use crate::config::Config;
use crate::handler::HandlerRegistry;
use crate::telemetry::{self, LogFormat};
use crate::App;
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// lever-hooks: verified, durable Lever webhooks that run your integration's actions.
#[derive(Debug, Parser)]
#[command(name = "lever-hooks", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Receive webhooks and run handlers.
    Serve {
        /// The config file.
        #[arg(long, short, env = "LEVER_HOOKS_CONFIG")]
        config: PathBuf,
        /// Log line format.
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Check a config file and print every problem with its key path.
    CheckConfig {
        /// The config file.
        #[arg(long, short, env = "LEVER_HOOKS_CONFIG")]
        config: PathBuf,
    },
    /// Apply the PostgreSQL schema migrations (`[storage] url`) and list them.
    Migrate(migrate::MigrateArgs),
    /// Sign a realistic Lever delivery the way Lever does and POST it.
    Send(Box<send::SendArgs>),
    /// Sign a provider's result with Standard Webhooks and POST it to `/providers/…`.
    SendResult(Box<send_result::SendResultArgs>),
    /// Measure intake throughput and latency against the framework's own ceiling.
    Bench(bench::BenchArgs),
    /// Create, list and delete the account's webhooks through Lever's API.
    Webhooks(webhooks::WebhooksArgs),
    /// Serve a fake Lever (Data API and webhooks out) from a JSON fixture, for local work.
    FakeLever(fake_lever::FakeLeverArgs),
    /// List, show and replay stored events through the admin API of a running lever-hooks.
    Events(admin::EventsArgs),
    /// List and retry dead letters through the admin API of a running lever-hooks.
    DeadLetters(admin::DeadLettersArgs),
    /// Check or repair the event journal of a stopped sled store.
    Store(store::StoreArgs),
    /// Run one reconciliation pass now from `--since`: store the changes no webhook
    /// delivered (directly on the store: stop a sled-backed service first).
    Reconcile(reconcile::ReconcileArgs),
    /// Test a `categorize` handler's rules against an opportunity (writes nothing).
    Rules(rules::RulesArgs),
}

/// Runs the CLI with the built-in handlers only.
pub fn main() -> ExitCode {
    main_with(HandlerRegistry::new())
}

/// Runs the CLI with `plugins` available to routes by name. Exit codes: 0 ok, 1 error,
/// 2 usage error.
pub fn main_with(plugins: HandlerRegistry) -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli, plugins)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli, plugins: HandlerRegistry) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve { config, log_format } => {
            telemetry::init(log_format);
            let config = match Config::load(&config, &plugins) {
                Ok(config) => config,
                Err(e) => {
                    eprint!("{e}");
                    eprintln!("lever-hooks will not start until these are fixed.");
                    return Ok(ExitCode::from(1));
                }
            };
            warn_unfamiliar_events(&config);
            let app = App::build(&config, plugins)
                .await
                .context("starting lever-hooks")?;
            app.run_until_stopped().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckConfig { config: path } => match Config::load(&path, &plugins) {
            Ok(config) => {
                warn_unfamiliar_events(&config);
                print!("{}", config_summary(&path, &config, &plugins));
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                print!("{e}");
                Ok(ExitCode::from(1))
            }
        },
        Command::Migrate(args) => migrate::run(args, &plugins, &mut std::io::stdout().lock()).await,
        Command::Send(args) => send::run(*args).await,
        Command::SendResult(args) => send_result::run(*args).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Webhooks(args) => webhooks::run(args, &plugins).await,
        Command::FakeLever(args) => fake_lever::run(args).await,
        Command::Events(args) => admin::events(args, &mut std::io::stdout().lock()).await,
        Command::DeadLetters(args) => {
            admin::dead_letters(args, &mut std::io::stdout().lock()).await
        }
        Command::Store(args) => store::run(args, &plugins, &mut std::io::stdout().lock()),
        Command::Reconcile(args) => reconcile::run(args, &plugins, &mut std::io::stdout()).await,
        Command::Rules(args) => rules::run(args, &plugins, &mut std::io::stdout()).await,
    }
}

fn warn_unfamiliar_events(config: &Config) {
    for (i, route) in config.routes.iter().enumerate() {
        for event in route.unfamiliar_events() {
            eprintln!("warning: routes[{i}].events: `{event}` is not one of Lever's documented events; it only matches if Lever sends exactly that name");
        }
    }
}

/// What `check-config` prints for a good config: the counts, then every handler routes
/// may name, configured (with its kind) or registered in code.
fn config_summary(path: &std::path::Path, config: &Config, plugins: &HandlerRegistry) -> String {
    let registered = plugins.names();
    let handlers = config.handlers.len() + registered.len();
    let mut out = format!(
        "{}: ok ({} account{}, {} handler{}, {} route{})\n",
        path.display(),
        config.accounts.len(),
        plural(config.accounts.len()),
        handlers,
        plural(handlers),
        config.routes.len(),
        plural(config.routes.len()),
    );
    for (name, settings) in &config.handlers {
        out.push_str(&format!("  {name:<24} kind {}\n", settings.kind()));
    }
    for name in registered {
        out.push_str(&format!("  {name:<24} registered in code\n"));
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::{async_trait, BoxError, Handler, HandlerContext, Outcome};
    use crate::EventDocument;

    struct Audit;

    #[async_trait]
    impl Handler for Audit {
        async fn handle(&self, _: &EventDocument, _: &HandlerContext) -> Result<Outcome, BoxError> {
            Ok(Outcome::Done)
        }
    }

    #[test]
    fn check_config_lists_configured_and_registered_handlers_with_their_kinds() {
        let registry = HandlerRegistry::new().register("audit", Audit);
        let text = "[lever]\nsigning_tokens = { default = [\"t\"] }\n\
                    [handlers.notify]\nkind = \"http\"\nurl = \"https://example.com/hook\"\n\
                    [[routes]]\nevents = [\"*\"]\nhandler = \"audit\"\n";
        let config = Config::parse(text, std::path::Path::new("."), &|_| None, &registry).unwrap();

        let summary = config_summary(std::path::Path::new("lever-hooks.toml"), &config, &registry);

        assert_eq!(
            summary,
            "lever-hooks.toml: ok (1 account, 2 handlers, 1 route)\n  \
             notify                   kind http\n  \
             audit                    registered in code\n"
        );
    }
}
