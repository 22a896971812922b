//! `lever-hooks fake-lever`: run the fake Lever ([`crate::fake_lever`]) from a fixture file
//! until ctrl-c, sending its webhooks to a local lever-hooks if asked.

use crate::event::KNOWN_EVENTS;
use crate::fake_lever::{self, FakeLever, FakeLeverOptions, Fixture, LEVER_RATE_LIMIT};
use crate::telemetry::{self, LogFormat};
use anyhow::{bail, Context};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `fake-lever`.
#[derive(Debug, Clone, clap::Args)]
pub struct FakeLeverArgs {
    /// The fixture: the account's stages, opportunities, contacts… (see examples/fake-lever.json).
    #[arg(long)]
    pub fixture: PathBuf,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:4010")]
    pub listen: String,
    /// Where to send webhooks (e.g. http://127.0.0.1:8080/webhooks/lever).
    #[arg(long, requires = "signing_tokens")]
    pub webhook_url: Option<String>,
    /// The signing token for deliveries to --webhook-url: `TOKEN` for every event, or
    /// `EVENT=TOKEN` for one event (repeatable).
    #[arg(
        long = "signing-token",
        value_name = "[EVENT=]TOKEN",
        requires = "webhook_url"
    )]
    pub signing_tokens: Vec<String>,
    /// Requests per second and burst, per credential.
    #[arg(long, value_name = "PER_SECOND,BURST", value_parser = parse_rate_limit)]
    pub rate_limit: Option<(u32, u32)>,
    /// Serve every request, however fast.
    #[arg(long, conflicts_with = "rate_limit")]
    pub no_rate_limit: bool,
}

fn parse_rate_limit(text: &str) -> Result<(u32, u32), String> {
    let usage = || format!("expected PER_SECOND,BURST such as 10,20, not \"{text}\"");
    let (rate, burst) = text.split_once(',').ok_or_else(usage)?;
    let rate: u32 = rate.trim().parse().map_err(|_| usage())?;
    let burst: u32 = burst.trim().parse().map_err(|_| usage())?;
    if rate == 0 || burst == 0 {
        return Err("the rate and the burst must be at least 1".to_owned());
    }
    Ok((rate, burst))
}

/// Splits `--signing-token` values: `EVENT=TOKEN` when the part before `=` is one of
/// Lever's events or `default`, otherwise the whole value is the default token.
pub fn signing_tokens(values: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut tokens = BTreeMap::new();
    for value in values {
        let (event, token) = match value.split_once('=') {
            Some((event, token)) if event == "default" || KNOWN_EVENTS.contains(&event) => {
                (event, token)
            }
            _ => ("default", value.as_str()),
        };
        if token.is_empty() {
            bail!("--signing-token {event}=: the token is empty");
        }
        if tokens.insert(event.to_owned(), token.to_owned()).is_some() {
            bail!("--signing-token: two tokens for {event}");
        }
    }
    Ok(tokens)
}

/// Runs `fake-lever` until ctrl-c.
pub async fn run(args: FakeLeverArgs) -> anyhow::Result<ExitCode> {
    telemetry::init(LogFormat::Text);
    let fixture = Fixture::load(&args.fixture)?;
    for problem in fixture.unresolved_references() {
        eprintln!("warning: {}: {problem}", args.fixture.display());
    }
    let summary = Summary::of(&fixture);
    let options = FakeLeverOptions {
        fixture,
        listen: args.listen.clone(),
        webhook_url: args.webhook_url.clone(),
        signing_tokens: signing_tokens(&args.signing_tokens)?,
        rate_limit: match (args.no_rate_limit, args.rate_limit) {
            (true, _) => None,
            (false, chosen) => Some(chosen.unwrap_or(LEVER_RATE_LIMIT)),
        },
    };
    let rate_limit = options.rate_limit;
    let signing = options.signing_tokens.clone();
    let lever = fake_lever::start(options)
        .await
        .context("starting the fake Lever")?;
    print_banner(&lever, &args, &summary, rate_limit, &signing);
    tokio::signal::ctrl_c()
        .await
        .context("waiting for ctrl-c")?;
    println!("stopping");
    lever.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// Counts for the start banner.
struct Summary {
    counts: String,
    auth: String,
}

impl Summary {
    fn of(fixture: &Fixture) -> Self {
        let counts = format!(
            "{} opportunities, {} contacts, {} stages, {} archive reasons, {} postings, {} users, {} requisitions",
            fixture.opportunities.len(),
            fixture.contacts.len(),
            fixture.stages.len(),
            fixture.archive_reasons.len(),
            fixture.postings.len(),
            fixture.users.len(),
            fixture.requisitions.len(),
        );
        let keys = match fixture.api_keys.len() {
            0 => "any API key".to_owned(),
            n => format!("{n} API key(s) from the fixture"),
        };
        let auth = format!(
            "{keys} (HTTP Basic), or Bearer tokens for {} OAuth client(s)",
            fixture.oauth_clients.len()
        );
        Self { counts, auth }
    }
}

fn print_banner(
    lever: &FakeLever,
    args: &FakeLeverArgs,
    summary: &Summary,
    rate_limit: Option<(u32, u32)>,
    signing: &BTreeMap<String, String>,
) {
    println!("fake Lever API at {}", lever.url());
    println!(
        "  fixture:     {} ({})",
        args.fixture.display(),
        summary.counts
    );
    println!("  auth:        {}", summary.auth);
    println!("  oauth token: POST {}/oauth/token", lever.base_url());
    match rate_limit {
        Some((rate, burst)) => println!(
            "  rate limit:  {rate} requests/s, bursts of {burst}, per credential (429 beyond)"
        ),
        None => println!("  rate limit:  off"),
    }
    match &args.webhook_url {
        Some(url) => {
            let events: Vec<&str> = signing.keys().map(String::as_str).collect();
            println!(
                "  webhooks:    candidateStageChange, candidateArchiveChange, candidateHired -> {url} (tokens for: {})",
                events.join(", ")
            );
        }
        None => println!("  webhooks:    only to webhooks created with POST /v1/webhooks"),
    }
    println!(
        "  controls:    POST {0}/_fake/fail, GET {0}/_fake/requests, GET {0}/_fake/state, GET {0}/_fake/deliveries, POST {0}/_fake/reset-log",
        lever.base_url()
    );
    println!("ctrl-c stops it");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_tokens_split_per_event_and_default() {
        let values = [
            "plain-token".to_owned(),
            "candidateHired=hired-token".to_owned(),
        ];
        let tokens = signing_tokens(&values).unwrap();
        assert_eq!(tokens["default"], "plain-token");
        assert_eq!(tokens["candidateHired"], "hired-token");
    }

    #[test]
    fn a_token_with_an_equals_sign_that_names_no_event_is_the_default() {
        let tokens = signing_tokens(&["abc=def==".to_owned()]).unwrap();
        assert_eq!(tokens["default"], "abc=def==");
    }

    #[test]
    fn two_defaults_are_an_error() {
        assert!(signing_tokens(&["a".to_owned(), "b".to_owned()]).is_err());
    }

    #[test]
    fn rate_limits_parse_as_rate_and_burst() {
        assert_eq!(parse_rate_limit("10,20"), Ok((10, 20)));
        assert!(parse_rate_limit("10").is_err());
        assert!(parse_rate_limit("0,5").is_err());
    }
}
