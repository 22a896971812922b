//! `events list`, `events show` and `events replay`.

use super::client::{parse, AdminClient, AdminError};
use super::table::{cut, duration, time, time_ms, Table};
use super::{fetch_pages, name, progress, write_json_pages, Paging};
use crate::store::{EventPage, EventView};
use anyhow::bail;
use serde_json::{json, Value};
use std::io::Write;
use std::process::ExitCode;

/// `events list`: a table, newest first, or the API's page (all pages merged with `--all`).
pub async fn list(
    api: &AdminClient,
    params: &[(&'static str, String)],
    paging: &Paging,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let pages = fetch_pages(api, "/api/v1/events", params, paging, |p: &EventPage| {
        p.next.clone()
    })
    .await?;
    if json {
        write_json_pages(
            pages,
            |pages| EventPage {
                events: pages.into_iter().flat_map(|p| p.events).collect(),
                next: None,
            },
            out,
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let more = pages.last().is_some_and(|(p, _)| p.next.is_some());
    let mut table = Table::new(&[
        "RECEIVED",
        "ID",
        "ACCOUNT",
        "EVENT",
        "OPPORTUNITY",
        "STATUS",
        "HANDLERS",
    ]);
    for view in pages.iter().flat_map(|(p, _)| &p.events) {
        let handlers: Vec<String> = view
            .jobs
            .iter()
            .map(|j| format!("{}:{}", j.handler, name(&j.state)))
            .collect();
        let event = &view.event;
        table.row(vec![
            time(event.received_at),
            event.id.to_string(),
            event.account.clone(),
            event.event.clone(),
            event
                .opportunity_id
                .as_ref()
                .map_or("-".to_owned(), |o| o.as_str().to_owned()),
            name(&view.status),
            if handlers.is_empty() {
                "-".to_owned()
            } else {
                handlers.join(", ")
            },
        ]);
    }
    if table.is_empty() {
        writeln!(out, "no events match")?;
    } else {
        table.write(out, None)?;
    }
    if more {
        writeln!(
            out,
            "(older events not shown: add --all, or narrow with --until)"
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `events show`: the event, its data pretty-printed, and every attempt of every job.
pub async fn show(
    api: &AdminClient,
    id: &str,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let raw = api.get(&event_path(id)?, &[]).await?;
    if json {
        writeln!(out, "{raw}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let view: EventView = parse(&raw)?;
    let event = &view.event;
    let mut fields = vec![
        ("id", event.id.to_string()),
        ("account", event.account.clone()),
        ("event", event.event.clone()),
        ("status", name(&view.status)),
        ("received", time_ms(event.received_at)),
        ("triggered", time_ms(event.triggered_at)),
    ];
    fields.extend((event.opportunity_id.as_ref()).map(|o| ("opportunity", o.as_str().to_owned())));
    fields.extend((event.contact_id.as_ref()).map(|c| ("contact", c.as_str().to_owned())));
    fields.extend(event.envelope_id.clone().map(|e| ("envelope id", e)));
    fields.extend(event.purged_at.map(|p| ("purged", time_ms(p))));
    for (key, value) in fields {
        writeln!(out, "{key:<12} {value}")?;
    }
    let data: Value = serde_json::from_str(event.data.get())?;
    writeln!(out, "\ndata:")?;
    for line in serde_json::to_string_pretty(&data)?.lines() {
        writeln!(out, "  {line}")?;
    }
    if view.jobs.is_empty() {
        writeln!(out, "\nno jobs (routed to no handler, or not routed yet)")?;
    }
    for job in &view.jobs {
        writeln!(
            out,
            "\njob {} ({}), {} attempt{}",
            job.handler,
            name(&job.state),
            job.attempts.len(),
            if job.attempts.len() == 1 { "" } else { "s" }
        )?;
        let mut table = Table::new(&["  #", "STARTED", "DURATION", "OUTCOME", "ERROR"]);
        for attempt in &job.attempts {
            table.row(vec![
                format!("  {}", attempt.number),
                time_ms(attempt.started_at),
                duration(attempt.duration_ms),
                name(&attempt.outcome),
                attempt
                    .error
                    .as_deref()
                    .map_or("-".to_owned(), |e| cut(e, None)),
            ]);
        }
        if !job.attempts.is_empty() {
            table.write(out, None)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `events replay`: each event's jobs (or one handler's) again; a bar when several.
pub async fn replay(
    api: &AdminClient,
    ids: &[String],
    handler: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let paths = ids
        .iter()
        .map(|id| Ok(format!("{}/replay", event_path(id)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // The API asks for an explicit `all` before it runs every handler's job again.
    let body = handler.map_or_else(|| json!({"all": true}), |h| json!({ "handler": h }));
    let bar = progress(ids.len(), "replaying");
    if ids.len() < 2 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut replayed: Vec<String> = Vec::new();
    let mut failed: Vec<(String, String)> = Vec::new();
    for (id, path) in ids.iter().zip(&paths) {
        match api.post(path, &body).await {
            Ok(raw) => {
                let answer: Value = parse(&raw)?;
                let jobs = answer["replayed"].as_array().into_iter().flatten();
                replayed.extend(jobs.filter_map(|j| j.as_str().map(str::to_owned)));
            }
            // Nothing else will work either: stop at once with the clear message.
            Err(e @ (AdminError::Unauthorized | AdminError::Unreachable { .. })) => {
                bar.abandon();
                return Err(e.into());
            }
            Err(e) => failed.push((id.clone(), e.to_string())),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if json {
        let failed: Vec<Value> = failed
            .iter()
            .map(|(id, error)| json!({"id": id, "error": error}))
            .collect();
        writeln!(out, "{}", json!({"replayed": replayed, "failed": failed}))?;
    } else {
        for job in &replayed {
            writeln!(out, "replaying {job}")?;
        }
        for (id, error) in &failed {
            writeln!(out, "not replayed {id}: {error}")?;
        }
    }
    if !failed.is_empty() {
        bail!(
            "{} of {} events could not be replayed",
            failed.len(),
            ids.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `/api/v1/events/{id}`, refusing ids that would change the path.
fn event_path(id: &str) -> anyhow::Result<String> {
    let fine = |c: char| c.is_ascii_alphanumeric() || "_-.:".contains(c);
    if id.is_empty() || !id.chars().all(fine) {
        bail!("`{id}` is not an event id (they look like evt_…)");
    }
    Ok(format!("/api/v1/events/{id}"))
}
