//! The dashboard's HTML (pure): the page frame with its inline CSS, the deliveries list
//! with the failures panel, the event page and the login form. Every value that comes from
//! the store or the request goes through [`escape`] (and [`url_part`] inside URLs).

use crate::event::{EventId, EventSource};
use crate::store::{EventPage, EventStatus, EventView, Job, JobState, Millis, StoredEvent};
use std::fmt::Write;
use std::time::{Duration, UNIX_EPOCH};

/// How often the deliveries and event pages reload themselves.
const REFRESH_SECONDS: u32 = 5;

/// `text` with the five characters that mean something in HTML replaced by entities, so
/// it is shown as text both between tags and inside quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` percent-encoded for a URL path segment or query value (every byte but
/// `A-Z a-z 0-9 - . _ ~`), so an id can neither leave its segment nor start a query.
pub fn url_part(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// A whole page: `body` inside the frame, with a sign-out button when `sign_out` (the
/// operator came in through the cookie) and a reload every few seconds when `refresh`.
pub fn page(title: &str, refresh: bool, sign_out: bool, body: &str) -> String {
    let refresh = if refresh {
        format!("<meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\">")
    } else {
        String::new()
    };
    let sign_out = if sign_out {
        "<form method=\"post\" action=\"/logout\" class=\"inline\"><button type=\"submit\" class=\"link\">Sign out</button></form>"
    } else {
        ""
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{refresh}\
         <title>{title} · lever-hooks</title><style>{CSS}</style></head>\
         <body><header><a href=\"/\" class=\"brand\">lever-hooks</a>{sign_out}</header>\
         <main>{body}</main></body></html>",
        title = escape(title),
    )
}

const CSS: &str = "\
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}\
header{display:flex;justify-content:space-between;align-items:center;padding:10px 24px;background:#1d2330}\
header a.brand{color:#fff;font-weight:600;text-decoration:none}\
main{padding:16px 24px;max-width:1200px}\
h1{font-size:20px;margin:8px 0 12px}h2{font-size:16px;margin:20px 0 8px}h3{font-size:14px;margin:16px 0 6px}\
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e7}\
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #eceef2;vertical-align:top}\
th{background:#f0f2f5;font-weight:600}\
a{color:#2456c7}code,pre{font:12px/1.4 ui-monospace,monospace}\
pre{background:#fff;border:1px solid #dde1e7;padding:10px;overflow:auto;max-height:420px}\
.status{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;background:#e4e7ec}\
.status.done{background:#d7f2df;color:#155d2c}.status.dead{background:#fbdada;color:#8a1c1c}\
.status.pending{background:#fdf0cc;color:#6b4d00}\
.status.reconciled{background:#dde7fb;color:#1f3f86}\
.panel{background:#fff5f5;border:1px solid #f1c4c4;padding:4px 12px 12px;margin-bottom:20px}\
.panel table{border-color:#f1c4c4}.error{color:#8a1c1c}\
.filters a{margin-right:10px}.filters a.on{font-weight:700;text-decoration:none;color:#1d2330}\
.inline{display:inline}button{font:inherit;cursor:pointer;padding:3px 12px}\
button.link{background:none;border:none;color:#fff;text-decoration:underline}\
dl{display:grid;grid-template-columns:max-content auto;gap:4px 16px;background:#fff;border:1px solid #dde1e7;padding:10px}\
dt{font-weight:600}dd{margin:0}.muted{color:#6b7280}\
form.login{background:#fff;border:1px solid #dde1e7;padding:16px;max-width:420px}\
form.login input{width:100%;box-sizing:border-box;padding:6px;margin:6px 0 12px}";

/// A time as `2026-11-29 10:00:00Z` (UTC).
fn time(ms: Millis) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(ms))
        .to_string()
        .replacen('T', " ", 1)
}

fn status_name(status: EventStatus) -> &'static str {
    match status {
        EventStatus::Unrouted => "unrouted",
        EventStatus::Pending => "pending",
        EventStatus::Dead => "dead",
        EventStatus::Done => "done",
    }
}

fn job_state(state: JobState) -> &'static str {
    match state {
        JobState::Pending => "pending",
        JobState::Done => "done",
        JobState::Dead => "dead",
    }
}

fn badge(class: &str) -> String {
    format!("<span class=\"status {class}\">{class}</span>")
}

fn event_link(event: &StoredEvent) -> String {
    format!(
        "<a href=\"/events/{}\"><code>{}</code></a>",
        url_part(event.id.as_str()),
        escape(event.id.as_str())
    )
}

/// A "reconciled" badge after the name of an event reconciliation found, else nothing.
fn reconciled(event: &StoredEvent) -> &'static str {
    if event.source() == EventSource::Reconcile {
        " <span class=\"status reconciled\" title=\"found by polling Lever's Data API; no webhook delivered it\">reconciled</span>"
    } else {
        ""
    }
}

fn opportunity(event: &StoredEvent) -> String {
    event.opportunity_id.as_ref().map_or_else(
        || "<span class=\"muted\">–</span>".to_owned(),
        |o| escape(o.as_str()),
    )
}

/// What `/` shows: the filter, the failures panel, and one page of deliveries.
pub struct Deliveries<'a> {
    /// The page of events, newest first.
    pub page: &'a EventPage,
    /// Events with a dead letter (newest first), for the failures panel.
    pub dead: &'a EventPage,
    /// The status filter in use.
    pub status: Option<EventStatus>,
    /// Why the query could not be used, if it could not.
    pub problem: Option<&'a str>,
    /// Whether to offer a sign-out button.
    pub sign_out: bool,
}

/// The deliveries page.
pub fn deliveries(view: &Deliveries<'_>) -> String {
    let mut body = String::from("<h1>Deliveries</h1>");
    failures(&mut body, view.dead);
    body.push_str("<p class=\"filters\">Status: ");
    for (label, status) in [
        ("all", None),
        ("pending", Some(EventStatus::Pending)),
        ("dead", Some(EventStatus::Dead)),
        ("done", Some(EventStatus::Done)),
        ("unrouted", Some(EventStatus::Unrouted)),
    ] {
        let href = status.map_or("/".to_owned(), |s| format!("/?status={}", status_name(s)));
        let on = if status == view.status {
            " class=\"on\""
        } else {
            ""
        };
        let _ = write!(body, "<a href=\"{href}\"{on}>{label}</a>");
    }
    body.push_str("</p>");
    if let Some(problem) = view.problem {
        let _ = write!(body, "<p class=\"error\">{}</p>", escape(problem));
    }
    body.push_str(
        "<table id=\"deliveries\"><thead><tr><th>Received</th><th>Status</th><th>Event</th>\
         <th>Account</th><th>Opportunity</th><th>Handlers</th><th>Id</th></tr></thead><tbody>",
    );
    for item in &view.page.events {
        let event = &item.event;
        let handlers: Vec<String> = item
            .jobs
            .iter()
            .map(|job| {
                format!(
                    "{} <span class=\"status {state}\">{state}</span>",
                    escape(&job.handler),
                    state = job_state(job.state)
                )
            })
            .collect();
        let handlers = if handlers.is_empty() {
            "<span class=\"muted\">none</span>".to_owned()
        } else {
            handlers.join("<br>")
        };
        let _ = write!(
            body,
            "<tr data-event=\"{id}\" data-status=\"{status}\"><td>{time}</td><td>{badge}</td>\
             <td>{name}{reconciled}</td><td>{account}</td><td>{opportunity}</td><td>{handlers}</td>\
             <td>{link}</td></tr>",
            id = escape(event.id.as_str()),
            status = status_name(item.status),
            time = time(event.received_at),
            badge = badge(status_name(item.status)),
            name = escape(&event.event),
            reconciled = reconciled(event),
            account = escape(&event.account),
            opportunity = opportunity(event),
            link = event_link(event),
        );
    }
    if view.page.events.is_empty() {
        body.push_str("<tr><td colspan=\"7\" class=\"muted\">No deliveries.</td></tr>");
    }
    body.push_str("</tbody></table>");
    if let Some(next) = &view.page.next {
        let status = view
            .status
            .map_or(String::new(), |s| format!("&amp;status={}", status_name(s)));
        let _ = write!(
            body,
            "<p><a href=\"/?before={}{status}\">Older deliveries</a></p>",
            url_part(next)
        );
    }
    page("Deliveries", true, view.sign_out, &body)
}

/// The failures panel: one row per dead job, with its last error and a Retry button.
fn failures(body: &mut String, dead: &EventPage) {
    let letters: Vec<(&StoredEvent, &Job)> = dead
        .events
        .iter()
        .flat_map(|view| {
            view.jobs
                .iter()
                .filter(|job| job.state == JobState::Dead)
                .map(move |job| (&view.event, job))
        })
        .collect();
    if letters.is_empty() {
        return;
    }
    let _ = write!(
        body,
        "<section class=\"panel\" id=\"failures\"><h2>Failures ({})</h2>\
         <table><thead><tr><th>Received</th><th>Event</th><th>Handler</th><th>Attempts</th>\
         <th>Last error</th><th></th></tr></thead><tbody>",
        letters.len()
    );
    for (event, job) in letters {
        let error = job
            .attempts
            .last()
            .and_then(|a| a.error.as_deref())
            .unwrap_or("");
        let _ = write!(
            body,
            "<tr data-job=\"{job_id}\"><td>{time}</td><td>{name}<br>{link}</td><td>{handler}</td>\
             <td>{attempts}</td><td class=\"error\">{error}</td><td>\
             <form method=\"post\" action=\"/events/{id}/retry\">\
             <input type=\"hidden\" name=\"handler\" value=\"{handler}\">\
             <button type=\"submit\">Retry</button></form></td></tr>",
            job_id = escape(&job.id),
            time = time(event.received_at),
            name = escape(&event.event),
            link = event_link(event),
            handler = escape(&job.handler),
            attempts = job.attempts.len(),
            error = escape(error),
            id = url_part(event.id.as_str()),
        );
    }
    body.push_str("</tbody></table></section>");
}

/// The page of one event: its fields (with where it came from and, for a late webhook,
/// the reconciled event that covered it), its data, each job's attempts, and Replay.
pub fn event(view: &EventView, covered_by: Option<&EventId>, sign_out: bool) -> String {
    let event = &view.event;
    let covered = covered_by.map_or(String::new(), |by| {
        format!(
            "<dt>Covered by</dt><dd><a href=\"/events/{}\"><code>{}</code></a> \
             <span class=\"muted\">reconciliation had already run this change, so it got no jobs</span></dd>",
            url_part(by.as_str()),
            escape(by.as_str())
        )
    });
    let mut body = format!(
        "<h1>{name} <code>{id}</code> {badge}{reconciled}</h1>\
         <form method=\"post\" action=\"/events/{url_id}/replay\">\
         <button type=\"submit\">Replay</button> \
         <span class=\"muted\">runs every handler of this event again</span></form>\
         <h2>Event</h2><dl>\
         <dt>Account</dt><dd>{account}</dd>\
         <dt>Received</dt><dd>{received}</dd>\
         <dt>Triggered</dt><dd>{triggered}</dd>\
         <dt>Opportunity</dt><dd>{opportunity}</dd>\
         <dt>Contact</dt><dd>{contact}</dd>\
         <dt>Dedupe key</dt><dd><code>{dedupe}</code></dd>\
         <dt>Source</dt><dd>{source}</dd>{covered}</dl>",
        name = escape(&event.event),
        reconciled = reconciled(event),
        source = event.source(),
        id = escape(event.id.as_str()),
        badge = badge(status_name(view.status)),
        url_id = url_part(event.id.as_str()),
        account = escape(&event.account),
        received = time(event.received_at),
        triggered = time(event.triggered_at),
        opportunity = opportunity(event),
        contact = event
            .contact_id
            .as_ref()
            .map_or("–".to_owned(), |c| escape(c.as_str())),
        dedupe = escape(&event.dedupe_key),
    );
    body.push_str("<h2>Jobs</h2>");
    if view.jobs.is_empty() {
        body.push_str("<p class=\"muted\">No handler took this event.</p>");
    }
    for job in &view.jobs {
        let _ = write!(
            body,
            "<h3>{handler} {badge}</h3><table class=\"attempts\"><thead><tr><th>#</th>\
             <th>Started</th><th>Duration</th><th>Outcome</th><th>Error</th></tr></thead><tbody>",
            handler = escape(&job.handler),
            badge = badge(job_state(job.state)),
        );
        for attempt in &job.attempts {
            let outcome = serde_json::to_value(attempt.outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let _ = write!(
                body,
                "<tr class=\"attempt\"><td>{number}</td><td>{started}</td><td>{ms} ms</td>\
                 <td>{outcome}</td><td class=\"error\">{error}</td></tr>",
                number = attempt.number,
                started = time(attempt.started_at),
                ms = attempt.duration_ms,
                outcome = escape(&outcome),
                error = escape(attempt.error.as_deref().unwrap_or("")),
            );
        }
        if job.attempts.is_empty() {
            body.push_str("<tr><td colspan=\"5\" class=\"muted\">Not run yet.</td></tr>");
        }
        body.push_str("</tbody></table>");
    }
    let data = serde_json::from_str::<serde_json::Value>(event.data.get())
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| event.data.get().to_owned());
    let _ = write!(body, "<h2>Data</h2><pre>{}</pre>", escape(&data));
    page(event.event.as_str(), true, sign_out, &body)
}

/// The sign-in form, with why the last try failed.
pub fn login(problem: Option<&str>) -> String {
    let problem = problem.map_or(String::new(), |p| {
        format!("<p class=\"error\">{}</p>", escape(p))
    });
    let body = format!(
        "<h1>Sign in</h1><form method=\"post\" action=\"/login\" class=\"login\">{problem}\
         <label for=\"token\">Admin token (<code>[admin] token</code>)</label>\
         <input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"current-password\" autofocus required>\
         <button type=\"submit\">Sign in</button></form>"
    );
    page("Sign in", false, false, &body)
}

/// A page saying what went wrong, with a way back.
pub fn problem(title: &str, message: &str) -> String {
    let body = format!(
        "<h1>{}</h1><p class=\"error\">{}</p><p><a href=\"/\">Back to the deliveries</a></p>",
        escape(title),
        escape(message)
    );
    page(title, false, false, &body)
}

#[cfg(test)]
mod tests;
