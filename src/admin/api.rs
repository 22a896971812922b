//! The REST API under `/api/v1`: events (cursor pages), one event with its jobs and
//! attempts, replay, dead letters and their retry, purge, opportunities' last known
//! state, and the OpenAPI document.

use super::auth::Authorized;
use super::body::{bulk_filter, json_object, replay_handler, BodyError};
use super::filter::{parse_filter, FilterError};
use super::reconciled;
use super::AdminState;
use crate::event::EventId;
use crate::store::{now_millis, EventStatus, StoreError};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The most events or dead letters one page holds.
const MAX_LIMIT: usize = 500;
/// The page size when `limit` is not given.
const DEFAULT_LIMIT: usize = 50;

/// Why an API call failed; the body is `{"error": "<message>"}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No or a wrong admin token (401).
    #[error("missing or wrong admin token: send Authorization: Bearer <token>")]
    Unauthorized,
    /// A parameter or body that cannot be used (400).
    #[error("{0}")]
    BadRequest(String),
    /// A body that is not declared as JSON (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A body over the admin API's size limit (413).
    #[error("the body is larger than the admin API takes ({0})")]
    TooLarge(String),
    /// No such event or job (404).
    #[error("{0}")]
    NotFound(String),
    /// The store failed (503).
    #[error("the store is unavailable: {0}")]
    Store(StoreError),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InvalidCursor(_) => Self::BadRequest(e.to_string()),
            other => Self::Store(other),
        }
    }
}

impl From<FilterError> for ApiError {
    fn from(e: FilterError) -> Self {
        Self::BadRequest(e.0)
    }
}

impl From<BodyError> for ApiError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::NotJson(_) => Self::UnsupportedMediaType(e.to_string()),
            BodyError::Invalid(message) => Self::BadRequest(message),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(json!({"error": self.to_string()}))
    }
}

/// Registers the API routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(web::QueryConfig::default().error_handler(|e, _| {
                ApiError::BadRequest(format!("bad query string: {e}")).into()
            }))
            .route("/openapi.json", web::get().to(openapi))
            .route("/events", web::get().to(list_events))
            .route("/events/purge", web::post().to(purge))
            .route("/events/{id}", web::get().to(show_event))
            .route("/events/{id}/replay", web::post().to(replay))
            .route(
                "/opportunities/{id}",
                web::get().to(reconciled::opportunity),
            )
            .route("/dead-letters", web::get().to(dead_letters))
            .route("/dead-letters/retry", web::post().to(retry_dead))
            .default_service(web::to(|| async {
                ApiError::NotFound("no such API route; see /api/v1/openapi.json".into())
                    .error_response()
            })),
    );
}

async fn openapi(_: Authorized) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(include_str!("openapi.json"))
}

/// `before` and `limit` from the query, with the filter.
fn page_params(
    query: &BTreeMap<String, String>,
) -> Result<(crate::store::EventFilter, Option<String>, usize), ApiError> {
    let filter = parse_filter(query, &["before", "limit"])?;
    let limit = match query.get("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "limit `{text}` must be a number from 1 to {MAX_LIMIT}"
                )))
            }
        },
    };
    Ok((filter, query.get("before").cloned(), limit))
}

async fn list_events(
    _: Authorized,
    state: web::Data<AdminState>,
    query: web::Query<BTreeMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    let (filter, before, limit) = page_params(&query)?;
    let page = state
        .store
        .list_events(&filter, before.as_deref(), limit)
        .await?;
    Ok(HttpResponse::Ok().json(reconciled::shown_page(&*state.store, page).await?))
}

async fn show_event(
    _: Authorized,
    state: web::Data<AdminState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = EventId::new(id.into_inner());
    let view = state
        .store
        .event_view(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no event {id}")))?;
    Ok(HttpResponse::Ok().json(reconciled::shown(&*state.store, view).await?))
}

async fn replay(
    _: Authorized,
    state: web::Data<AdminState>,
    id: web::Path<String>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let id = EventId::new(id.into_inner());
    let handler = replay_handler(&body_fields(&req, body)?)?;
    if state.store.event(&id).await?.is_none() {
        return Err(ApiError::NotFound(format!("no event {id}")));
    }
    let replayed = state
        .store
        .replay(&id, handler.as_deref(), now_millis())
        .await?;
    if replayed.is_empty() {
        let what = handler.map_or("any handler".to_owned(), |h| format!("handler `{h}`"));
        return Err(ApiError::NotFound(format!(
            "event {id} has no job for {what}"
        )));
    }
    state.work_wake.notify_one();
    Ok(HttpResponse::Accepted().json(json!({"replayed": replayed})))
}

async fn dead_letters(
    _: Authorized,
    state: web::Data<AdminState>,
    query: web::Query<BTreeMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    let (mut filter, before, limit) = page_params(&query)?;
    if filter.status.is_some_and(|s| s != EventStatus::Dead) {
        return Err(ApiError::BadRequest("dead letters have status dead".into()));
    }
    filter.status = Some(EventStatus::Dead);
    let page = state
        .store
        .list_events(&filter, before.as_deref(), limit)
        .await?;
    let letters: Vec<Value> = page
        .events
        .iter()
        .flat_map(|view| {
            filter
                .jobs(&view.jobs)
                .into_iter()
                .filter(|j| j.state == crate::store::JobState::Dead)
                .map(|job| {
                    let last_error = job.attempts.last().and_then(|a| a.error.clone());
                    json!({"job": job, "event": view.event, "lastError": last_error})
                })
                .collect::<Vec<_>>()
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"deadLetters": letters, "next": page.next})))
}

/// The body's JSON object (none when empty), refused unless it is declared JSON. A body
/// that could not be read (too large, broken off) is answered as JSON like any error.
fn body_fields(
    req: &HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<Map<String, Value>, ApiError> {
    let body = body.map_err(|e| {
        if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(e.to_string())
        } else {
            ApiError::BadRequest(format!("the body could not be read: {e}"))
        }
    })?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|value| value.to_str().unwrap_or("(not text)"));
    Ok(json_object(content_type, &body)?)
}

async fn retry_dead(
    _: Authorized,
    state: web::Data<AdminState>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let filter = bulk_filter(&body_fields(&req, body)?)?;
    let retried = state.store.retry_dead(&filter, now_millis()).await?;
    if !retried.is_empty() {
        state.work_wake.notify_one();
    }
    Ok(HttpResponse::Ok().json(json!({"retried": retried})))
}

async fn purge(
    _: Authorized,
    state: web::Data<AdminState>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let filter = bulk_filter(&body_fields(&req, body)?)?;
    let purged = state.store.purge_events(&filter, now_millis()).await?;
    Ok(HttpResponse::Ok().json(json!({"purged": purged})))
}
