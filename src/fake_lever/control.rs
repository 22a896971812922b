//! `/_fake/*`: the test controls, outside Lever's API and needing no credentials: inject
//! failures, read the request log, the state and the webhook deliveries, clear the log.

use super::server::Shared;
use super::FailureRule;
use actix_web::{web, HttpResponse};
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
