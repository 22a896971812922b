//! `lever-hooks reconcile`: one reconciliation pass now, from `--since`, directly on the
//! store (a sled store needs the service stopped; PostgreSQL works beside it), listing
//! each change found and the handlers its event would run.

use crate::config::Config;
use crate::event::LeverEvent;
use crate::handler::HandlerRegistry;
use crate::lever::{ArchiveReasonType, OpportunityFacts};
use crate::lever_accounts::{AccountApi, LeverAccounts};
use crate::reconcile::diff::What;
use crate::reconcile::pass::Found;
use crate::reconcile::synthesize::event_type;
use crate::reconcile::{Pass, Window};
use crate::route::{Facts, Router};
use crate::store::now_millis;
use anyhow::{bail, Context};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `reconcile`.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// The config file.
    #[arg(long, short, env = "LEVER_HOOKS_CONFIG")]
    pub config: PathBuf,
    /// Only this account (default: every account with Data API credentials).
    #[arg(long)]
    pub account: Option<String>,
    /// How far back to look, like `2d` or `6h`: opportunities updated or deleted since.
    #[arg(long, value_parser = crate::duration::parse)]
    pub since: Duration,
    /// List the changes and the handlers they would run, but store nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs one pass per account, printing each change to `out` and progress to stderr.
pub async fn run(
    args: ReconcileArgs,
    plugins: &HandlerRegistry,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<ExitCode> {
    let config = match Config::load(&args.config, plugins) {
        Ok(config) => config,
        Err(e) => {
            eprint!("{e}");
            return Ok(ExitCode::from(1));
        }
    };
    let store = crate::app::open_store(&config.storage)
        .await
        .context("opening the store (a sled store needs lever-hooks stopped)")?;
    let accounts = LeverAccounts::from_config(&config, store.clone())
        .context("building the Data API clients")?;
    let names: Vec<String> = match &args.account {
        Some(name) if accounts.get(name).is_some() => vec![name.clone()],
        Some(name) => bail!("account `{name}` is not configured with Data API credentials"),
        None => config
            .accounts
            .keys()
            .filter(|name| accounts.get(name).is_some())
            .cloned()
            .collect(),
    };
    if names.is_empty() {
        bail!("no account has Data API credentials (api_key or oauth)");
    }
    let router = Router::new(&config.routes);
    let since = now_millis().saturating_sub(args.since.as_millis() as u64);
    let mut total = 0;
    for name in &names {
        let api = accounts.get(name).expect("listed above");
        let bar = progress_line(name);
        let pass = Pass {
            account: name,
            store: &*store,
            api,
            limiter: None,
            dry_run: args.dry_run,
        };
        let report = pass
            .run(Window::Since(since), &mut |pages, read| {
                bar.set_message(format!("{name}: {read} read, {pages} pages"));
            })
            .await;
        bar.finish_and_clear();
        let report = report.with_context(|| format!("reconciling account `{name}`"))?;
        for found in &report.found {
            let handlers = handlers_for(&router, api, found).await;
            writeln!(out, "{}", describe(name, found, &handlers, args.dry_run))?;
        }
        total += report.found.len();
        eprintln!(
            "{name}: {} read in {} pages, {} change{} found",
            report.read,
            report.pages,
            report.found.len(),
            if report.found.len() == 1 { "" } else { "s" }
        );
    }
    if args.dry_run {
        writeln!(out, "dry run: {total} change(s) found, nothing stored")?;
    }
    store.flush().await?;
    Ok(ExitCode::SUCCESS)
}

/// A progress line on stderr (hidden when stderr is not a terminal).
fn progress_line(account: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(format!("{account}: reading opportunities"));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// The handlers the change's event goes to, with the stage names and reason type looked
/// up as routing would, and the opportunity read for routes with conditions (a failed
/// lookup leaves them out).
async fn handlers_for(router: &Router, api: &AccountApi, found: &Found) -> Vec<String> {
    let mut facts = Facts::default();
    match &found.change.what {
        What::Stage { from, to } => {
            facts.to_stage_name = api
                .directory
                .stage(to)
                .await
                .ok()
                .flatten()
                .and_then(|s| s.text);
            if let Some(from) = from {
                facts.from_stage_name = api
                    .directory
                    .stage(from)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|s| s.text);
            }
        }
        What::Archive { to: Some(to), .. } => {
            if let Some(reason) = &to.reason {
                facts.reason_type = api
                    .directory
                    .archive_reason(reason)
                    .await
                    .ok()
                    .flatten()
                    .map(|r| r.r#type);
            }
        }
        What::Hire { .. } => facts.reason_type = Some(ArchiveReasonType::Hired),
        _ => {}
    }
    let typed = LeverEvent::decode(&found.event.event, &found.event.data).ok();
    let opportunity = typed.as_ref().and_then(LeverEvent::opportunity_id);
    if let Some(opportunity) =
        opportunity.filter(|_| router.needs(&found.event.event, typed.as_ref()).opportunity)
    {
        facts.opportunity =
            OpportunityFacts::read(&api.client, &api.directory, opportunity.as_str())
                .await
                .ok();
    }
    router
        .handlers_for(&found.event.event, typed.as_ref(), &facts)
        .into_iter()
        .map(|m| m.handler)
        .collect()
}

/// One line per change (pure): account, event type, opportunity, what changed, the
/// handlers, and what storing it gave.
pub fn describe(account: &str, found: &Found, handlers: &[String], dry_run: bool) -> String {
    let change = &found.change;
    let what = match &change.what {
        What::Stage { from, to } => {
            format!("stage {} -> {to}", from.as_deref().unwrap_or("?"))
        }
        What::Archive { to: Some(to), .. } => {
            format!("archived ({})", to.reason.as_deref().unwrap_or("no reason"))
        }
        What::Archive { to: None, .. } => "unarchived".to_owned(),
        What::Hire { reason } => format!("hired ({reason})"),
        What::Deletion { .. } => "deleted".to_owned(),
    };
    let handlers = if handlers.is_empty() {
        "no handler".to_owned()
    } else {
        handlers.join(", ")
    };
    let stored = match (&found.stored, found.new, dry_run) {
        (_, _, true) => "not stored (dry run)".to_owned(),
        (Some(id), true, _) => format!("stored as {id}"),
        (Some(id), false, _) => format!("already stored as {id}"),
        (None, _, _) => "not stored".to_owned(),
    };
    format!(
        "{account} {} {} {what} -> {handlers}; {stored}",
        event_type(change),
        change.opportunity
    )
}
