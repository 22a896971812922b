//! `GET /v1/opportunities` with Lever's filters, and `GET /v1/opportunities/deleted`.
//!
//! Filters: `contact_id`, `stage_id`, `posting_id`, `tag`, `email` (case-insensitive),
//! `origin`, `source`, `archive_reason_id` (each repeatable or comma-separated; the values
//! of one filter are a union), `archived=true|false`, `confidentiality` (`confidential`,
//! `non-confidential` — the default, as in Lever — or `all`), and the time ranges
//! `created_at_*`, `updated_at_*`, `advanced_at_*` (`lastAdvancedAt`), `archived_at_*`
//! (both ends included; an opportunity without that time is left out).

use super::account::opportunity_edits::{field, strings};
use super::api_read::page;
use super::error::ApiError;
use super::fixture::Opportunity;
use super::page::Params;
use super::server::Shared;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

/// An inclusive span of ms; `None` ends are open.
#[derive(Debug, Clone, Copy, Default)]
struct Range(Option<u64>, Option<u64>);

impl Range {
    fn parse(params: &Params, name: &str) -> Result<Self, ApiError> {
        let end = |suffix: &str| {
            let key = format!("{name}_{suffix}");
            params
                .one(&key)
                .map(|text| {
                    text.parse::<u64>().map_err(|_| {
                        ApiError::BadRequest(format!(
                            "{key} must be ms since the epoch, not \"{text}\""
                        ))
                    })
                })
                .transpose()
        };
        Ok(Self(end("start")?, end("end")?))
    }

    fn is_open(self) -> bool {
        self.0.is_none() && self.1.is_none()
    }

    /// Whether `at` is in range; a missing time matches only an open range.
    fn holds(self, at: Option<u64>) -> bool {
        if self.is_open() {
            return true;
        }
        at.is_some_and(|at| self.0.map_or(true, |s| at >= s) && self.1.map_or(true, |e| at <= e))
    }
}

fn millis(opportunity: &Opportunity, name: &str) -> Option<u64> {
    field(opportunity, name).and_then(Value::as_u64)
}

/// Any of `wanted` (or no filter) matches any of `values`.
fn any_of(wanted: &[&str], values: &[&str]) -> bool {
    wanted.is_empty() || values.iter().any(|v| wanted.contains(v))
}

/// `GET /v1/opportunities`, filtered as the module docs say, `expand` honoured.
pub(crate) async fn list_opportunities(
    req: HttpRequest,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let archived = match params.one("archived") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "archived must be true or false, not \"{other}\""
            )))
        }
    };
    let confidentiality = match params.one("confidentiality") {
        None => Some("non-confidential"),
        Some("all") => None,
        Some(c @ ("confidential" | "non-confidential")) => Some(c),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "confidentiality must be confidential, non-confidential or all, not \"{other}\""
            )))
        }
    };
    let [created, updated, advanced, archived_at] =
        ["created_at", "updated_at", "advanced_at", "archived_at"]
            .map(|n| Range::parse(&params, n));
    let (created, updated, advanced, archived_at) = (created?, updated?, advanced?, archived_at?);
    let (contacts, stages) = (params.all("contact_id"), params.all("stage_id"));
    let (postings, tags) = (params.all("posting_id"), params.all("tag"));
    let (origins, sources) = (params.all("origin"), params.all("source"));
    let reasons = params.all("archive_reason_id");
    let emails: Vec<String> = params
        .all("email")
        .iter()
        .map(|e| e.to_lowercase())
        .collect();
    let expand = params.all("expand");
    let account = shared.account();
    let items = account
        .data()
        .opportunities
        .iter()
        .filter(|o| any_of(&contacts, &[o.contact.as_str()]))
        .filter(|o| any_of(&stages, &[o.stage.as_str()]))
        .filter(|o| any_of(&postings, o.posting_id().as_slice()))
        .filter(|o| {
            any_of(
                &tags,
                &o.tags.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        })
        .filter(|o| {
            any_of(
                &origins,
                field(o, "origin").and_then(Value::as_str).as_slice(),
            )
        })
        .filter(|o| any_of(&sources, &strings(o, "sources")))
        .filter(|o| {
            let reason = o.archived.as_ref().map(|a| a.reason.as_str());
            any_of(&reasons, reason.as_slice())
        })
        .filter(|o| {
            emails.is_empty()
                || strings(o, "emails")
                    .iter()
                    .any(|e| emails.contains(&e.to_lowercase()))
        })
        .filter(|o| archived.map_or(true, |a| a == o.archived.is_some()))
        .filter(|o| {
            let level = field(o, "confidentiality").and_then(Value::as_str);
            confidentiality.map_or(true, |c| level.unwrap_or("non-confidential") == c)
        })
        .filter(|o| created.holds(millis(o, "createdAt")))
        .filter(|o| updated.holds(millis(o, "updatedAt")))
        .filter(|o| advanced.holds(millis(o, "lastAdvancedAt")))
        .filter(|o| archived_at.holds(o.archived.as_ref().map(|a| a.archived_at)))
        .map(|o| account.render(o, &expand))
        .collect();
    page(items, &params)
}

/// `GET /v1/opportunities/deleted` (`deleted_at_start`, `deleted_at_end`).
pub(crate) async fn deleted_opportunities(
    req: HttpRequest,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let deleted_at = Range::parse(&params, "deleted_at")?;
    let items = shared
        .account()
        .deleted()
        .iter()
        .filter(|d| deleted_at.holds(d["deletedAt"].as_u64()))
        .cloned()
        .collect();
    page(items, &params)
}
