//! `lever-hooks rules test`: reads one opportunity through the Data API and prints which
//! of a `categorize` handler's rules match it and what they would do; writes nothing.

use crate::config::{Config, DEFAULT_ACCOUNT};
use crate::handler::lever::categorize::explain;
use crate::handler::{CategorizeConfig, HandlerRegistry};
use crate::lever::OpportunityFacts;
use crate::lever_accounts::LeverAccounts;
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: RulesCommand,
}

/// The `rules` subcommands.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Print which rules of a `categorize` handler match an opportunity now, and what
    /// they would do (nothing is written to Lever).
    Test(TestArgs),
}

/// Arguments of `rules test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The config file.
    #[arg(long, short, env = "LEVER_HOOKS_CONFIG")]
    pub config: PathBuf,
    /// The `categorize` handler whose rules to test.
    #[arg(long)]
    pub handler: String,
    /// The opportunity id.
    #[arg(long)]
    pub opportunity: String,
    /// The account to read it from.
    #[arg(long, default_value = DEFAULT_ACCOUNT)]
    pub account: String,
}

/// Runs `rules test`, printing to `out`. The configured store is opened only for the
/// account's OAuth session (a sled store needs lever-hooks stopped, as for `reconcile`).
pub async fn run(
    args: RulesArgs,
    plugins: &HandlerRegistry,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<ExitCode> {
    let RulesCommand::Test(args) = args.command;
    let config = match Config::load(&args.config, plugins) {
        Ok(config) => config,
        Err(e) => {
            eprint!("{e}");
            return Ok(ExitCode::from(1));
        }
    };
    let Some(settings) = config.handlers.get(&args.handler) else {
        bail!("no handler `{}` in the config", args.handler);
    };
    let Some(rules) = settings.get::<CategorizeConfig>() else {
        bail!(
            "handler `{}` is of kind `{}`, not `categorize`",
            args.handler,
            settings.kind()
        );
    };
    let store = crate::app::open_store(&config.storage)
        .await
        .context("opening the store (a sled store needs lever-hooks stopped)")?;
    let accounts = LeverAccounts::from_config(&config, store.clone())
        .context("building the Data API clients")?;
    let Some(api) = accounts.get(&args.account) else {
        bail!(
            "account `{}` is not configured with Data API credentials",
            args.account
        );
    };
    let facts = OpportunityFacts::read(&api.client, &api.directory, &args.opportunity)
        .await
        .with_context(|| format!("reading opportunity {}", args.opportunity))?;
    write!(out, "{}", report(&args.handler, rules, &facts))?;
    Ok(ExitCode::SUCCESS)
}

/// What `rules test` prints (pure): the opportunity, then each matching rule and its
/// actions, or that none matches.
pub fn report(handler: &str, rules: &CategorizeConfig, facts: &OpportunityFacts) -> String {
    let opportunity = &facts.opportunity;
    let posting = facts
        .posting
        .as_ref()
        .and_then(|p| p.text.clone())
        .unwrap_or_else(|| "(no posting)".to_owned());
    let mut out = format!(
        "opportunity {} ({}), posting {posting}, origin {}\n",
        opportunity.id,
        opportunity.name.as_deref().unwrap_or("?"),
        opportunity.origin.as_deref().unwrap_or("?"),
    );
    let matched = explain(rules, facts);
    if matched.is_empty() {
        out.push_str(&format!(
            "{handler}: no rule matches; nothing would be done\n"
        ));
    }
    for (rule, actions) in matched {
        out.push_str(&format!("{handler}: {rule} matches\n"));
        for action in actions {
            out.push_str(&format!("  would {action}\n"));
        }
    }
    out.push_str("nothing was written\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_report_names_each_matching_rule_and_what_it_would_do() {
        let rules: CategorizeConfig = toml::from_str(
            "mode = \"all\"\n\
             [[rules]]\nname = \"referrals\"\nwhen = { origin = \"referred\" }\nstage = \"Phone Screen\"\n\
             [[rules]]\nwhen = { tags_any = [\"Sales\"] }\nadd_tags = [\"AE\"]\n\
             [[rules]]\nadd_tags = [\"Seen\"]\nnote = \"Categorized\"\n",
        )
        .unwrap();
        let opportunity = serde_json::from_value(
            json!({"id": "o1", "name": "Dana Whitfield", "origin": "referred"}),
        )
        .unwrap();
        let facts = OpportunityFacts::from_parts(opportunity, None, None);

        assert_eq!(
            report("categorize", &rules, &facts),
            "opportunity o1 (Dana Whitfield), posting (no posting), origin referred\n\
             categorize: referrals matches\n  would move to stage \"Phone Screen\"\n\
             categorize: rules[2] matches\n  would add tags Seen\n  would add note \"Categorized\"\n\
             nothing was written\n"
        );
    }
}
