//! Operational alerts (`[alerts]`): a job that became a dead letter, a burst of refused
//! deliveries, or changes a reconciliation pass found that no webhook delivered, reported as an event document through a configured handler.
//!
//! An alert runs once, directly, in its own task: it is not a job, so it is not retried,
//! cannot become a dead letter, and a failing alert never causes another alert. Failures
//! are logged and that is all (best effort).

mod settings;

pub use settings::{AlertsConfig, RejectedBurstConfig};

use crate::attempt::{invoke, own_event_document};
use crate::handler::{HandlerContext, HandlerRegistry, Outcome, Platform};
use crate::store::{now_millis, Job, StoredEvent};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tracing::{info, warn};

/// The event name of a dead-letter alert.
pub const DEAD_LETTER_EVENT: &str = "leverHooks.deadLetter";
/// The event name of a rejected-burst alert.
pub const REJECTED_BURST_EVENT: &str = "leverHooks.rejectedBurst";
/// The event name of a missed-webhooks alert.
pub const MISSED_WEBHOOKS_EVENT: &str = "leverHooks.missedWebhooks";
/// How long an alert handler may take before the alert is given up.
const ALERT_TIMEOUT: Duration = Duration::from_secs(60);

/// Sends the alerts `[alerts]` asks for; with no `[alerts]`, does nothing.
#[derive(Default)]
pub struct Alerts {
    handlers: HandlerRegistry,
    /// What alert handlers reach through their context (none in the default, silent one).
    platform: Option<Platform>,
    on_dead_letter: Option<String>,
    on_missed_webhooks: Option<String>,
    burst: Option<BurstWatch>,
}

/// Counts 400/401 answers in fixed windows that start at the first rejection after the
/// previous window ended.
struct BurstWatch {
    handler: String,
    threshold: u32,
    window: Duration,
    current: Mutex<Option<Window>>,
}

struct Window {
    started: Instant,
    started_at: u64,
    count: u32,
    reasons: BTreeMap<&'static str, u32>,
    accounts: BTreeMap<String, u32>,
    sent: bool,
}

impl Alerts {
    /// Alerts as `config` describes, sent through `handlers` (which holds every name the
    /// config check let through).
    pub fn new(config: &AlertsConfig, handlers: HandlerRegistry, platform: Platform) -> Self {
        Self {
            handlers,
            platform: Some(platform),
            on_dead_letter: config.on_dead_letter.clone(),
            on_missed_webhooks: config.on_missed_webhooks.clone(),
            burst: config.on_rejected_burst.as_ref().map(|b| BurstWatch {
                handler: b.handler.clone(),
                threshold: b.threshold,
                window: b.window,
                current: Mutex::new(None),
            }),
        }
    }

    /// Reports that `job` of `event` just became a dead letter after `attempts` attempts.
    /// Returns at once; the alert runs in its own task.
    pub fn dead_letter(&self, job: &Job, event: &StoredEvent, attempts: u32, last_error: &str) {
        let Some(handler) = &self.on_dead_letter else {
            return;
        };
        let data = json!({
            "eventId": event.id,
            "handler": job.handler,
            "attempts": attempts,
            "lastError": last_error,
            "opportunityId": event.opportunity_id,
        });
        let key = format!("alert:{}", job.id);
        self.send(handler, DEAD_LETTER_EVENT, &event.account, data, key);
    }

    /// Reports that the reconciliation pass of `account` that started at `pass_started`
    /// found changes no webhook delivered: `missing` counts them by event type. That
    /// usually means a webhook disabled or never registered in Lever.
    pub fn missed_webhooks(
        &self,
        account: &str,
        pass_started: u64,
        missing: &BTreeMap<String, usize>,
    ) {
        let Some(handler) = &self.on_missed_webhooks else {
            return;
        };
        let Some(data) = missed_webhooks_data(missing) else {
            return;
        };
        let key = format!("alert:missedWebhooks:{account}:{pass_started}");
        self.send(handler, MISSED_WEBHOOKS_EVENT, account, data, key);
    }

    /// Counts a delivery refused with 400 or 401 for `account` because of `reason`, and
    /// sends the burst alert when this one goes over the threshold.
    pub fn rejected(&self, account: &str, reason: &'static str) {
        let Some(burst) = &self.burst else {
            return;
        };
        let Some((data, key)) = burst.count(account, reason) else {
            return;
        };
        self.send(&burst.handler, REJECTED_BURST_EVENT, account, data, key);
    }

    fn send(&self, handler_name: &str, event: &str, account: &str, data: Value, key: String) {
        let (Some(handler), Some(platform)) = (
            self.handlers.get(handler_name).cloned(),
            self.platform.clone(),
        ) else {
            warn!(
                handler = handler_name,
                alert = event,
                "no handler by this name; alert not sent"
            );
            return;
        };
        let data = serde_json::value::to_raw_value(&data).expect("alert data serializes");
        let doc = own_event_document(account, event, data, handler_name, key, now_millis());
        let ctx = HandlerContext::new(handler_name, account, platform);
        tokio::spawn(async move {
            let failure =
                match tokio::time::timeout(ALERT_TIMEOUT, invoke(&*handler, &doc, &ctx)).await {
                    Ok(Outcome::Done) => None,
                    Ok(Outcome::Retry { reason, .. } | Outcome::GiveUp { reason }) => Some(reason),
                    Err(_) => Some(format!(
                        "no answer within {}",
                        humantime::format_duration(ALERT_TIMEOUT)
                    )),
                };
            match failure {
                None => {
                    info!(alert = %doc.event, handler = %doc.handler, id = %doc.id, "alert sent")
                }
                Some(error) => {
                    warn!(alert = %doc.event, handler = %doc.handler, id = %doc.id, error,
                    "alert not delivered; alerts are not retried")
                }
            }
        });
    }
}

/// The alert's data for changes found by a pass, by event type; `None` when none were.
fn missed_webhooks_data(missing: &BTreeMap<String, usize>) -> Option<Value> {
    let total: usize = missing.values().sum();
    if total == 0 {
        return None;
    }
    let types: Vec<&String> = missing.keys().collect();
    let listed: Vec<String> = missing.iter().map(|(t, n)| format!("{n} {t}")).collect();
    Some(json!({
        "total": total,
        "missing": missing,
        "message": format!(
            "reconciliation found {} that no webhook delivered; check that Lever's webhooks for {} are enabled and registered",
            listed.join(", "),
            types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", "),
        ),
    }))
}

impl BurstWatch {
    /// Counts one rejection; returns the alert's data and idempotency key when this one
    /// is the first over the threshold in its window.
    fn count(&self, account: &str, reason: &'static str) -> Option<(Value, String)> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let expired = current
            .as_ref()
            .map_or(true, |w| now.duration_since(w.started) >= self.window);
        if expired {
            *current = Some(Window {
                started: now,
                started_at: now_millis(),
                count: 0,
                reasons: BTreeMap::new(),
                accounts: BTreeMap::new(),
                sent: false,
            });
        }
        let window = current.as_mut().expect("set above");
        window.count += 1;
        *window.reasons.entry(reason).or_default() += 1;
        *window.accounts.entry(account.to_owned()).or_default() += 1;
        if window.sent || window.count <= self.threshold {
            return None;
        }
        window.sent = true;
        let data = json!({
            "count": window.count,
            "window": humantime::format_duration(self.window).to_string(),
            "reasons": window.reasons,
            "accounts": window.accounts,
        });
        Some((data, format!("alert:rejectedBurst:{}", window.started_at)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missed_webhooks_alert_names_each_missing_type_and_its_count() {
        let missing = BTreeMap::from([
            ("candidateStageChange".to_owned(), 3),
            ("candidateHired".to_owned(), 1),
        ]);
        let data = missed_webhooks_data(&missing).unwrap();
        assert_eq!(data["total"], 4);
        assert_eq!(data["missing"]["candidateStageChange"], 3);
        let message = data["message"].as_str().unwrap();
        assert!(
            message.contains("3 candidateStageChange") && message.contains("1 candidateHired"),
            "{message}"
        );
        assert_eq!(missed_webhooks_data(&BTreeMap::new()), None);
    }
}
