//! `dead-letters list` and `dead-letters retry`.

use super::client::{parse, AdminClient};
use super::table::{time, Table};
use super::{fetch_pages, width, write_json_pages, Paging};
use crate::store::{Job, StoredEvent};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
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

/// `dead-letters retry`: one `POST /api/v1/dead-letters/retry` with the filter, which the
/// store does in one durable step (`Store::retry_dead`). With no filter and no `--yes`, it
/// counts the dead letters first and asks.
pub async fn retry(
    api: &AdminClient,
    params: &[(&'static str, String)],
    yes: bool,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    if params.is_empty() && !yes {
        let every_page = Paging {
            limit: 500,
            all: true,
        };
        let pages = fetch_pages(api, PATH, params, &every_page, |p: &DeadLetterPage| {
            p.next.clone()
        })
        .await?;
        let count: usize = pages.iter().map(|(p, _)| p.dead_letters.len()).sum();
        if count > 0 {
            if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
                eprintln!(
                    "error: with no filter this retries all {count} dead letters; pass --yes to go ahead"
                );
                return Ok(ExitCode::from(2));
            }
            if !confirm(count)? {
                eprintln!("nothing retried");
                return Ok(ExitCode::from(1));
            }
        }
    }
    let body: Map<String, Value> = params
        .iter()
        .map(|(key, value)| ((*key).to_owned(), Value::String(value.clone())))
        .collect();
    let raw = api
        .post(&format!("{PATH}/retry"), &Value::Object(body))
        .await?;
    if json {
        writeln!(out, "{raw}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let answer: Value = parse(&raw)?;
    let retried = answer["retried"].as_array().map_or(0, Vec::len);
    if retried == 0 {
        writeln!(out, "no dead letters match")?;
    } else {
        writeln!(
            out,
            "retried {retried} dead letter{}",
            if retried == 1 { "" } else { "s" }
        )?;
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
