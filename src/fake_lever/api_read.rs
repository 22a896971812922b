//! The Data API's GET endpoints, served from the account as it is now: single objects as
//! `{"data": {…}}`, lists as pages (`limit`, `offset`, `hasNext`, `next`).

use super::account::Collection;
use super::error::ApiError;
use super::fixture::ArchiveReasonType;
use super::page::{paginate, Params};
use super::server::Shared;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

/// `{"data": value}` with 200.
pub(crate) fn one(value: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "data": value }))
}

/// A page of `items` as `params` ask.
pub(crate) fn page(items: Vec<Value>, params: &Params) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(paginate(items, params)?.into_json()))
}

/// `GET /v1/opportunities/:id` (`expand=applications|stage|contact|owner`).
pub(crate) async fn opportunity(
    id: web::Path<String>,
    req: HttpRequest,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let account = shared.account();
    let opportunity = account.opportunity(&id)?;
    Ok(one(account.render(opportunity, &params.all("expand"))))
}

/// `GET /v1/opportunities/:id/offers`.
pub(crate) async fn offers(
    id: web::Path<String>,
    req: HttpRequest,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let offers = shared.account().offers(&id)?;
    page(offers, &params)
}

/// `GET /v1/opportunities/:id/files`.
pub(crate) async fn files(
    id: web::Path<String>,
    req: HttpRequest,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let files = shared.account().files(&id)?;
    page(files, &params)
}

/// `GET /v1/opportunities/:id/notes`.
pub(crate) async fn notes(
    id: web::Path<String>,
    req: HttpRequest,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let notes = shared.account().notes(&id)?;
    page(notes, &params)
}

fn find(shared: &Shared, collection: Collection, id: &str) -> Result<HttpResponse, ApiError> {
    Ok(one(shared.account().find(collection, id)?.clone()))
}

/// `GET /v1/contacts/:id`.
pub(crate) async fn contact(
    id: web::Path<String>,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    find(&shared, Collection::Contacts, &id)
}

/// `GET /v1/postings/:id`.
pub(crate) async fn posting(
    id: web::Path<String>,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    find(&shared, Collection::Postings, &id)
}

/// `GET /v1/users/:id`.
pub(crate) async fn user(
    id: web::Path<String>,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    find(&shared, Collection::Users, &id)
}

/// `GET /v1/requisitions/:id`.
pub(crate) async fn requisition(
    id: web::Path<String>,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    find(&shared, Collection::Requisitions, &id)
}

/// `GET /v1/stages`.
pub(crate) async fn stages(
    req: HttpRequest,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let stages = serde_json::to_value(&shared.account().data().stages).expect("stages serialize");
    page(as_list(stages), &params)
}

/// `GET /v1/archive_reasons` (`type=hired|non-hired`).
pub(crate) async fn archive_reasons(
    req: HttpRequest,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let kind = match params.one("type") {
        None => None,
        Some("hired") => Some(ArchiveReasonType::Hired),
        Some("non-hired") => Some(ArchiveReasonType::NonHired),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "type must be hired or non-hired, not \"{other}\""
            )))
        }
    };
    let account = shared.account();
    let reasons: Vec<_> = account
        .data()
        .archive_reasons
        .iter()
        .filter(|r| kind.map_or(true, |k| r.kind == k))
        .collect();
    let reasons = serde_json::to_value(reasons).expect("archive reasons serialize");
    page(as_list(reasons), &params)
}

/// `GET /v1/webhooks` (signature tokens are not listed, as in Lever).
pub(crate) async fn webhooks(
    req: HttpRequest,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    let webhooks = shared
        .account()
        .webhooks()
        .iter()
        .map(|w| w.listed())
        .collect();
    page(webhooks, &params)
}

fn as_list(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        _ => Vec::new(),
    }
}
