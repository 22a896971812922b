//! `lever-hooks migrate`: applies the embedded PostgreSQL migrations and says which ran.
//!
//! `serve` applies them too at start; this command lets an operator migrate once before a
//! rolling start of several instances, and see where the database stands.

use crate::config::Config;
use crate::handler::HandlerRegistry;
use crate::store::postgres::{parse_url, redact_url, PostgresStore};
use anyhow::bail;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The config file; its `[storage] url` names the database.
    #[arg(long, short, env = "LEVER_HOOKS_CONFIG")]
    pub config: PathBuf,
}

/// Runs `migrate`, printing one line per migration to `out`.
/// `plugins` are the binary's handlers and kinds, so that a config naming them reads.
pub async fn run(
    args: MigrateArgs,
    plugins: &HandlerRegistry,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let config = match Config::load(&args.config, plugins) {
        Ok(config) => config,
        Err(e) => {
            eprint!("{e}");
            return Ok(ExitCode::from(1));
        }
    };
    let Some(url) = &config.storage.url else {
        bail!(
            "{} has no [storage] url: the embedded sled store needs no migrations",
            args.config.display()
        );
    };
    let options = parse_url(url).map_err(|e| anyhow::anyhow!("storage.url: {e}"))?;
    let statuses = PostgresStore::migrate(options).await?;
    writeln!(out, "database {}", redact_url(url))?;
    let mut applied = 0;
    for status in &statuses {
        let state = if status.applied_now {
            applied += 1;
            "applied now"
        } else {
            "already applied"
        };
        writeln!(
            out,
            "  {:04} {:<32} {state}",
            status.version, status.description
        )?;
    }
    writeln!(
        out,
        "{applied} migration{} applied, {} already in place",
        if applied == 1 { "" } else { "s" },
        statuses.len() - applied
    )?;
    Ok(ExitCode::SUCCESS)
}
