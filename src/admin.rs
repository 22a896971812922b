//! The admin listener: `/healthz`, `/readyz` and `/metrics` for probes and scrapers, and,
//! behind the admin token, the REST API under `/api/v1` (events, replay, dead letters,
//! purge, the OpenAPI document) and the dashboard at `/`.
//!
//! Who gets in: the API takes only `Authorization: Bearer <token>` (`auth`); the
//! dashboard trades the token for a session cookie at `/login` (`sessions`, with
//! attempts limited per address by `login_limit`); with no token configured, only a
//! loopback `Host` is answered (`host`).

mod api;
mod auth;
mod body;
mod dashboard;
mod filter;
mod health;
mod host;
mod login_limit;
mod reconciled;
mod sessions;

pub use dashboard::COOKIE;
pub use filter::{parse_filter, FilterError};
pub use login_limit::LoginLimiter;
pub use sessions::Sessions;

use crate::store::Store;
use actix_web::middleware::from_fn;
use actix_web::web;
use secrecy::SecretString;
use std::sync::Arc;
use tokio::sync::{watch, Notify};

/// What the admin routes share.
#[derive(Clone)]
pub struct AdminState {
    /// The store the API reads and acts on.
    pub store: Arc<dyn Store>,
    /// Rung after a replay or retry so workers pick the jobs up at once.
    pub work_wake: Arc<Notify>,
    /// The bearer token; `None` (loopback only) means no token is asked for.
    pub token: Option<SecretString>,
    /// True once shutdown started: `/readyz` answers 503 from then on.
    pub stopping: watch::Receiver<bool>,
    /// Renders `/metrics`.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// The dashboard's signed-in sessions.
    pub sessions: Arc<Sessions>,
    /// Sign-in attempts per client address.
    pub login_limiter: Arc<LoginLimiter>,
}

/// Registers every admin route, each behind the loopback `Host` rule when no token is
/// configured.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("")
            .wrap(from_fn(host::loopback_host_unless_token))
            .configure(health::configure)
            .configure(api::configure)
            .configure(dashboard::configure),
    );
}
