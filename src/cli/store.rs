//! `lever-hooks store check` and `store repair`: the event journal of a stopped sled store,
//! read for damage, and mended by moving the damage aside.

use crate::config::Config;
use crate::handler::HandlerRegistry;
use crate::store::sled_store::JournalRepair;
use crate::store::SledStore;
use anyhow::bail;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `store`.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: StoreCommand,
}

/// The `store` subcommands. Both refuse a store that a running lever-hooks holds.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Read a stopped store's event journal: every damaged range (segment, offset, length)
    /// and how many events each segment holds. Exit 0 when clean, 1 otherwise.
    Check {
        /// The config file; its `[storage] path` names the store.
        #[arg(long, short, env = "LEVER_HOOKS_CONFIG")]
        config: PathBuf,
    },
    /// Repair a stopped store: keep every record that checks out, and move each damaged
    /// range aside to a file it names (never deleted). Exit 0 when the store is clean after.
    Repair {
        /// The config file; its `[storage] path` names the store.
        #[arg(long, short, env = "LEVER_HOOKS_CONFIG")]
        config: PathBuf,
    },
}

/// Runs `store check` or `store repair`, printing the report to `out`.
pub fn run(
    args: StoreArgs,
    plugins: &HandlerRegistry,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let path = match &args.command {
        StoreCommand::Check { config } | StoreCommand::Repair { config } => config,
    };
    let config = match Config::load(path, plugins) {
        Ok(config) => config,
        Err(e) => {
            eprint!("{e}");
            return Ok(ExitCode::from(1));
        }
    };
    if config.storage.url.is_some() {
        bail!(
            "{} stores events in PostgreSQL ([storage] url): `store check` and `store repair` are for the embedded sled store",
            path.display()
        );
    }
    let store = &config.storage.path;
    match args.command {
        StoreCommand::Check { .. } => {
            let check = SledStore::check(store)?;
            write!(out, "{check}")?;
            Ok(exit_code(check.is_clean()))
        }
        StoreCommand::Repair { .. } => {
            let repair = SledStore::repair(store)?;
            print_repair(&repair, out)?;
            Ok(exit_code(repair.after.is_clean()))
        }
    }
}

fn print_repair(repair: &JournalRepair, out: &mut dyn Write) -> std::io::Result<()> {
    write!(out, "before:\n{}", repair.before)?;
    for segment in &repair.before.segments {
        for gone in segment.damaged.iter().filter(|d| d.missing) {
            writeln!(
                out,
                "segment {}, offset {}, {} bytes are gone: nothing to move; no longer expected",
                segment.segment, gone.offset, gone.len
            )?;
        }
    }
    for moved in &repair.moved {
        writeln!(
            out,
            "moved segment {}, offset {}, {} bytes to {}",
            moved.segment,
            moved.offset,
            moved.len,
            moved.path.display()
        )?;
    }
    write!(out, "after:\n{}", repair.after)
}

fn exit_code(clean: bool) -> ExitCode {
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
