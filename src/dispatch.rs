//! Running jobs: the worker pool (jobs → handler attempts), with per-opportunity order,
//! backoff, dead letters and leases. It also starts the router task
//! ([`crate::route::RouterTask`], stored events → jobs).

mod after_attempt;
pub mod backoff;
mod settings;

pub use after_attempt::{after_attempt, AfterAttempt};
pub use settings::{DispatchConfig, RetryConfig};

use crate::alerts::Alerts;
use crate::attempt::{invoke, job_document};
use crate::document::EventDocument;
/// Kept here for code written against `dispatch::error_chain`; it lives in [`crate::error`].
pub use crate::error::error_chain;
use crate::handler::{HandlerContext, HandlerRegistry, Outcome, Platform};
use crate::lever_accounts::LeverAccounts;
use crate::metrics::{ATTEMPTS, DEAD_LETTERS, HANDLER_SECONDS, QUEUE_DEPTH};
use crate::route::lookup::Lookup;
/// Kept here for code written against `dispatch::RoutedBatch`; it lives in [`crate::route`].
pub use crate::route::RoutedBatch;
use crate::route::{Router, RouterTask};
use crate::store::now_millis;
use crate::store::{
    Attempt, AttemptOutcome, Change, ClaimedJob, Job, NextStep, Store, StoreError, StoredEvent,
};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify, Semaphore};
use tracing::{error, info, warn};

/// Longest sleep between checks for due jobs when nothing wakes the dispatcher.
const IDLE_POLL: Duration = Duration::from_secs(5);
/// Pause after a store error before trying again.
const STORE_ERROR_PAUSE: Duration = Duration::from_secs(1);
/// How often at most the workers count due jobs for [`QUEUE_DEPTH`].
const QUEUE_DEPTH_EVERY: Duration = Duration::from_secs(1);

/// Everything the background tasks share.
#[derive(Clone)]
pub struct Dispatcher {
    store: Arc<dyn Store>,
    handlers: HandlerRegistry,
    /// Turns stored events into jobs.
    routing: RouterTask,
    dispatch: DispatchConfig,
    retry: RetryConfig,
    /// Rung when jobs were created or finished.
    work_wake: Arc<Notify>,
    /// Told about dead letters.
    alerts: Arc<Alerts>,
    /// What handlers reach through their context.
    platform: Platform,
}

impl Dispatcher {
    /// A dispatcher over `store`, running `handlers` for events matched by `router`.
    pub fn new(
        store: Arc<dyn Store>,
        handlers: HandlerRegistry,
        router: Router,
        dispatch: DispatchConfig,
        retry: RetryConfig,
    ) -> Self {
        let work_wake = Arc::new(Notify::new());
        Self {
            routing: RouterTask::new(store.clone(), router, work_wake.clone()),
            platform: Platform::new(store.clone(), Arc::new(LeverAccounts::default())),
            store,
            handlers,
            dispatch,
            retry,
            work_wake,
            alerts: Arc::new(Alerts::default()),
        }
    }

    /// Reports dead letters to `alerts` (by default nobody is told).
    pub fn with_alerts(mut self, alerts: Arc<Alerts>) -> Self {
        self.alerts = alerts;
        self
    }

    /// Gives routing and handlers the accounts' Data API: routing looks up stage names and
    /// archive reason types through it, and handlers reach it through their context.
    pub fn with_accounts(mut self, accounts: Arc<LeverAccounts>) -> Self {
        self.platform = Platform::new(self.store.clone(), accounts.clone());
        self.with_lookup(accounts)
    }

    /// Answers stage names and archive reason types from `lookup` (by default nothing is
    /// known, and stage filters match ids only).
    pub fn with_lookup(mut self, lookup: Arc<dyn Lookup>) -> Self {
        self.routing = self.routing.with_lookup(lookup);
        self
    }

    /// The bell that wakes the workers (rung after replays and retries).
    pub fn work_wake(&self) -> Arc<Notify> {
        self.work_wake.clone()
    }

    /// The bell intake rings after storing an event.
    pub fn route_wake(&self) -> Arc<Notify> {
        self.routing.route_wake()
    }

    /// Routes stored events into jobs until `stop` turns true.
    pub async fn run_router(self, stop: watch::Receiver<bool>) {
        self.routing.run(stop).await
    }

    /// Routes one batch of stored events.
    pub async fn route_pending(&self) -> Result<RoutedBatch, StoreError> {
        self.routing.route_pending().await
    }

    /// Runs jobs with `[dispatch] workers` at once until `stop` turns true, then waits up
    /// to `grace` for running jobs. Jobs still running then stay leased and are resumed
    /// at the next start.
    pub async fn run_workers(self, mut stop: watch::Receiver<bool>, grace: Duration) {
        let slots = Arc::new(Semaphore::new(self.dispatch.workers));
        let mut depth_counted: Option<Instant> = None;
        while !*stop.borrow() {
            let free = slots.available_permits();
            let claimed = if free == 0 {
                Vec::new()
            } else {
                match self
                    .store
                    .claim(now_millis(), free, self.dispatch.lease)
                    .await
                {
                    Ok(jobs) => jobs,
                    Err(e) => {
                        error!(error = %e, "claiming jobs failed; retrying");
                        tokio::time::sleep(STORE_ERROR_PAUSE).await;
                        continue;
                    }
                }
            };
            if depth_counted.map_or(true, |at| at.elapsed() >= QUEUE_DEPTH_EVERY) {
                depth_counted = Some(Instant::now());
                self.count_queue_depth().await;
            }
            let took_all = free > 0 && claimed.len() == free;
            for job in claimed {
                let slot = slots.clone().acquire_owned().await.expect("never closed");
                let this = self.clone();
                tokio::spawn(async move {
                    this.run_job(job).await;
                    drop(slot);
                    this.work_wake.notify_one();
                });
            }
            if took_all {
                continue;
            }
            let sleep = self.sleep_until_due().await;
            tokio::select! {
                _ = self.work_wake.notified() => {}
                // Another instance stored, finished or replayed jobs (a shared store only).
                _ = self.store.changed(Change::Jobs) => {}
                _ = tokio::time::sleep(sleep) => {}
                _ = stop.changed() => {}
            }
        }
        let all = self.dispatch.workers as u32;
        let finished = tokio::time::timeout(grace, slots.acquire_many(all))
            .await
            .is_ok();
        if finished {
            info!("all running jobs finished");
        } else {
            warn!(
                grace_ms = grace.as_millis() as u64,
                "jobs still running at the end of the grace period; they resume at the next start"
            );
        }
    }

    /// Sets [`QUEUE_DEPTH`] to the jobs due now that no worker took yet, when the store
    /// can count them. The worker loop calls it after a claim round, at most once per
    /// [`QUEUE_DEPTH_EVERY`], so the gauge can lag by that plus an idle poll.
    async fn count_queue_depth(&self) {
        match self.store.due_count(now_millis()).await {
            Ok(Some(due)) => metrics::gauge!(QUEUE_DEPTH).set(due as f64),
            Ok(None) => {}
            Err(e) => warn!(error = %e, "could not count due jobs"),
        }
    }

    async fn sleep_until_due(&self) -> Duration {
        match self.store.next_due().await {
            Ok(Some(due)) => Duration::from_millis(due.saturating_sub(now_millis())).min(IDLE_POLL),
            _ => IDLE_POLL,
        }
    }

    /// Runs one attempt of a claimed job and records it: build the document, run the
    /// handler, decide what follows ([`after_attempt`]), record, then log and alert.
    pub async fn run_job(&self, claimed: ClaimedJob) {
        let ClaimedJob { job, event } = claimed;
        let number = job.next_attempt_number();
        let doc = job_document(&event, &job, number);
        let started_at = now_millis();
        let clock = Instant::now();
        let outcome = self.run_handler(&doc).await;
        let duration = clock.elapsed();
        let AfterAttempt {
            outcome: attempt_outcome,
            error: error_text,
            next,
        } = after_attempt(
            &outcome,
            job.attempts_in_budget() + 1,
            &self.retry,
            now_millis(),
            &mut rand::rng(),
        );
        count_attempt(&job.handler, attempt_outcome, duration);
        let attempt = Attempt {
            number,
            started_at,
            duration_ms: duration.as_millis() as u64,
            outcome: attempt_outcome,
            error: error_text.clone(),
        };
        if let Err(e) = self.store.finish_attempt(&job.id, attempt, next).await {
            error!(job = %job.id, error = %e, "could not record the attempt; the job will run again");
            return;
        }
        let error = error_text.as_deref().unwrap_or("");
        self.report_attempt(&job, &event, number, duration, error, next);
    }

    /// Runs the handler `doc` names, or gives up when no handler has that name.
    async fn run_handler(&self, doc: &EventDocument) -> Outcome {
        match self.handlers.get(&doc.handler) {
            None => Outcome::give_up(format!("no handler named `{}` is configured", doc.handler)),
            Some(handler) => {
                let ctx = HandlerContext::new(
                    doc.handler.clone(),
                    doc.account.clone(),
                    self.platform.clone(),
                );
                invoke(handler.as_ref(), doc, &ctx).await
            }
        }
    }

    /// Logs a recorded attempt, and counts and alerts a dead letter.
    fn report_attempt(
        &self,
        job: &Job,
        event: &StoredEvent,
        number: u32,
        duration: Duration,
        error: &str,
        next: NextStep,
    ) {
        let label = match next {
            NextStep::Done => "done",
            NextStep::RetryAt(_) => "retry",
            NextStep::Dead => "dead_letter",
        };
        let span = tracing::info_span!(
            "job",
            handler = %job.handler,
            event_id = %event.id,
            attempt = number,
            duration_ms = duration.as_millis() as u64,
            outcome = label,
        );
        let _entered = span.enter();
        match next {
            NextStep::Done => info!("job attempt"),
            NextStep::RetryAt(at) => {
                warn!(
                    retry_in_ms = at.saturating_sub(now_millis()),
                    error, "job attempt"
                )
            }
            NextStep::Dead => {
                error!(error, "job attempt: dead letter");
                metrics::counter!(DEAD_LETTERS, "handler" => job.handler.clone()).increment(1);
                self.alerts.dead_letter(job, event, number, error);
            }
        }
    }
}

/// Counts an attempt of `handler` and how long it took, by what the handler answered.
fn count_attempt(handler: &str, outcome: AttemptOutcome, duration: Duration) {
    let answered = match outcome {
        AttemptOutcome::Done => "done",
        AttemptOutcome::Retry => "retry",
        AttemptOutcome::GiveUp => "give_up",
    };
    metrics::counter!(ATTEMPTS, "handler" => handler.to_owned(), "outcome" => answered)
        .increment(1);
    metrics::histogram!(HANDLER_SECONDS, "handler" => handler.to_owned(), "outcome" => answered)
        .record(duration.as_secs_f64());
}
