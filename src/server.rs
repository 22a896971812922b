//! The HTTP edge: `POST /webhooks/lever[/{account}]` answered exactly as design.md's table
//! says, and providers' results at `POST /providers/[{account}/]{handler}`.

use crate::alerts::Alerts;
use crate::config::{AccountConfig, DEFAULT_ACCOUNT};
use crate::intake::{self, Checked, Rejection};
use crate::log_safe::LogSafe;
use crate::metrics::{event_label, ACK_SECONDS, DELIVERIES, REJECTIONS};
use crate::registered_tokens::RegisteredTokens;
use crate::store::{now_millis, IngestOutcome, Store};
use actix_web::http::header::{HeaderValue, CONTENT_LENGTH, RETRY_AFTER};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use secrecy::SecretSlice;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tracing::{error, info, warn};

mod body_budget;
mod connection_guard;
mod provider_results;
pub use body_budget::{BodyBudget, OverBudget, Reservation};
pub(crate) use connection_guard::{guard_connection, on_connect};

/// What the intake routes need, shared by every HTTP worker.
pub struct IntakeState {
    /// Accounts by name (`default` is `[lever]`).
    pub accounts: HashMap<String, AccountConfig>,
    /// Where accepted events go.
    pub store: Arc<dyn Store>,
    /// Rung after each accepted event so routing starts at once.
    pub route_wake: Arc<Notify>,
    /// Larger bodies get 413.
    pub max_body_bytes: usize,
    /// Bodies still incomplete after this long get 408.
    pub body_timeout: Duration,
    /// The bytes all bodies being received may hold at once; past it, 503.
    pub body_budget: BodyBudget,
    /// Signing tokens stored by `webhooks register`.
    pub registered: Arc<RegisteredTokens>,
    /// Told about every 400 and 401, for `[alerts] on_rejected_burst`.
    pub alerts: Arc<Alerts>,
    /// The keys of each handler's `callback_secret`, by handler name: results for a
    /// handler not here are refused with 404.
    pub result_keys: HashMap<String, Vec<SecretSlice<u8>>>,
}

/// The `account` label of a delivery to an account that is not configured: the path
/// segment is the caller's choice, so it never becomes a label value. Parentheses cannot
/// appear in account names.
const UNKNOWN_ACCOUNT: &str = "(unknown)";
/// The `event` label of a delivery whose event name was not verified (rejected before or
/// by the signature check, or refused as a replay): an attacker's choice, like the path.
const UNVERIFIED_EVENT: &str = "(unverified)";

/// What one delivery came to: the answer, and what the metrics and alerts need to know.
struct Answered {
    response: HttpResponse,
    /// The event name, once the delivery was verified.
    event: Option<String>,
    /// `accepted`, `duplicate`, `test`, `rejected` or `unavailable`.
    outcome: &'static str,
    /// Why it was refused: a rejection's reason, or `body_budget_full` for a 503.
    reason: Option<&'static str>,
}

impl Answered {
    fn rejected(response: HttpResponse, reason: &'static str) -> Self {
        Self {
            response,
            event: None,
            outcome: "rejected",
            reason: Some(reason),
        }
    }

    fn with_outcome(response: HttpResponse, event: Option<String>, outcome: &'static str) -> Self {
        Self {
            response,
            event,
            outcome,
            reason: None,
        }
    }
}

/// Registers the intake routes on an actix-web app.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/webhooks/lever")
            .route(web::post().to(receive_default))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/webhooks/lever/{account}")
            .route(web::post().to(receive_for_account))
            .default_service(web::to(method_not_allowed)),
    )
    .configure(provider_results::configure)
    .default_service(web::to(not_found));
}

async fn receive_default(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<IntakeState>,
) -> HttpResponse {
    receive(DEFAULT_ACCOUNT, &req, body, &state).await
}

async fn receive_for_account(
    req: HttpRequest,
    account: web::Path<String>,
    body: web::Payload,
    state: web::Data<IntakeState>,
) -> HttpResponse {
    receive(&account, &req, body, &state).await
}

async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header(("Allow", "POST"))
        .json(json!({"error": "use POST"}))
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(json!({"error": "not found"}))
}

fn error_response(status: u16, reason: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status).json(json!({ "error": reason }))
}

/// Answers one delivery and counts it: [`DELIVERIES`], [`REJECTIONS`], [`ACK_SECONDS`],
/// and 400/401 answers towards the rejected-burst alert.
async fn receive(
    account_name: &str,
    req: &HttpRequest,
    body: web::Payload,
    state: &IntakeState,
) -> HttpResponse {
    let started = Instant::now();
    let answered = answer(account_name, req, body, state).await;
    let account = if state.accounts.contains_key(account_name) {
        account_name
    } else {
        UNKNOWN_ACCOUNT
    };
    let event = answered
        .event
        .as_deref()
        .map_or(UNVERIFIED_EVENT, event_label);
    metrics::counter!(DELIVERIES, "account" => account.to_owned(), "event" => event, "outcome" => answered.outcome)
        .increment(1);
    if let Some(reason) = answered.reason {
        metrics::counter!(REJECTIONS, "reason" => reason).increment(1);
        if matches!(answered.response.status().as_u16(), 400 | 401) {
            state.alerts.rejected(account, reason);
        }
    }
    metrics::histogram!(ACK_SECONDS).record(started.elapsed().as_secs_f64());
    answered.response
}

/// The checks in design.md's order (size, account, shape, signature, time, token reuse,
/// store), with room in the body budget (503) checked before the body is read.
async fn answer(
    account_name: &str,
    req: &HttpRequest,
    body: web::Payload,
    state: &IntakeState,
) -> Answered {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > state.max_body_bytes) {
        return reject(account_name, 413, "body too large", "too_large");
    }
    let Some(account) = state.accounts.get(account_name) else {
        return reject(account_name, 404, "unknown account", "unknown_account");
    };
    // Held until the answer: the body's bytes stay in memory that long.
    let Ok(mut reservation) = state.body_budget.reserve(declared.unwrap_or(0)) else {
        return over_budget(account_name, state.body_timeout);
    };
    let read = read_limited(
        body,
        &mut reservation,
        state.max_body_bytes,
        state.body_timeout,
    );
    let bytes = match read.await {
        Ok(bytes) => bytes,
        Err(BodyError::OverBudget) => return over_budget(account_name, state.body_timeout),
        Err(BodyError::TooSlow) => {
            return reject(
                account_name,
                408,
                "body not received in time",
                "body_timeout",
            );
        }
        Err(BodyError::TooLarge) => {
            return reject(account_name, 413, "body too large", "too_large");
        }
        Err(BodyError::Broken(e)) => {
            warn!(account = account_name, outcome = "rejected", reason = "unreadable_body", error = %e, "delivery");
            return Answered::rejected(
                error_response(400, "body could not be read"),
                "unreadable_body",
            );
        }
    };
    let now = now_millis();
    let registered = |event: &str| state.registered.for_event(account_name, event);
    let mut checked = intake::check(account_name, account, &registered, &bytes, now);
    if matches!(checked, Err(Rejection::Signature(_))) && state.registered.reload_if_stale().await {
        // A webhook registered since the last load signs with a token we have not seen.
        let registered = |event: &str| state.registered.for_event(account_name, event);
        checked = intake::check(account_name, account, &registered, &bytes, now);
    }
    let new_event = match checked {
        Err(rejection) => {
            warn!(account = account_name, outcome = "rejected", reason = rejection.label(), detail = %LogSafe(&rejection), "delivery");
            return Answered::rejected(
                error_response(rejection.status(), &rejection.public_reason()),
                rejection.label(),
            );
        }
        Ok(Checked::SettingsTest { token, event }) => {
            return answer_settings_test(account_name, &token, event, now, state).await;
        }
        Ok(Checked::Event(event)) => event,
    };
    let event_name = new_event.event.clone();
    match state.store.ingest(*new_event).await {
        Ok(IngestOutcome::Accepted(id)) => {
            state.route_wake.notify_one();
            info!(account = account_name, event = %LogSafe(&event_name), id = %id, outcome = "accepted", "delivery");
            let response = HttpResponse::Ok().json(json!({"status": "accepted", "id": id}));
            Answered::with_outcome(response, Some(event_name), "accepted")
        }
        Ok(IngestOutcome::Duplicate(id)) => {
            info!(account = account_name, event = %LogSafe(&event_name), id = %id, outcome = "duplicate", "delivery");
            let response = HttpResponse::Ok().json(json!({"status": "duplicate", "id": id}));
            Answered::with_outcome(response, Some(event_name), "duplicate")
        }
        Ok(IngestOutcome::TokenReused) => token_reused(account_name, &event_name),
        Err(e) => {
            error!(account = account_name, event = %LogSafe(&event_name), outcome = "unavailable", error = %e, "delivery");
            let response = error_response(503, "storage unavailable, retry later");
            Answered::with_outcome(response, Some(event_name), "unavailable")
        }
    }
}

/// Logs a rejection that has nothing more to say than its reason, and answers it.
fn reject(account_name: &str, status: u16, public_reason: &str, reason: &'static str) -> Answered {
    warn!(
        account = account_name,
        outcome = "rejected",
        reason,
        "delivery"
    );
    Answered::rejected(error_response(status, public_reason), reason)
}

/// Answers 503 to a body the budget cannot hold, without reading (more of) it. Every body
/// being received ends within `body_timeout`, so by then the budget has room again.
fn over_budget(account_name: &str, body_timeout: Duration) -> Answered {
    warn!(
        account = account_name,
        outcome = "unavailable",
        reason = "body_budget_full",
        "delivery"
    );
    let (status, public_reason, _) = BodyError::OverBudget.refusal();
    let mut response = error_response(status, public_reason);
    response
        .headers_mut()
        .insert(RETRY_AFTER, retry_after(body_timeout));
    Answered {
        response,
        event: None,
        outcome: "unavailable",
        reason: Some("body_budget_full"),
    }
}

/// Answers a token the store found used before with different content.
fn token_reused(account_name: &str, event_name: &str) -> Answered {
    let rejection = Rejection::TokenReused;
    warn!(target: "lever_hooks::security", account = account_name, event = %LogSafe(&event_name), outcome = "rejected", reason = rejection.label(),
        "a token was replayed with different content: possible replay attack");
    Answered::rejected(
        error_response(rejection.status(), &rejection.public_reason()),
        rejection.label(),
    )
}

/// Answers Lever's settings-page test after remembering its token: the signature covers
/// only `token` and `triggeredAt`, so without this a captured test could come back as
/// any event with forged `data` and pass every check.
async fn answer_settings_test(
    account_name: &str,
    token: &str,
    event: String,
    now: crate::store::Millis,
    state: &IntakeState,
) -> Answered {
    if let Err(e) = state.store.remember_token(account_name, token, now).await {
        error!(account = account_name, outcome = "unavailable", error = %e, "delivery");
        let response = error_response(503, "storage unavailable, retry later");
        return Answered::with_outcome(response, Some(event), "unavailable");
    }
    info!(account = account_name, outcome = "test", "delivery");
    let response = HttpResponse::Ok().json(json!({"status": "test"}));
    Answered::with_outcome(response, Some(event), "test")
}

enum BodyError {
    TooLarge,
    TooSlow,
    OverBudget,
    Broken(actix_web::error::PayloadError),
}

impl BodyError {
    /// How a body that could not be read is answered, on every route that reads one:
    /// status, public reason, and the label logs and metrics use.
    fn refusal(&self) -> (u16, &'static str, &'static str) {
        match self {
            Self::TooLarge => (413, "body too large", "too_large"),
            Self::TooSlow => (408, "body not received in time", "body_timeout"),
            Self::OverBudget => (
                503,
                "too many deliveries being received, retry later",
                "body_budget_full",
            ),
            Self::Broken(_) => (400, "body could not be read", "unreadable_body"),
        }
    }
}

/// `Retry-After` for a 503 from a full body budget: every body being received ends within
/// `body_timeout`, so by then the budget has room again.
fn retry_after(body_timeout: Duration) -> HeaderValue {
    let seconds = body_timeout.as_secs() + u64::from(body_timeout.subsec_nanos() > 0);
    HeaderValue::from(seconds.max(1))
}

/// Reads the body, giving up as soon as it grows past `limit` (chunked bodies included),
/// past what `reservation` holds and the budget can add, or is still incomplete after
/// `deadline`.
///
/// actix-web times out a slow request head but not a slow body, so without the deadline
/// a client trickling one byte a second would hold its connection and this task for as
/// long as it likes.
async fn read_limited(
    mut body: web::Payload,
    reservation: &mut Reservation<'_>,
    limit: usize,
    deadline: Duration,
) -> Result<web::BytesMut, BodyError> {
    let read = async {
        let mut bytes = web::BytesMut::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(BodyError::Broken)?;
            let total = bytes.len() + chunk.len();
            if total > limit {
                return Err(BodyError::TooLarge);
            }
            // A declared length was reserved in full; a chunked body grows here.
            reservation
                .grow_to(total)
                .map_err(|OverBudget| BodyError::OverBudget)?;
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    tokio::time::timeout(deadline, read)
        .await
        .unwrap_or(Err(BodyError::TooSlow))
}
