//! The fake's HTTP surface: the routes, the state they share, and the gate every request
//! passes first (injected failures, then auth, then the rate limit, then the request log).

use super::account::Account;
use super::auth::{AuthKind, Credentials};
use super::error::{code_for, lever_error};
use super::failure::{FailureRule, Failures};
use super::outbox::Outbox;
use super::rate_limit::RateLimiter;
use super::request_log::{RecordedRequest, RequestLog};
use super::{
    api_lists, api_read, api_schedule, api_write, control, oauth, opportunity_list,
    opportunity_writes,
};
use crate::store::now_millis;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, RETRY_AFTER};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use serde_json::json;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// Everything the handlers share. Locks are held briefly and never across an `.await`.
pub(crate) struct Shared {
    pub(crate) account: Mutex<Account>,
    pub(crate) credentials: Mutex<Credentials>,
    pub(crate) limiter: Option<Mutex<RateLimiter>>,
    pub(crate) failures: Mutex<Failures>,
    pub(crate) log: Mutex<RequestLog>,
    pub(crate) outbox: Outbox,
}

impl Shared {
    /// The account data.
    pub(crate) fn account(&self) -> MutexGuard<'_, Account> {
        self.account.lock().expect("account lock")
    }

    /// The request log.
    pub(crate) fn log(&self) -> MutexGuard<'_, RequestLog> {
        self.log.lock().expect("request log lock")
    }

    /// The pending failure rules.
    pub(crate) fn failures(&self) -> MutexGuard<'_, Failures> {
        self.failures.lock().expect("failures lock")
    }

    /// The credentials and issued tokens.
    pub(crate) fn credentials(&self) -> MutexGuard<'_, Credentials> {
        self.credentials.lock().expect("credentials lock")
    }

    /// Deletes an opportunity and sends `candidateDeleted`.
    pub(crate) fn delete_opportunity(
        &self,
        id: &str,
        deleted_by: Option<&str>,
    ) -> Result<(), super::error::ApiError> {
        let mut account = self.account();
        let gone = account.delete_opportunity(id, deleted_by, now_millis())?;
        self.outbox.deleted(&gone, account.webhooks());
        Ok(())
    }

    fn allow(&self, bucket: &str, now: Instant) -> bool {
        self.limiter.as_ref().map_or(true, |limiter| {
            limiter.lock().expect("limiter lock").allow(bucket, now)
        })
    }
}

/// Registers every route.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .route(
                "/opportunities",
                web::get().to(opportunity_list::list_opportunities),
            )
            .route("/opportunities", web::post().to(opportunity_writes::create))
            .route(
                "/opportunities/deleted",
                web::get().to(opportunity_list::deleted_opportunities),
            )
            .route("/opportunities/{id}", web::get().to(api_read::opportunity))
            .route("/opportunities/{id}/files", web::get().to(api_read::files))
            .route(
                "/opportunities/{id}/files",
                web::post().to(opportunity_writes::upload_file),
            )
            .route(
                "/opportunities/{id}/addLinks",
                web::post().to(opportunity_writes::add_links),
            )
            .route(
                "/opportunities/{id}/removeLinks",
                web::post().to(opportunity_writes::remove_links),
            )
            .route(
                "/opportunities/{id}/addSources",
                web::post().to(opportunity_writes::add_sources),
            )
            .route(
                "/opportunities/{id}/removeSources",
                web::post().to(opportunity_writes::remove_sources),
            )
            .route(
                "/opportunities/{id}/offers",
                web::get().to(api_read::offers),
            )
            .route("/opportunities/{id}/notes", web::get().to(api_read::notes))
            .route(
                "/opportunities/{id}/notes",
                web::post().to(api_write::add_note),
            )
            .route(
                "/opportunities/{id}/addTags",
                web::post().to(api_write::add_tags),
            )
            .route(
                "/opportunities/{id}/removeTags",
                web::post().to(api_write::remove_tags),
            )
            .route(
                "/opportunities/{id}/stage",
                web::put().to(api_write::set_stage),
            )
            .route(
                "/opportunities/{id}/archived",
                web::put().to(api_write::set_archived),
            )
            .route("/contacts/{id}", web::get().to(api_read::contact))
            .route("/postings/{id}", web::get().to(api_read::posting))
            .route("/users/{id}", web::get().to(api_read::user))
            .route("/requisitions/{id}", web::get().to(api_read::requisition))
            .route("/stages", web::get().to(api_read::stages))
            .route("/archive_reasons", web::get().to(api_read::archive_reasons))
            .route("/webhooks", web::get().to(api_read::webhooks))
            .route("/webhooks", web::post().to(api_write::create_webhook))
            .route(
                "/webhooks/{id}",
                web::delete().to(api_write::delete_webhook),
            )
            .configure(api_lists::configure)
            .configure(api_schedule::configure),
    )
    .route("/oauth/token", web::post().to(oauth::token))
    .service(
        web::scope("/_fake")
            .route("/fail", web::post().to(control::fail))
            .route("/requests", web::get().to(control::requests))
            .route("/state", web::get().to(control::state))
            .route("/deliveries", web::get().to(control::deliveries))
            .route("/reset-log", web::post().to(control::reset_log))
            .route("/webhooks/stop", web::post().to(control::stop_webhooks))
            .route("/webhooks/resume", web::post().to(control::resume_webhooks))
            .route(
                "/opportunities/{id}/delete",
                web::post().to(control::delete_opportunity),
            ),
    )
    .default_service(web::to(no_such_endpoint));
}

async fn no_such_endpoint() -> HttpResponse {
    lever_error(
        StatusCode::NOT_FOUND,
        "no such endpoint in the fake Lever API",
    )
}

/// Runs before every handler. `/_fake/*` passes untouched; every other request may get an
/// injected failure, then (under `/v1`) 401 without valid credentials or 429 over the rate
/// limit, and is recorded with its final status.
pub(crate) async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path = req.path().to_owned();
    if path.starts_with("/_fake/") {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let shared = req
        .app_data::<web::Data<Shared>>()
        .expect("the shared state is registered")
        .clone();
    let method = req.method().to_string();
    let query = req.query_string().to_owned();
    let now = Instant::now();
    let is_api = path == "/v1" || path.starts_with("/v1/");
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""));
    let (mut auth, verdict) = shared.credentials().check(header, now);
    if path == "/oauth/token" {
        auth = AuthKind::OAuthClient;
    }
    let failure = shared.failures().take(&path);
    let mut by_rate_limit = false;
    let response = match (failure, verdict) {
        (Some(rule), _) => req.into_response(injected(&rule)),
        (None, Err(why)) if is_api => {
            req.into_response(lever_error(StatusCode::UNAUTHORIZED, &why))
        }
        (None, Ok(bucket)) if is_api && !shared.allow(&bucket, now) => {
            by_rate_limit = true;
            let message = "rate limit exceeded for this credential";
            req.into_response(lever_error(StatusCode::TOO_MANY_REQUESTS, message))
        }
        _ => next.call(req).await?.map_into_boxed_body(),
    };
    let recorded = RecordedRequest {
        method,
        path,
        query,
        status: response.status().as_u16(),
        auth,
        at: now_millis(),
    };
    shared.log().record(recorded, by_rate_limit);
    Ok(response)
}

fn injected(rule: &FailureRule) -> HttpResponse {
    let status = StatusCode::from_u16(rule.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    if let Some(seconds) = rule.retry_after {
        response.insert_header((RETRY_AFTER, seconds.to_string()));
    }
    response.json(json!({
        "code": code_for(status),
        "message": "injected failure (POST /_fake/fail)",
    }))
}
