//! `lever-hooks webhooks register|list|delete`: manage an account's webhooks through
//! Lever's API, keeping each new webhook's signing token in the store for intake.

use crate::config::{Config, DEFAULT_ACCOUNT};
use crate::event::KNOWN_EVENTS;
use crate::handler::HandlerRegistry;
use crate::lever::LeverClient;
use crate::lever_accounts::LeverAccounts;
use crate::record_key::RecordPrefix;
use crate::registered_tokens;
use crate::store::{SledStore, Store};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use secrecy::ExposeSecret;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// `lever-hooks webhooks …`.
#[derive(Debug, Args)]
pub struct WebhooksArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: WebhooksCommand,
}

/// Where the account's credentials come from.
#[derive(Debug, Args)]
pub struct Target {
    /// The config file (its account's api_key or oauth is used, and its store).
    #[arg(long, short, env = "LEVER_HOOKS_CONFIG")]
    pub config: PathBuf,
    /// The account (`default` is `[lever]`).
    #[arg(long, default_value = DEFAULT_ACCOUNT)]
    pub account: String,
}

/// The webhook subcommands.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Create one webhook per event pointing at URL, and store each signing token.
    ///
    /// With the embedded store, run it while lever-hooks is stopped (sled allows one
    /// process); with PostgreSQL, any time.
    Register {
        /// The config and account.
        #[command(flatten)]
        target: Target,
        /// The URL Lever should call, e.g. `https://hooks.example.com/webhooks/lever`.
        #[arg(long)]
        url: String,
        /// Lever event names, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        events: Vec<String>,
    },
    /// List the account's webhooks and whether their tokens are stored.
    List {
        /// The config and account.
        #[command(flatten)]
        target: Target,
    },
    /// Delete webhooks by id and forget their tokens.
    Delete {
        /// The config and account.
        #[command(flatten)]
        target: Target,
        /// Webhook ids (from `webhooks list`).
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

/// Runs a webhooks subcommand; `plugins` are the binary's handlers and kinds, so that a
/// config naming them reads.
pub async fn run(args: WebhooksArgs, plugins: &HandlerRegistry) -> anyhow::Result<ExitCode> {
    match args.command {
        WebhooksCommand::Register {
            target,
            url,
            events,
        } => register(&target, plugins, &url, &events).await,
        WebhooksCommand::List { target } => list(&target, plugins).await,
        WebhooksCommand::Delete { target, ids } => delete(&target, plugins, &ids).await,
    }
}

/// The config, its store and the account's client.
async fn open(
    target: &Target,
    plugins: &HandlerRegistry,
) -> anyhow::Result<(Arc<dyn Store>, LeverClient)> {
    let config = Config::load(&target.config, plugins).map_err(|e| anyhow::anyhow!("{e}"))?;
    let Some(account) = config.accounts.get(&target.account) else {
        let names: Vec<&str> = config.accounts.keys().map(String::as_str).collect();
        bail!(
            "no account `{}` in {} (accounts: {})",
            target.account,
            target.config.display(),
            names.join(", ")
        );
    };
    if !account.has_api() {
        bail!(
            "account `{}` has no Data API credentials: set api_key (or oauth) in its section",
            target.account
        );
    }
    let store: Arc<dyn Store> = match &config.storage.url {
        // PostgreSQL is shared: this works while instances are serving from it.
        Some(_) => crate::app::open_store(&config.storage)
            .await
            .context("opening the PostgreSQL store")?,
        None => Arc::new(open_store(&config.storage.path).await?),
    };
    let accounts = LeverAccounts::new(config.data_api_settings(), store.clone())?;
    let client = accounts
        .get(&target.account)
        .map(|api| api.client.clone())
        .context("the account's client")?;
    Ok((store, client))
}

/// Opens the store, waiting up to 2 s for a previous user in this process to let go.
async fn open_store(path: &Path) -> anyhow::Result<SledStore> {
    let mut tries = 0;
    loop {
        match SledStore::open(path) {
            Ok(store) => return Ok(store),
            Err(_) if tries < 40 => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "cannot open the store at {}; if lever-hooks is serving from it, stop it first (the embedded store allows one process at a time)",
                        path.display()
                    )
                })
            }
        }
    }
}

async fn register(
    target: &Target,
    plugins: &HandlerRegistry,
    url: &str,
    events: &[String],
) -> anyhow::Result<ExitCode> {
    for event in events {
        if !KNOWN_EVENTS.contains(&event.as_str()) {
            bail!(
                "`{event}` is not a Lever event; use some of: {}",
                KNOWN_EVENTS.join(", ")
            );
        }
    }
    let parsed = reqwest::Url::parse(url).with_context(|| format!("`{url}` is not a URL"))?;
    if parsed.scheme() != "https" {
        eprintln!("warning: Lever only calls https URLs; `{url}` will not receive deliveries from Lever itself");
    }
    let (store, client) = open(target, plugins).await?;
    println!(
        "creating {} webhook(s) for account `{}` -> {url}",
        events.len(),
        target.account
    );
    let mut missing_tokens = Vec::new();
    for event in events {
        let created = client
            .create_webhook(url, event)
            .await
            .with_context(|| format!("creating the {event} webhook"))?;
        let id = &created.webhook.id;
        match &created.signature_token {
            Some(token) => {
                registered_tokens::save(&*store, &target.account, event, id, token.expose_secret())
                    .await?;
                println!("  {event:<24} {id}  signing token stored");
            }
            None => {
                println!("  {event:<24} {id}  NO signing token in Lever's answer");
                missing_tokens.push(event.as_str());
            }
        }
    }
    store.flush().await?;
    println!();
    println!("Lever sends nothing until a Super Admin switches these on in Lever:");
    println!("  Settings > Integrations and API > Webhooks, turn on:");
    for event in events {
        println!("    - {}", settings_name(event));
    }
    println!("  lever-hooks answers the settings page's test request with 200.");
    if !missing_tokens.is_empty() {
        println!();
        println!(
            "Copy the signature token of {} from that page into signing_tokens in the config.",
            missing_tokens.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(target: &Target, plugins: &HandlerRegistry) -> anyhow::Result<ExitCode> {
    let (store, client) = open(target, plugins).await?;
    let webhooks = client.webhooks().await.context("listing webhooks")?;
    let stored = store
        .records(&RecordPrefix::signing_tokens_of(&target.account))
        .await?;
    if webhooks.is_empty() {
        println!(
            "account `{}` has no webhooks created through the API",
            target.account
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<38} {:<24} {:<6} URL", "ID", "EVENT", "TOKEN");
    for webhook in &webhooks {
        let has_token = stored
            .iter()
            .any(|(key, _)| key.parts().last() == Some(&webhook.id));
        println!(
            "{:<38} {:<24} {:<6} {}",
            webhook.id,
            webhook.event.as_deref().unwrap_or("?"),
            if has_token { "stored" } else { "-" },
            webhook.url.as_deref().unwrap_or("?"),
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn delete(
    target: &Target,
    plugins: &HandlerRegistry,
    ids: &[String],
) -> anyhow::Result<ExitCode> {
    let (store, client) = open(target, plugins).await?;
    for id in ids {
        client
            .delete_webhook(id)
            .await
            .with_context(|| format!("deleting webhook {id}"))?;
        let forgotten = registered_tokens::forget(&*store, &target.account, id).await?;
        println!(
            "deleted {id}{}",
            if forgotten > 0 {
                " and forgot its signing token"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The name of an event's switch on Lever's webhook settings page.
fn settings_name(event: &str) -> &'static str {
    match event {
        "applicationCreated" => "Application Created",
        "candidateHired" => "Candidate Hired",
        "candidateStageChange" => "Candidate Stage Change",
        "candidateArchiveChange" => "Candidate Archive State Change",
        "candidateDeleted" => "Candidate Deleted",
        "interviewCreated" => "Interview Created",
        "interviewUpdated" => "Interview Updated",
        "interviewDeleted" => "Interview Deleted",
        "contactCreated" => "Contact Created",
        "contactUpdated" => "Contact Updated",
        _ => "(unknown event)",
    }
}
