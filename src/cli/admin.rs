//! `lever-hooks events …` and `lever-hooks dead-letters …`: the admin REST API from the
//! command line, as tables for people or the API's JSON for scripts.
//!
//! The commands write to any `Write` so tests can read what they print; progress bars
//! and questions go to the terminal (stderr, stdin) and only when there is one.

pub mod client;
mod dead_letters;
mod events;
mod table;

use clap::{Args, Subcommand};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::io::Write;
use std::process::ExitCode;
use std::str::FromStr;

/// The admin token, kept out of `Debug` output.
#[derive(Clone)]
pub struct AdminToken(String);

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(***)")
    }
}

impl FromStr for AdminToken {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// Where the admin API is and how to talk to it (any position after the subcommand).
#[derive(Debug, Args)]
#[command(next_help_heading = "Admin API")]
pub struct Connection {
    /// The admin listener's base URL (`[admin] listen` in the config).
    #[arg(
        long,
        env = "LEVER_HOOKS_ADMIN_URL",
        default_value = "http://127.0.0.1:9090",
        global = true
    )]
    pub admin_url: String,
    /// The admin token (`[admin] token` in the config); never printed.
    #[arg(
        long,
        env = "LEVER_HOOKS_ADMIN_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub admin_token: Option<AdminToken>,
    /// Print the API's JSON (one document) instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The filter vocabulary of the admin API, as flags (every flag narrows).
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Only this account (`default` is `[lever]`).
    #[arg(long)]
    pub account: Option<String>,
    /// Only this Lever event, e.g. candidateStageChange.
    #[arg(long)]
    pub event: Option<String>,
    /// Only events about this opportunity.
    #[arg(long)]
    pub opportunity: Option<String>,
    /// Only events about this contact.
    #[arg(long)]
    pub contact: Option<String>,
    /// Only events with a job for this handler (and only that job counts).
    #[arg(long)]
    pub handler: Option<String>,
    /// Received at or after: RFC 3339 (2026-11-29T10:00:00Z) or ms since the epoch.
    #[arg(long)]
    pub since: Option<String>,
    /// Received before: RFC 3339 or ms since the epoch.
    #[arg(long)]
    pub until: Option<String>,
}

impl FilterArgs {
    /// The filter as API parameters (query string or JSON body), only those given.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        [
            ("account", &self.account),
            ("event", &self.event),
            ("opportunity", &self.opportunity),
            ("contact", &self.contact),
            ("handler", &self.handler),
            ("since", &self.since),
            ("until", &self.until),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.clone().map(|v| (key, v)))
        .collect()
    }
}

/// Which page or pages to fetch.
#[derive(Debug, Clone, Args)]
pub struct Paging {
    /// How many to fetch per page (1 to 500).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=500))]
    pub limit: u16,
    /// Follow the `next` cursor through every page, not only the newest one.
    #[arg(long)]
    pub all: bool,
}

/// `lever-hooks events …`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The admin API.
    #[command(flatten)]
    pub connection: Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: EventsCommand,
}

/// The events subcommands.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// List stored events, newest first, with their handlers' states.
    List {
        /// The filters.
        #[command(flatten)]
        filter: FilterArgs,
        /// Only events in this status: unrouted, pending, dead or done.
        #[arg(long)]
        status: Option<String>,
        /// Paging.
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one event: its fields, its data, and every attempt of every job.
    Show {
        /// The event id (evt_…).
        id: String,
    },
    /// Run events' jobs again (all, or one handler's), keeping their attempt history.
    Replay {
        /// Event ids (evt_…); a progress bar shows when there are several.
        #[arg(required = true)]
        ids: Vec<String>,
        /// Replay only this handler's job.
        #[arg(long)]
        handler: Option<String>,
    },
}

/// `lever-hooks dead-letters …`.
#[derive(Debug, Args)]
pub struct DeadLettersArgs {
    /// The admin API.
    #[command(flatten)]
    pub connection: Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: DeadLettersCommand,
}

/// The dead-letters subcommands.
#[derive(Debug, Subcommand)]
pub enum DeadLettersCommand {
    /// List jobs that gave up, newest event first, with their last error.
    List {
        /// The filters.
        #[command(flatten)]
        filter: FilterArgs,
        /// Paging.
        #[command(flatten)]
        paging: Paging,
    },
    /// Run dead letters again with a fresh retry budget; attempt numbers go on.
    ///
    /// Lists every matching dead letter first, then replays them one job at a time
    /// (POST /api/v1/events/{id}/replay with the job's handler), so the progress bar
    /// counts real jobs. A job someone else retried in between runs once more.
    /// With no filter this retries every dead letter: on a terminal it asks first,
    /// elsewhere it needs --yes.
    Retry {
        /// The filters.
        #[command(flatten)]
        filter: FilterArgs,
        /// Do not ask before retrying every dead letter.
        #[arg(long, short)]
        yes: bool,
    },
}

/// Runs an events subcommand, printing to `out`.
pub async fn events(args: EventsArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let api = client::AdminClient::new(&args.connection)?;
    let json = args.connection.json;
    match args.command {
        EventsCommand::List {
            filter,
            status,
            paging,
        } => {
            let mut params = filter.params();
            params.extend(status.map(|s| ("status", s)));
            events::list(&api, &params, &paging, json, out).await
        }
        EventsCommand::Show { id } => events::show(&api, &id, json, out).await,
        EventsCommand::Replay { ids, handler } => {
            events::replay(&api, &ids, handler.as_deref(), json, out).await
        }
    }
}

/// Runs a dead-letters subcommand, printing to `out`.
pub async fn dead_letters(args: DeadLettersArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let api = client::AdminClient::new(&args.connection)?;
    let json = args.connection.json;
    match args.command {
        DeadLettersCommand::List { filter, paging } => {
            dead_letters::list(&api, &filter.params(), &paging, json, out).await
        }
        DeadLettersCommand::Retry { filter, yes } => {
            dead_letters::retry(&api, &filter.params(), yes, json, out).await
        }
    }
}

/// The first page of `path`, or every page with `--all`; each parsed and as sent.
async fn fetch_pages<T: DeserializeOwned>(
    api: &client::AdminClient,
    path: &str,
    params: &[(&'static str, String)],
    paging: &Paging,
    next: impl Fn(&T) -> Option<String>,
) -> Result<Vec<(T, String)>, client::AdminError> {
    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let mut query = params.to_vec();
        query.push(("limit", paging.limit.to_string()));
        query.extend(before.take().map(|b| ("before", b)));
        let raw = api.get(path, &query).await?;
        let page: T = client::parse(&raw)?;
        before = next(&page);
        pages.push((page, raw));
        if !paging.all || before.is_none() {
            return Ok(pages);
        }
    }
}

/// `--json` for a list: the one page as the API sent it, or every page merged into one
/// document by `merge`.
fn write_json_pages<T: Serialize>(
    pages: Vec<(T, String)>,
    merge: impl FnOnce(Vec<T>) -> T,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match pages.as_slice() {
        [(_, raw)] => writeln!(out, "{raw}")?,
        _ => {
            let merged = merge(pages.into_iter().map(|(page, _)| page).collect());
            writeln!(out, "{}", serde_json::to_string(&merged)?)?;
        }
    }
    Ok(())
}

/// A state or status as the API spells it (`dead`, `give_up`).
fn name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "?".to_owned(),
    }
}

/// A progress bar on stderr for `len` steps, hidden when stderr is not a terminal.
fn progress(len: usize, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed_precise}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}

/// The terminal's width when stdout is one, else 80 columns.
fn width() -> usize {
    console::Term::stdout()
        .size_checked()
        .map_or(80, |(_, cols)| cols as usize)
}
