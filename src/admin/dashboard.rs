//! The dashboard at `/` on the admin listener: recent deliveries with a status filter and
//! a failures panel (Retry per dead letter), one event's page with every attempt (Replay),
//! and a sign-in form that trades the admin token for a session cookie (`sign_in`).
//!
//! Server-rendered HTML with inline CSS and no script. Actions are plain forms that POST
//! and redirect back (303), so a reload never repeats them. Against cross-site requests:
//! the cookie is `SameSite=Strict`, and a POST whose `Origin` is not this host gets 403.
//! The cookie opens these pages only; the API under `/api/v1` never accepts it.

mod html;
mod sign_in;

pub use sign_in::COOKIE;

use super::filter::parse_filter;
use super::AdminState;
use crate::event::EventId;
use crate::opportunity_state::late;
use crate::store::{now_millis, EventFilter, EventStatus, StoreError};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::future::{ready, Ready};

/// Deliveries per page, and events with dead letters shown in the failures panel.
const PAGE: usize = 50;

/// Registers the dashboard's pages and actions.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(deliveries))
        .route("/events/{id}", web::get().to(event_page))
        .route("/events/{id}/retry", web::post().to(retry))
        .route("/events/{id}/replay", web::post().to(replay))
        .route("/login", web::get().to(sign_in::form))
        .route("/login", web::post().to(sign_in::sign_in))
        .route("/logout", web::post().to(sign_in::sign_out));
}

/// Why a dashboard request was not served; each answers with a page, or a redirect.
#[derive(Debug, thiserror::Error)]
enum DashError {
    /// Not signed in: go to `/login`.
    #[error("sign in first")]
    SignIn,
    /// A POST from another site (403).
    #[error("this form was sent from another site ({0}); use the dashboard itself")]
    ForeignOrigin(String),
    /// No such event or job (404).
    #[error("{0}")]
    NotFound(String),
    /// The store failed (503).
    #[error("the store is unavailable: {0}")]
    Store(#[from] StoreError),
    /// The session id cannot be carried in a cookie (500).
    #[error("cannot set the sign-in cookie: {0}")]
    Cookie(String),
}

impl ResponseError for DashError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn => StatusCode::SEE_OTHER,
            Self::ForeignOrigin(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Cookie(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignIn => see_other("/login"),
            _ => html(
                self.status_code(),
                html::problem("Not done", &self.to_string()),
            ),
        }
    }
}

/// An HTML answer, never cached, never framed, with no script allowed to run.
fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ))
        .body(body)
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn state_of(req: &HttpRequest) -> Option<&web::Data<AdminState>> {
    req.app_data::<web::Data<AdminState>>()
}

/// A signed-in operator (or no token configured); `sign_out` when a session did it.
struct Operator {
    sign_out: bool,
}

impl FromRequest for Operator {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(operator(req).map_err(Into::into))
    }
}

/// Without a token everyone is let in; with one, only a cookie naming a live session.
fn operator(req: &HttpRequest) -> Result<Operator, DashError> {
    let state = state_of(req).ok_or(DashError::SignIn)?;
    if state.token.is_none() {
        return Ok(Operator { sign_out: false });
    }
    match req.cookie(COOKIE) {
        Some(cookie) if state.sessions.is_live(cookie.value()) => Ok(Operator { sign_out: true }),
        _ => Err(DashError::SignIn),
    }
}

/// A POST from the dashboard's own pages: same origin, then signed in.
struct Action;

impl FromRequest for Action {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            same_origin(req)
                .and_then(|()| operator(req))
                .map(|_| Action)
                .map_err(Into::into),
        )
    }
}

/// Browsers send `Origin` with every POST; when it is there, it must name this host.
/// Without it (curl, old browsers) the `SameSite=Strict` cookie is the defense.
fn same_origin(req: &HttpRequest) -> Result<(), DashError> {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin_text = origin.to_str().unwrap_or("?");
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    let authority = origin_text
        .strip_prefix("http://")
        .or_else(|| origin_text.strip_prefix("https://"));
    match (authority, host) {
        (Some(authority), Some(host)) if authority.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(DashError::ForeignOrigin(origin_text.to_owned())),
    }
}

async fn deliveries(
    operator: Operator,
    state: web::Data<AdminState>,
    query: web::Query<BTreeMap<String, String>>,
) -> Result<HttpResponse, DashError> {
    let (filter, mut problem) = match parse_filter(&query, &["before"]) {
        Ok(filter) => (filter, None),
        Err(e) => (EventFilter::default(), Some(e.0)),
    };
    let before = match crate::store::query::cursor(query.get("before").map(String::as_str)) {
        Ok(before) => before,
        Err(e) => {
            problem = Some(e.to_string());
            None
        }
    };
    let page = state.store.list_events(&filter, before, PAGE).await?;
    let dead_filter = EventFilter {
        status: Some(EventStatus::Dead),
        ..EventFilter::default()
    };
    let dead = state.store.list_events(&dead_filter, None, PAGE).await?;
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(html(
        status,
        html::deliveries(&html::Deliveries {
            page: &page,
            dead: &dead,
            status: filter.status,
            problem: problem.as_deref(),
            sign_out: operator.sign_out,
        }),
    ))
}

async fn event_page(
    operator: Operator,
    state: web::Data<AdminState>,
    id: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    let id = EventId::new(id.into_inner());
    let view = state
        .store
        .event_view(&id)
        .await?
        .ok_or_else(|| DashError::NotFound(format!("no event {id}")))?;
    let covered_by = late::covered_by(&*state.store, &view.event.account, &id).await?;
    Ok(html(
        StatusCode::OK,
        html::event(&view, covered_by.as_ref(), operator.sign_out),
    ))
}

#[derive(Deserialize)]
struct RetryForm {
    handler: String,
}

/// Retry from the failures panel: runs that one handler's job again, back to `/`.
async fn retry(
    _: Action,
    state: web::Data<AdminState>,
    id: web::Path<String>,
    form: web::Form<RetryForm>,
) -> Result<HttpResponse, DashError> {
    let id = EventId::new(id.into_inner());
    let replayed = state
        .store
        .replay(&id, Some(&form.handler), now_millis())
        .await?;
    if replayed.is_empty() {
        return Err(DashError::NotFound(format!(
            "event {id} has no job for handler `{}`",
            form.handler
        )));
    }
    state.work_wake.notify_one();
    Ok(see_other("/"))
}

/// Replay from the event page: runs every handler's job again, back to the event.
async fn replay(
    _: Action,
    state: web::Data<AdminState>,
    id: web::Path<String>,
) -> Result<HttpResponse, DashError> {
    let id = EventId::new(id.into_inner());
    let replayed = state.store.replay(&id, None, now_millis()).await?;
    if replayed.is_empty() {
        return Err(DashError::NotFound(format!(
            "event {id} has no job to replay"
        )));
    }
    state.work_wake.notify_one();
    Ok(see_other(&format!(
        "/events/{}",
        html::url_part(id.as_str())
    )))
}

#[cfg(test)]
mod tests;
