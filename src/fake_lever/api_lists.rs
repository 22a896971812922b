//! The Data API's account-wide lists with Lever's filters: `GET /postings`, `GET /users`
//! and `GET /requisitions`. Values of a repeated filter are alternatives; different
//! filters must all match. Time ranges include their start and exclude their end.

use super::account::Collection;
use super::error::ApiError;
use super::page::{paginate, Params};
use super::server::Shared;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

/// Registers the three lists (inside the `/v1` scope).
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/postings", web::get().to(postings))
        .route("/users", web::get().to(users))
        .route("/requisitions", web::get().to(requisitions));
}

/// `GET /v1/postings`: `state`, `team`, `department`, `location` (any of `allLocations`),
/// `commitment`, `level`, `tag`, `distributionChannel`, `updated_at_start/end`,
/// `confidentiality` (default `non-confidential`), `expand=hiringManager|owner|user|followers`.
async fn postings(req: HttpRequest, shared: web::Data<Shared>) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let confidentiality = Confidentiality::parse(&params)?;
    let updated = Range::parse(&params, "updated_at")?;
    let expand = params.all("expand");
    let category = |p: &Value, key: &str| p["categories"][key].as_str().map(str::to_owned);
    let account = shared.account();
    let items = account
        .data()
        .postings
        .iter()
        .filter(|p| any_of(&params, "state", [text(p, "state")]))
        .filter(|p| any_of(&params, "team", [category(p, "team")]))
        .filter(|p| any_of(&params, "department", [category(p, "department")]))
        .filter(|p| any_of(&params, "commitment", [category(p, "commitment")]))
        .filter(|p| any_of(&params, "level", [category(p, "level")]))
        .filter(|p| {
            let mut places = strings(&p["categories"]["allLocations"]);
            places.push(category(p, "location"));
            any_of(&params, "location", places)
        })
        .filter(|p| any_of(&params, "tag", strings(&p["tags"])))
        .filter(|p| {
            any_of(
                &params,
                "distributionChannel",
                strings(&p["distributionChannels"]),
            )
        })
        .filter(|p| updated.contains(&p["updatedAt"]))
        .filter(|p| confidentiality.admits(p))
        .map(|p| {
            let mut posting = p.clone();
            for key in ["hiringManager", "owner", "user"] {
                if expand.contains(&key) {
                    let user = p[key]
                        .as_str()
                        .map(|id| account.find(Collection::Users, id));
                    if let Some(Ok(user)) = user {
                        posting[key] = user.clone();
                    }
                }
            }
            if expand.contains(&"followers") {
                let followers = strings(&p["followers"]).into_iter().flatten();
                let users = followers.filter_map(|id| account.find(Collection::Users, &id).ok());
                posting["followers"] = Value::Array(users.cloned().collect());
            }
            posting
        })
        .collect();
    page(items, &params)
}

/// `GET /v1/users`: `email` (any case), `accessRole`, `external_directory_id`;
/// deactivated users only with `includeDeactivated=true`.
async fn users(req: HttpRequest, shared: web::Data<Shared>) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let include_deactivated = match params.one("includeDeactivated") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "includeDeactivated must be true or false, not \"{other}\""
            )))
        }
    };
    let emails: Vec<String> = params
        .all("email")
        .iter()
        .map(|e| e.to_lowercase())
        .collect();
    let account = shared.account();
    let items = account
        .data()
        .users
        .iter()
        .filter(|u| include_deactivated || u["deactivatedAt"].is_null())
        .filter(|u| {
            let email = text(u, "email").map(|e| e.to_lowercase());
            emails.is_empty() || email.is_some_and(|e| emails.contains(&e))
        })
        .filter(|u| any_of(&params, "accessRole", [text(u, "accessRole")]))
        .filter(|u| {
            let id = text(u, "externalDirectoryId");
            any_of(&params, "external_directory_id", [id])
        })
        .cloned()
        .collect();
    page(items, &params)
}

/// `GET /v1/requisitions`: `requisition_code`, `status`, `created_at_start/end`,
/// `confidentiality` (default `non-confidential`).
async fn requisitions(
    req: HttpRequest,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let confidentiality = Confidentiality::parse(&params)?;
    let created = Range::parse(&params, "created_at")?;
    let account = shared.account();
    let items = account
        .data()
        .requisitions
        .iter()
        .filter(|r| any_of(&params, "requisition_code", [text(r, "requisitionCode")]))
        .filter(|r| any_of(&params, "status", [text(r, "status")]))
        .filter(|r| created.contains(&r["createdAt"]))
        .filter(|r| confidentiality.admits(r))
        .cloned()
        .collect();
    page(items, &params)
}

fn page(items: Vec<Value>, params: &Params) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(paginate(items, params)?.into_json()))
}

/// Whether `name` is absent from the query or one of its values is among `have`.
fn any_of(params: &Params, name: &str, have: impl IntoIterator<Item = Option<String>>) -> bool {
    let wanted = params.all(name);
    wanted.is_empty()
        || have
            .into_iter()
            .flatten()
            .any(|v| wanted.contains(&v.as_str()))
}

fn text(value: &Value, key: &str) -> Option<String> {
    value[key].as_str().map(str::to_owned)
}

fn strings(value: &Value) -> Vec<Option<String>> {
    let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
    items
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// The `confidentiality` filter; a missing field on an item counts as non-confidential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Confidentiality {
    NonConfidential,
    Confidential,
    All,
}

impl Confidentiality {
    fn parse(params: &Params) -> Result<Self, ApiError> {
        match params.one("confidentiality") {
            None | Some("non-confidential") => Ok(Self::NonConfidential),
            Some("confidential") => Ok(Self::Confidential),
            Some("all") => Ok(Self::All),
            Some(other) => Err(ApiError::BadRequest(format!(
                "confidentiality must be confidential, non-confidential or all, not \"{other}\""
            ))),
        }
    }

    fn admits(self, item: &Value) -> bool {
        let confidential = item["confidentiality"].as_str() == Some("confidential");
        match self {
            Self::All => true,
            Self::Confidential => confidential,
            Self::NonConfidential => !confidential,
        }
    }
}

/// `<prefix>_start` (inclusive) and `<prefix>_end` (exclusive), ms since the epoch.
#[derive(Debug, Clone, Copy, Default)]
struct Range {
    start: Option<i64>,
    end: Option<i64>,
}

impl Range {
    fn parse(params: &Params, prefix: &str) -> Result<Self, ApiError> {
        let bound = |name: String| match params.one(&name) {
            None => Ok(None),
            Some(text) => text.parse::<i64>().map(Some).map_err(|_| {
                ApiError::BadRequest(format!(
                    "{name} must be milliseconds since the epoch, not \"{text}\""
                ))
            }),
        };
        Ok(Self {
            start: bound(format!("{prefix}_start"))?,
            end: bound(format!("{prefix}_end"))?,
        })
    }

    /// Whether `at` is inside; an item without the time is inside only an open range.
    fn contains(&self, at: &Value) -> bool {
        if self.start.is_none() && self.end.is_none() {
            return true;
        }
        let Some(at) = at.as_i64() else { return false };
        self.start.map_or(true, |s| at >= s) && self.end.map_or(true, |e| at < e)
    }
}
