//! `lever-hooks send-result`: build a provider's result, sign it with Standard Webhooks as
//! a provider would, POST it to `/providers/…` and print the answer.

use crate::standard_webhooks::{signature_headers, signing_key};
use anyhow::Context;
use secrecy::SecretString;
use serde_json::{json, Map, Value};
use std::process::ExitCode;

/// Arguments of `send-result`.
#[derive(Debug, Clone, clap::Args)]
pub struct SendResultArgs {
    /// The lever-hooks intake listener.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The account (default: the `[lever]` account).
    #[arg(long)]
    pub account: Option<String>,
    /// The handler that made the request.
    #[arg(long)]
    pub handler: String,
    /// The provider's id for the request.
    #[arg(long)]
    pub reference: String,
    /// The provider's status word (`clear`, `consider`, `completed`, `created`, …).
    #[arg(long)]
    pub status: String,
    /// A score, for assessments.
    #[arg(long)]
    pub score: Option<f64>,
    /// The highest possible score.
    #[arg(long)]
    pub max_score: Option<f64>,
    /// The provider's verdict.
    #[arg(long)]
    pub passed: Option<bool>,
    /// Where a recruiter can read the report.
    #[arg(long)]
    pub report_url: Option<String>,
    /// A line or two a recruiter can read.
    #[arg(long)]
    pub summary: Option<String>,
    /// The employee's id in the HRIS.
    #[arg(long)]
    pub employee_id: Option<String>,
    /// The handler's `callback_secret` (`whsec_…` or raw).
    #[arg(long, env = "LEVER_HOOKS_CALLBACK_SECRET", hide_env_values = true)]
    pub secret: String,
    /// The `webhook-id` (default: random); send the same one again to see `duplicate`.
    #[arg(long)]
    pub webhook_id: Option<String>,
}

/// The URL `send-result` posts to.
pub fn target(args: &SendResultArgs) -> String {
    let base = args.url.trim_end_matches('/');
    match &args.account {
        Some(account) => format!("{base}/providers/{account}/{}", args.handler),
        None => format!("{base}/providers/{}", args.handler),
    }
}

/// The body `send-result` posts: `reference`, `status` and the optional fields given.
pub fn build_body(args: &SendResultArgs) -> Vec<u8> {
    let mut body = Map::new();
    body.insert("reference".into(), json!(args.reference));
    body.insert("status".into(), json!(args.status));
    let optional = [
        ("score", args.score.map(Value::from)),
        ("maxScore", args.max_score.map(Value::from)),
        ("passed", args.passed.map(Value::from)),
        ("reportUrl", args.report_url.clone().map(Value::from)),
        ("summary", args.summary.clone().map(Value::from)),
        ("employeeId", args.employee_id.clone().map(Value::from)),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            body.insert(key.into(), value);
        }
    }
    serde_json::to_vec(&Value::Object(body)).expect("a JSON object serializes")
}

/// Signs and POSTs the result; returns the status and the answer's body.
pub async fn deliver(args: &SendResultArgs) -> anyhow::Result<(u16, String)> {
    let key = signing_key(&SecretString::from(args.secret.clone()))
        .map_err(|e| anyhow::anyhow!("--secret: {e}"))?;
    let body = build_body(args);
    let id = args
        .webhook_id
        .clone()
        .unwrap_or_else(|| format!("msg_{}", uuid::Uuid::now_v7().simple()));
    let timestamp = crate::store::now_millis() / 1000;
    let url = target(args);
    let mut request = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json");
    for (name, value) in signature_headers(&key, &id, timestamp, &body) {
        request = request.header(name, value);
    }
    let response = request
        .body(body)
        .send()
        .await
        .with_context(|| format!("POST {url} failed: is lever-hooks running there?"))?;
    let status = response.status().as_u16();
    Ok((status, response.text().await.unwrap_or_default()))
}

/// Runs `send-result`: prints the answer; exits 0 when it was 2xx.
pub async fn run(args: SendResultArgs) -> anyhow::Result<ExitCode> {
    let (status, body) = deliver(&args).await?;
    println!("{status} {body}");
    Ok(if (200..300).contains(&status) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SendResultArgs,
    }

    fn parse(extra: &[&str]) -> SendResultArgs {
        let base = [
            "x",
            "--handler",
            "bgcheck",
            "--reference",
            "r1",
            "--status",
            "clear",
            "--secret",
            "s",
        ];
        Cli::parse_from(base.iter().chain(extra)).args
    }

    #[test]
    fn the_body_holds_the_given_fields_and_the_url_the_account() {
        let args = parse(&[
            "--score",
            "82",
            "--passed",
            "true",
            "--report-url",
            "https://r.example/1",
        ]);
        let body: Value = serde_json::from_slice(&build_body(&args)).unwrap();
        assert_eq!(
            body,
            json!({"reference": "r1", "status": "clear", "score": 82.0, "passed": true,
                   "reportUrl": "https://r.example/1"})
        );
        assert_eq!(target(&args), "http://127.0.0.1:8080/providers/bgcheck");
        let acme = parse(&["--account", "acme", "--url", "http://h:1/"]);
        assert_eq!(target(&acme), "http://h:1/providers/acme/bgcheck");
    }
}
