//! The poller: per account, every `reconcile_every`, one pass from the cursor (less the
//! overlap) while holding the account's lease; the cursor moves only after a pass
//! completes. Failures are retried next tick, counted, and logged once per streak.

use super::lease;
use super::pass::{Pass, PassError, PassReport, Window};
use super::rate::PollLimiter;
use super::synthesize;
use crate::alerts::Alerts;
use crate::lever_accounts::AccountApi;
use crate::metrics::{
    RECONCILE_CHANGES, RECONCILE_LAST_SUCCESS, RECONCILE_OPPORTUNITIES_READ, RECONCILE_PASSES,
};
use crate::store::{now_millis, Store};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tracing::{info, warn};

/// Polls one account's Data API for changes no webhook delivered.
pub struct Poller {
    account: String,
    store: Arc<dyn Store>,
    api: AccountApi,
    limiter: PollLimiter,
    every: Duration,
    overlap: Duration,
    instance: String,
    alerts: Arc<Alerts>,
    route_wake: Arc<Notify>,
    streak: FailureStreak,
}

/// What one tick did.
#[derive(Debug)]
pub enum Tick {
    /// Another instance holds the lease.
    NotHolder,
    /// A pass completed.
    Passed(PassReport),
}

impl Poller {
    /// A poller for `account` through `api` (the client the handlers share), passing every
    /// `every` and looking `overlap` before the last pass's start. Stored events wake
    /// routing through `route_wake`; changes found are reported through `alerts`.
    pub fn new(
        account: &str,
        store: Arc<dyn Store>,
        api: AccountApi,
        (every, overlap): (Duration, Duration),
        alerts: Arc<Alerts>,
        route_wake: Arc<Notify>,
    ) -> Self {
        Self {
            account: account.to_owned(),
            limiter: PollLimiter::new(api.client.rate()),
            store,
            api,
            every,
            overlap,
            instance: format!("{}-{}", std::process::id(), uuid::Uuid::now_v7().simple()),
            alerts,
            route_wake,
            streak: FailureStreak::default(),
        }
    }

    /// Ticks every `every` (the first after one interval) until `stop` turns true; then
    /// gives the lease up.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        info!(account = %self.account, every = %humantime::format_duration(self.every), "reconciliation poller started");
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.every) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                break;
            }
            let result = self.tick().await;
            self.after(result);
        }
        if let Err(e) = lease::release(&*self.store, &self.account, &self.instance).await {
            warn!(account = %self.account, error = %e, "could not give the reconciliation lease up; it lapses on its own");
        }
    }

    /// One tick now: claims the lease and, when held, runs one pass and moves the cursor.
    pub async fn tick(&self) -> Result<Tick, PassError> {
        let now = now_millis();
        let ttl = (2 * self.every + Duration::from_secs(30)).as_millis() as u64;
        if !lease::claim(&*self.store, &self.account, &self.instance, now, ttl).await? {
            return Ok(Tick::NotHolder);
        }
        let window = match lease::cursor(&*self.store, &self.account).await? {
            Some(at) => Window::Since(at.saturating_sub(self.overlap.as_millis() as u64)),
            None => Window::First,
        };
        let pass = Pass {
            account: &self.account,
            store: &*self.store,
            api: &self.api,
            limiter: Some(&self.limiter),
            dry_run: false,
        };
        let report = pass.run(window, &mut |_, _| {}).await?;
        lease::move_cursor(&*self.store, &self.account, report.started_at).await?;
        Ok(Tick::Passed(report))
    }

    /// Counts, logs and alerts about a tick's result.
    fn after(&mut self, result: Result<Tick, PassError>) {
        let account = self.account.clone();
        let report = match result {
            Ok(Tick::NotHolder) => return,
            Ok(Tick::Passed(report)) => report,
            Err(e) => {
                metrics::counter!(RECONCILE_PASSES, "account" => account.clone(), "outcome" => "failed").increment(1);
                if self.streak.failed() {
                    warn!(account = %account, error = %e, "reconciliation pass failed; retrying every tick, logged again when it recovers");
                }
                return;
            }
        };
        if self.streak.succeeded() {
            info!(account = %account, "reconciliation passes succeed again");
        }
        let missing = missing_by_type(&report);
        let outcome = match (report.first, missing.is_empty()) {
            (true, _) => "first",
            (false, true) => "clean",
            (false, false) => "changes",
        };
        metrics::counter!(RECONCILE_PASSES, "account" => account.clone(), "outcome" => outcome)
            .increment(1);
        metrics::counter!(RECONCILE_OPPORTUNITIES_READ, "account" => account.clone())
            .increment(report.read as u64);
        metrics::gauge!(RECONCILE_LAST_SUCCESS, "account" => account.clone())
            .set(report.started_at as f64 / 1000.0);
        for found in report.found.iter().filter(|f| f.new) {
            metrics::counter!(RECONCILE_CHANGES, "account" => account.clone(), "kind" => found.change.what.kind()).increment(1);
        }
        if !missing.is_empty() {
            self.route_wake.notify_one();
            info!(account = %account, ?missing, read = report.read, "reconciliation found changes no webhook delivered");
            self.alerts
                .missed_webhooks(&account, report.started_at, &missing);
        }
    }
}

/// The new events a pass stored, counted by event type.
pub fn missing_by_type(report: &PassReport) -> BTreeMap<String, usize> {
    let mut missing = BTreeMap::new();
    for found in report.found.iter().filter(|f| f.new) {
        *missing
            .entry(synthesize::event_type(&found.change).to_owned())
            .or_default() += 1;
    }
    missing
}

/// Whether passes are failing, so a streak is logged once when it starts and once when it
/// ends.
#[derive(Debug, Default)]
struct FailureStreak {
    failing: bool,
}

impl FailureStreak {
    /// A pass failed: true when this starts a streak (log it).
    fn failed(&mut self) -> bool {
        !std::mem::replace(&mut self.failing, true)
    }

    /// A pass succeeded: true when this ends a streak (log the recovery).
    fn succeeded(&mut self) -> bool {
        std::mem::replace(&mut self.failing, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_streak_is_reported_once_when_it_starts_and_once_when_it_ends() {
        let mut streak = FailureStreak::default();
        assert!(!streak.succeeded(), "no streak to end");
        assert!(streak.failed());
        assert!(!streak.failed());
        assert!(!streak.failed());
        assert!(streak.succeeded());
        assert!(!streak.succeeded());
        assert!(streak.failed(), "a new streak");
    }
}
