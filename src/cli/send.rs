//! `lever-hooks send`: build a realistic Lever delivery, sign it the way Lever does, POST
//! it and print the answer. The way to try lever-hooks (and your handlers) without Lever.

use crate::sample::{random_token, signed_body, SampleEvent};
use crate::store::now_millis;
use anyhow::{bail, Context};
use serde_json::Value;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `send`.
#[derive(Debug, Clone, clap::Args)]
pub struct SendArgs {
    /// Where to POST.
    #[arg(long, default_value = "http://127.0.0.1:8080/webhooks/lever")]
    pub url: String,
    /// The signing token to sign with (the one in your config for this event).
    #[arg(long, env = "LEVER_SIGNING_TOKEN", hide_env_values = true)]
    pub signing_token: String,
    /// The event type: any of Lever's ten, or another name to try an unknown event.
    #[arg(long, default_value = "candidateStageChange")]
    pub event: String,
    /// `opportunityId` (default: random).
    #[arg(long)]
    pub opportunity: Option<String>,
    /// `contactId` (default: random).
    #[arg(long)]
    pub contact: Option<String>,
    /// `fromStageId` of a stage change.
    #[arg(long, default_value = "applicant-new")]
    pub from_stage: String,
    /// `toStageId` of a stage change.
    #[arg(long, default_value = "offer")]
    pub to_stage: String,
    /// `toArchived.reason` of an archive change (default: random).
    #[arg(long, conflicts_with = "unarchive")]
    pub archive_reason: Option<String>,
    /// Make the archive change an unarchive (`toArchived` is null).
    #[arg(long)]
    pub unarchive: bool,
    /// A file whose JSON object is sent as `data` (`-` reads stdin).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// `triggeredAt` in ms since the epoch (default: now).
    #[arg(long)]
    pub triggered_at: Option<u64>,
    /// The per-delivery token (default: random, as Lever does).
    #[arg(long)]
    pub token: Option<String>,
    /// Send the same delivery this many times (the repeats should be `duplicate`).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,
    /// Print the body before sending it.
    #[arg(long)]
    pub print: bool,
}

/// One answer from the service.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The response body.
    pub body: String,
}

/// The body `send` would POST for these arguments.
pub fn build_body(args: &SendArgs) -> anyhow::Result<Vec<u8>> {
    let triggered_at = args.triggered_at.unwrap_or_else(now_millis);
    let data = match &args.data {
        Some(path) => read_data(path)?,
        None => sample_of(args).data(triggered_at),
    };
    let token = args.token.clone().unwrap_or_else(random_token);
    Ok(signed_body(
        &args.signing_token,
        &args.event,
        &data,
        triggered_at,
        &token,
    ))
}

fn sample_of(args: &SendArgs) -> SampleEvent {
    let mut sample = SampleEvent::new(&args.event);
    if let Some(opportunity) = &args.opportunity {
        sample.opportunity_id = opportunity.clone();
    }
    if let Some(contact) = &args.contact {
        sample.contact_id = contact.clone();
    }
    sample.from_stage = args.from_stage.clone();
    sample.to_stage = args.to_stage.clone();
    if args.unarchive {
        sample.archive_reason = None;
    } else if let Some(reason) = &args.archive_reason {
        sample.archive_reason = Some(reason.clone());
    }
    sample
}

fn read_data(path: &PathBuf) -> anyhow::Result<Value> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading --data from stdin")?;
        text
    } else {
        std::fs::read_to_string(path)
            .with_context(|| format!("reading --data {}", path.display()))?
    };
    let value: Value = serde_json::from_str(&text)
        .with_context(|| format!("--data {} is not valid JSON", path.display()))?;
    if !value.is_object() {
        bail!(
            "--data {} must hold a JSON object (Lever's `data` is always an object)",
            path.display()
        );
    }
    Ok(value)
}

/// Builds the delivery and POSTs it `repeat` times; returns every answer.
pub async fn deliver(args: &SendArgs) -> anyhow::Result<Vec<Answer>> {
    let body = build_body(args)?;
    if args.print {
        println!("{}", String::from_utf8_lossy(&body));
    }
    let client = reqwest::Client::builder()
        .user_agent("Lever-Webhooks")
        .build()
        .context("building the HTTP client")?;
    let mut answers = Vec::new();
    for _ in 0..args.repeat {
        let response = client
            .post(&args.url)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .with_context(|| format!("POST {} failed: is lever-hooks running there?", args.url))?;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        answers.push(Answer { status, body });
    }
    Ok(answers)
}

/// Runs `send`: prints each answer; exits 0 when all were 2xx.
pub async fn run(args: SendArgs) -> anyhow::Result<ExitCode> {
    let answers = deliver(&args).await?;
    let mut all_ok = true;
    for answer in &answers {
        println!("{} {}", answer.status, answer.body);
        all_ok &= (200..300).contains(&answer.status);
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
