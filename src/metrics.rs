//! What lever-hooks measures, by name, and the process-wide Prometheus recorder that
//! `/metrics` renders. Every metric is recorded through the `metrics` facade with the
//! names below, so dashboards and alerts have one place to look them up.

use crate::event::KNOWN_EVENTS;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// Deliveries answered, by `account`, `event` and `outcome` (accepted, duplicate, test,
/// rejected, unavailable). `event` is one of Lever's documented names or `other` (see
/// [`event_label`]); a rejected delivery's event name is not trusted, so its `event` is
/// `(unverified)`; a path naming no configured account counts as `(unknown)`.
pub const DELIVERIES: &str = "lever_hooks_deliveries_total";

/// The `event` label of an event name that Lever does not document.
pub const OTHER_EVENT: &str = "other";

/// The `event` label for `name`: the name itself when it is one of Lever's ten, else
/// [`OTHER_EVENT`]. A signed delivery may carry any name (a settings-page test or a
/// sender holding a signing token chooses it), and each label value is a series kept
/// for the life of the process, so only a fixed set may become labels; the exact name
/// stays in the stored event and the log.
pub fn event_label(name: &str) -> &'static str {
    KNOWN_EVENTS
        .iter()
        .find(|known| **known == name)
        .copied()
        .unwrap_or(OTHER_EVENT)
}
/// Providers' results answered, by `outcome`: `accepted`, `duplicate`, `unavailable`,
/// or the refusal (`not_found`, `signature_missing`, `signature_malformed`,
/// `signature_mismatch`, `outside_window`, `malformed`, `unknown_reference`, `too_large`,
/// `body_timeout`, `unreadable_body`).
pub const PROVIDER_RESULTS: &str = "lever_hooks_provider_results_total";
/// Refused deliveries by `reason` (invalid_signature, too_old, malformed, …).
pub const REJECTIONS: &str = "lever_hooks_rejections_total";
/// Bytes reserved now by request bodies being received (gauge), out of
/// `[server] max_pending_body_bytes`; back to 0 when no body is in flight.
pub const PENDING_BODY_BYTES: &str = "lever_hooks_pending_body_bytes";
/// Seconds from a delivery's arrival (its request head read) to its answer (histogram).
pub const ACK_SECONDS: &str = "lever_hooks_ack_seconds";
/// Handler attempts by `handler` and `outcome` (done, retry, give_up).
pub const ATTEMPTS: &str = "lever_hooks_attempts_total";
/// Seconds one handler attempt took, by `handler` and `outcome` (histogram).
pub const HANDLER_SECONDS: &str = "lever_hooks_handler_seconds";
/// Jobs that became dead letters, by `handler`.
pub const DEAD_LETTERS: &str = "lever_hooks_dead_letters_total";
/// Jobs created by routing, by `handler`.
pub const JOBS_CREATED: &str = "lever_hooks_jobs_created_total";
/// Webhooks that arrived after reconciliation had already run the same change (the same
/// opportunity, the same resulting stage or archive reason), by `account`: stored, and
/// given no jobs.
pub const RECONCILE_LATE_WEBHOOKS: &str = "lever_hooks_reconcile_late_webhooks_total";
/// Jobs waiting to run now (gauge): due, first in their order, not taken by a worker.
/// The workers count them after a claim round, at most once a second, so it can lag a
/// few seconds behind.
pub const QUEUE_DEPTH: &str = "lever_hooks_queue_depth";
/// Data API calls by `account` and `status` (the HTTP status, or `error`).
pub const LEVER_API_CALLS: &str = "lever_hooks_lever_api_calls_total";
/// Waits for the Data API rate limit, by `account`.
pub const LEVER_RATE_LIMIT_WAITS: &str = "lever_hooks_lever_rate_limit_waits_total";
/// Reconciliation passes by `account` and `outcome`: `changes` (found some), `clean`
/// (found none), `first` (only recorded the state) or `failed` (retried next tick).
pub const RECONCILE_PASSES: &str = "lever_hooks_reconcile_passes_total";
/// Opportunities (and deleted ones) read by reconciliation passes, by `account`.
pub const RECONCILE_OPPORTUNITIES_READ: &str = "lever_hooks_reconcile_opportunities_read_total";
/// Changes no webhook delivered that reconciliation found, by `account` and `kind`
/// (`stage`, `archive`, `hire`, `deletion`).
pub const RECONCILE_CHANGES: &str = "lever_hooks_reconcile_changes_total";
/// When the last successful reconciliation pass of `account` started, in seconds since
/// the epoch (gauge).
pub const RECONCILE_LAST_SUCCESS: &str = "lever_hooks_reconcile_last_success_seconds";
/// Events deleted by retention.
pub const PRUNED: &str = "lever_hooks_pruned_events_total";
/// Dashboard sign-ins refused, by `reason`: `wrong_token`, or `rate_limited` (the client
/// address made too many attempts).
pub const ADMIN_LOGIN_FAILURES: &str = "lever_hooks_admin_login_failures_total";
/// Damaged ranges the sled store's event journal held when it was last opened (gauge):
/// bytes that hold no valid record, or synced bytes that are gone. Anything but 0 asks
/// for `lever-hooks store check` and `store repair`.
pub const JOURNAL_DAMAGED_RANGES: &str = "lever_hooks_journal_damaged_ranges";

/// The recorder's handle, installed on first use; `None` when another recorder was
/// installed in this process first (a user's own binary may bring one).
pub fn handle() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0, 30.0,
                ])
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lever_event_names_become_labels() {
        for name in KNOWN_EVENTS {
            assert_eq!(event_label(name), name);
        }
        for name in [
            "madeUp",
            "candidatestagechange",
            "",
            "candidateStageChange\n",
        ] {
            assert_eq!(event_label(name), OTHER_EVENT, "{name:?}");
        }
    }
}
