//! `dead-letters list` and `dead-letters retry`.

use super::client::{parse, AdminClient, AdminError};
use super::table::{time, Table};
use super::{fetch_pages, progress, width, write_json_pages, Paging};
use crate::store::{Job, StoredEvent};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

/// One dead letter as `GET /api/v1/dead-letters` sends it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeadLetter {
    job: Job,
    event: StoredEvent,
    last_error: Option<String>,
}

/// A page of dead letters.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeadLetterPage {
    dead_letters: Vec<DeadLetter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

const PATH: &str = "/api/v1/dead-letters";

/// `dead-letters list`: a table with each job's last error cut to the terminal's width.
pub async fn list(
    api: &AdminClient,
    params: &[(&'static str, String)],
    paging: &Paging,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let pages = fetch_pages(api, PATH, params, paging, |p: &DeadLetterPage| {
        p.next.clone()
    })
    .await?;
    if json {
        write_json_pages(
            pages,
            |pages| DeadLetterPage {
                dead_letters: pages.into_iter().flat_map(|p| p.dead_letters).collect(),
                next: None,
            },
            out,
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let more = pages.last().is_some_and(|(p, _)| p.next.is_some());
    let mut table = Table::new(&[
        "RECEIVED",
        "EVENT ID",
        "EVENT",
        "HANDLER",
        "ATTEMPTS",
        "LAST ERROR",
    ]);
    for letter in pages.iter().flat_map(|(p, _)| &p.dead_letters) {
        table.row(vec![
            time(letter.event.received_at),
            letter.event.id.to_string(),
            letter.event.event.clone(),
            letter.job.handler.clone(),
            letter.job.attempts.len().to_string(),
            letter.last_error.clone().unwrap_or_else(|| "-".to_owned()),
        ]);
    }
    if table.is_empty() {
        writeln!(out, "no dead letters match")?;
    } else {
        table.write(out, Some(width()))?;
    }
    if more {
        writeln!(out, "(older dead letters not shown: add --all)")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `dead-letters retry`: lists every match, then replays them job by job under a bar.
pub async fn retry(
    api: &AdminClient,
    params: &[(&'static str, String)],
    yes: bool,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let every_page = Paging {
        limit: 500,
        all: true,
    };
    let pages = fetch_pages(api, PATH, params, &every_page, |p: &DeadLetterPage| {
        p.next.clone()
    })
    .await?;
    let letters: Vec<DeadLetter> = pages
        .into_iter()
        .flat_map(|(p, _)| p.dead_letters)
        .collect();
    if letters.is_empty() {
        if json {
            writeln!(out, "{}", json!({"retried": [], "failed": []}))?;
        } else {
            writeln!(out, "no dead letters match")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if params.is_empty() && !yes {
        if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
            eprintln!(
                "error: with no filter this retries all {} dead letters; pass --yes to go ahead",
                letters.len()
            );
            return Ok(ExitCode::from(2));
        }
        if !confirm(letters.len())? {
            eprintln!("nothing retried");
            return Ok(ExitCode::from(1));
        }
    }

    let bar = progress(letters.len(), "retrying");
    let mut retried: Vec<String> = Vec::new();
    let mut failed: Vec<(String, String)> = Vec::new();
    for letter in &letters {
        let path = format!("/api/v1/events/{}/replay", letter.event.id);
        match api
            .post(&path, &json!({"handler": letter.job.handler}))
            .await
        {
            Ok(raw) => {
                let answer: Value = parse(&raw)?;
                let jobs = answer["replayed"].as_array().into_iter().flatten();
                retried.extend(jobs.filter_map(|j| j.as_str().map(str::to_owned)));
            }
            Err(e @ (AdminError::Unauthorized | AdminError::Unreachable { .. })) => {
                bar.abandon();
                return Err(e.into());
            }
            Err(e) => failed.push((letter.job.id.clone(), e.to_string())),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    if json {
        let failed: Vec<Value> = failed
            .iter()
            .map(|(job, error)| json!({"job": job, "error": error}))
            .collect();
        writeln!(out, "{}", json!({"retried": retried, "failed": failed}))?;
    } else {
        writeln!(
            out,
            "retried {} dead letter{}",
            retried.len(),
            if retried.len() == 1 { "" } else { "s" }
        )?;
        for (job, error) in &failed {
            writeln!(out, "not retried {job}: {error}")?;
        }
    }
    if !failed.is_empty() {
        anyhow::bail!(
            "{} of {} dead letters could not be retried",
            failed.len(),
            letters.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks on the terminal before retrying everything; true on `y` or `yes`.
fn confirm(count: usize) -> anyhow::Result<bool> {
    eprint!("No filter given: retry all {count} dead letters? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}
