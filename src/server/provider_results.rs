//! The HTTP edge of providers' results: `POST /providers/{handler}` and
//! `POST /providers/{account}/{handler}`, answered as `provider_intake` decides, with the
//! body limits, budget and deadline of Lever's deliveries.

use super::{error_response, read_limited, BodyError, IntakeState};
use crate::config::DEFAULT_ACCOUNT;
use crate::event::EventId;
use crate::handler::{reference_record, Records};
use crate::log_safe::LogSafe;
use crate::metrics::PROVIDER_RESULTS;
use crate::provider_intake::{self, ResultRefusal};
use crate::standard_webhooks::SignedHeaders;
use crate::store::{now_millis, IngestOutcome};
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use tracing::{error, info, warn};

/// Registers the two result routes.
pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/providers/{handler}")
            .route(web::post().to(receive_default))
            .default_service(web::to(super::method_not_allowed)),
    )
    .service(
        web::resource("/providers/{account}/{handler}")
            .route(web::post().to(receive_for_account))
            .default_service(web::to(super::method_not_allowed)),
    );
}

async fn receive_default(
    req: HttpRequest,
    handler: web::Path<String>,
    body: web::Payload,
    state: web::Data<IntakeState>,
) -> HttpResponse {
    receive(DEFAULT_ACCOUNT, &handler, &req, body, &state).await
}

async fn receive_for_account(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Payload,
    state: web::Data<IntakeState>,
) -> HttpResponse {
    let (account, handler) = path.into_inner();
    receive(&account, &handler, &req, body, &state).await
}

/// Answers one result and counts it in [`PROVIDER_RESULTS`] by outcome.
async fn receive(
    account: &str,
    handler: &str,
    req: &HttpRequest,
    body: web::Payload,
    state: &IntakeState,
) -> HttpResponse {
    let (response, outcome) = answer(account, handler, req, body, state).await;
    metrics::counter!(PROVIDER_RESULTS, "outcome" => outcome).increment(1);
    response
}

/// The answer and its outcome label. Checks in the order `provider_intake` gives, with
/// the size (413), budget (503) and deadline (408) of the body as for Lever's deliveries.
async fn answer(
    account: &str,
    handler: &str,
    req: &HttpRequest,
    body: web::Payload,
    state: &IntakeState,
) -> (HttpResponse, &'static str) {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > state.max_body_bytes) {
        let (status, public_reason, reason) = BodyError::TooLarge.refusal();
        return refuse_plain(account, handler, status, public_reason, reason);
    }
    let keys = state.result_keys.get(handler).map(Vec::as_slice);
    let keys = match provider_intake::keys_for(state.accounts.contains_key(account), keys) {
        Ok(keys) => keys,
        Err(refusal) => return refuse(account, handler, &refusal),
    };
    let Ok(mut reservation) = state.body_budget.reserve(declared.unwrap_or(0)) else {
        return refuse_body(account, handler, &BodyError::OverBudget, state.body_timeout);
    };
    let read = read_limited(
        body,
        &mut reservation,
        state.max_body_bytes,
        state.body_timeout,
    );
    let bytes = match read.await {
        Ok(bytes) => bytes,
        Err(e) => return refuse_body(account, handler, &e, state.body_timeout),
    };
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let headers = SignedHeaders {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
    };
    let now = now_millis();
    let verified = match provider_intake::verify_and_read(keys, headers, &bytes, now / 1000) {
        Ok(verified) => verified,
        Err(refusal) => return refuse(account, handler, &refusal),
    };
    let records = Records::new(state.store.clone(), handler);
    let remembered = match records.get(&reference_record(&verified.reference)).await {
        Ok(remembered) => remembered,
        Err(e) => {
            error!(account, handler, error = %e, "provider result: reading the reference failed");
            return unavailable(account, handler, "storage unavailable, retry later");
        }
    };
    let reference = match provider_intake::reference_for(account, remembered) {
        Ok(reference) => reference,
        Err(refusal) => return refuse(account, handler, &refusal),
    };
    let webhook_id = verified.webhook_id.clone();
    let event = provider_intake::new_event(
        account,
        handler,
        verified,
        &reference,
        EventId::generate(),
        now,
    );
    match state.store.ingest(event).await {
        Ok(IngestOutcome::Accepted(id)) => {
            state.route_wake.notify_one();
            info!(account, handler, id = %id, webhook_id = %LogSafe(&webhook_id), outcome = "accepted", "provider result");
            let response = HttpResponse::Ok().json(json!({"status": "accepted", "id": id}));
            (response, "accepted")
        }
        Ok(IngestOutcome::Duplicate(id)) => {
            info!(account, handler, id = %id, webhook_id = %LogSafe(&webhook_id), outcome = "duplicate", "provider result");
            let response = HttpResponse::Ok().json(json!({"status": "duplicate", "id": id}));
            (response, "duplicate")
        }
        Ok(IngestOutcome::TokenReused) => {
            // The token is derived from the webhook-id with a hash of it alone, so this
            // cannot happen; answered as a store problem rather than taken as new.
            error!(
                account,
                handler, "provider result: the store called a result's token reused"
            );
            unavailable(account, handler, "storage unavailable, retry later")
        }
        Err(e) => {
            error!(account, handler, error = %e, outcome = "unavailable", "provider result");
            unavailable(account, handler, "storage unavailable, retry later")
        }
    }
}

/// Logs and answers a refusal decided by `provider_intake`.
fn refuse(account: &str, handler: &str, refusal: &ResultRefusal) -> (HttpResponse, &'static str) {
    warn!(account = %LogSafe(account), handler = %LogSafe(handler), outcome = "rejected", reason = refusal.label(), detail = %refusal, "provider result");
    (
        error_response(refusal.status(), &refusal.public_reason()),
        refusal.label(),
    )
}

/// Logs and answers a refusal of the body itself (size, deadline, broken stream).
fn refuse_plain(
    account: &str,
    handler: &str,
    status: u16,
    public_reason: &str,
    reason: &'static str,
) -> (HttpResponse, &'static str) {
    warn!(account = %LogSafe(account), handler = %LogSafe(handler), outcome = "rejected", reason, "provider result");
    (error_response(status, public_reason), reason)
}

/// Answers 503: nothing was stored, the provider should retry.
/// Answers a body that could not be read as Lever's deliveries are answered; a full
/// budget's 503 says when to retry.
fn refuse_body(
    account: &str,
    handler: &str,
    error: &BodyError,
    body_timeout: std::time::Duration,
) -> (HttpResponse, &'static str) {
    let (status, public_reason, reason) = error.refusal();
    if status != 503 {
        return refuse_plain(account, handler, status, public_reason, reason);
    }
    let (mut response, label) = unavailable(account, handler, public_reason);
    response.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        super::retry_after(body_timeout),
    );
    (response, label)
}

fn unavailable(account: &str, handler: &str, public_reason: &str) -> (HttpResponse, &'static str) {
    warn!(account = %LogSafe(account), handler = %LogSafe(handler), outcome = "unavailable", "provider result");
    (error_response(503, public_reason), "unavailable")
}
