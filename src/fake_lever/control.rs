//! `/_fake/*`: the test controls, outside Lever's API and needing no credentials: inject
//! failures, read the request log, the state and the webhook deliveries, clear the log,
//! stop and resume sending webhooks, delete an opportunity.

use super::error::ApiError;
use super::page::Params;
use super::server::Shared;
use super::FailureRule;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

/// `POST /_fake/fail` with a [`FailureRule`] body.
pub(crate) async fn fail(bytes: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let rule: FailureRule = match serde_json::from_slice(&bytes) {
        Ok(rule) => rule,
        Err(e) => return HttpResponse::BadRequest().json(json!({ "error": e.to_string() })),
    };
    if let Some(problem) = rule.problem() {
        return HttpResponse::BadRequest().json(json!({ "error": problem }));
    }
    shared.failures().add(rule.clone());
    HttpResponse::Ok().json(json!({ "added": rule }))
}

/// `GET /_fake/requests`: `{"requests": [...], "rateLimited": n}`.
pub(crate) async fn requests(shared: web::Data<Shared>) -> HttpResponse {
    let log = shared.log();
    HttpResponse::Ok().json(json!({
        "requests": log.requests(),
        "rateLimited": log.rate_limited(),
    }))
}

/// `GET /_fake/state`: opportunities, notes and created webhooks as they are now.
pub(crate) async fn state(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(shared.account().snapshot())
}

/// `GET /_fake/deliveries`: every webhook delivery attempt.
pub(crate) async fn deliveries(shared: web::Data<Shared>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "deliveries": shared.outbox.log() }))
}

/// `POST /_fake/reset-log`: forget the requests seen and the rate-limited count.
pub(crate) async fn reset_log(shared: web::Data<Shared>) -> HttpResponse {
    shared.log().clear();
    HttpResponse::NoContent().finish()
}

/// `{"sending": bool, "dropped": n}`.
fn webhook_status(shared: &Shared) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "sending": shared.outbox.is_sending(),
        "dropped": shared.outbox.dropped(),
    }))
}

/// `POST /_fake/webhooks/stop`: from now on events are dropped (not queued), as if every
/// delivery had failed for good.
pub(crate) async fn stop_webhooks(shared: web::Data<Shared>) -> HttpResponse {
    shared.outbox.set_sending(false);
    webhook_status(&shared)
}

/// `POST /_fake/webhooks/resume`: events are sent again (those dropped stay lost).
pub(crate) async fn resume_webhooks(shared: web::Data<Shared>) -> HttpResponse {
    shared.outbox.set_sending(true);
    webhook_status(&shared)
}

/// `POST /_fake/opportunities/:id/delete?deleted_by=<user>`: deletes it as a Lever user
/// would in the app (204, or Lever's 404 body); sends `candidateDeleted`.
pub(crate) async fn delete_opportunity(
    id: web::Path<String>,
    req: HttpRequest,
    shared: web::Data<Shared>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string())?;
    shared.delete_opportunity(&id, params.one("deleted_by"))?;
    Ok(HttpResponse::NoContent().finish())
}
