//! `/healthz` (the process answers), `/readyz` (the store takes writes and the workers
//! run) and `/metrics` (Prometheus text): no token, for probes and scrapers.

use super::AdminState;
use crate::record_key::RecordKey;
use crate::store::now_millis;
use actix_web::{web, HttpResponse};
use serde_json::json;

/// Registers the probe routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn readyz(state: web::Data<AdminState>) -> HttpResponse {
    if *state.stopping.borrow() {
        return HttpResponse::ServiceUnavailable()
            .json(json!({"status": "stopping", "error": "shutting down"}));
    }
    match state.store.put_record(&RecordKey::readiness_probe(), json!(now_millis())).await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(e) => HttpResponse::ServiceUnavailable()
            .json(json!({"status": "unavailable", "error": format!("the store does not take writes: {e}")})),
    }
}

async fn metrics(state: web::Data<AdminState>) -> HttpResponse {
    match &state.metrics {
        Some(handle) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(handle.render()),
        None => HttpResponse::NotFound().json(json!({"error": "metrics are not enabled"})),
    }
}
