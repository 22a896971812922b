//! Running jobs: the router task (stored events → jobs) and the worker pool (jobs →
//! handler attempts), with per-opportunity order, backoff, dead letters and leases.

mod after_attempt;
pub mod backoff;
mod settings;

pub use after_attempt::{after_attempt, AfterAttempt};
pub use settings::{DispatchConfig, RetryConfig};

use crate::alerts::Alerts;
use crate::attempt::{invoke, job_document};
/// Kept here for code written against `dispatch::error_chain`; it lives in [`crate::error`].
pub use crate::error::error_chain;
use crate::event::LeverEvent;
use crate::handler::{HandlerContext, HandlerRegistry, Outcome};
use crate::log_safe::LogSafe;
use crate::lookup::{Lookup, LookupError, NoLookup};
use crate::metrics::{ATTEMPTS, DEAD_LETTERS, HANDLER_SECONDS, JOBS_CREATED, QUEUE_DEPTH};
use crate::route::{order_key, Facts, Needs, Router};
use crate::store::now_millis;
use crate::store::{
    Attempt, AttemptOutcome, Change, ClaimedJob, EventFilter, NewJob, NextStep, Routing, Store,
    StoreError, StoredEvent,
};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify, Semaphore};
use tracing::{error, info, warn};

/// Longest sleep between checks for due jobs when nothing wakes the dispatcher.
const IDLE_POLL: Duration = Duration::from_secs(5);
/// Pause after a store error before trying again.
const STORE_ERROR_PAUSE: Duration = Duration::from_secs(1);
/// Events routed per store read.
const ROUTE_BATCH: usize = 256;
/// How long the router gathers deliveries after being woken, before routing them as one
/// batch: each batch costs a store read, a journal write and a wake-up, and a handler
/// starting a few milliseconds later makes no difference to it.
const ROUTE_GATHER: Duration = Duration::from_millis(2);
/// Pause before routing again events whose lookups failed (the Data API was down).
const LOOKUP_RETRY_PAUSE: Duration = Duration::from_secs(5);
/// How long a router keeps the events it took (a store shared by several instances hands
/// them to another router after this, e.g. when this instance died).
const ROUTE_LEASE: Duration = Duration::from_secs(10);
/// How often at most the workers count due jobs for [`QUEUE_DEPTH`].
const QUEUE_DEPTH_EVERY: Duration = Duration::from_secs(1);

/// What one routing round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoutedBatch {
    /// Events routed (to handlers or to none).
    pub routed: usize,
    /// Events left unrouted because a lookup failed; they are tried again shortly.
    pub waiting: usize,
    /// Jobs the routed events asked for (some may have existed already).
    pub jobs: usize,
}

/// Everything the background tasks share.
#[derive(Clone)]
pub struct Dispatcher {
    store: Arc<dyn Store>,
    handlers: HandlerRegistry,
    router: Router,
    lookup: Arc<dyn Lookup>,
    dispatch: DispatchConfig,
    retry: RetryConfig,
    /// Rung by intake when an event was stored. (Other instances sharing the store are
    /// heard through [`Store::changed`].)
    route_wake: Arc<Notify>,
    /// Rung when jobs were created or finished.
    work_wake: Arc<Notify>,
    /// Told about dead letters.
    alerts: Arc<Alerts>,
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
        Self {
            store,
            handlers,
            router,
            lookup: Arc::new(NoLookup),
            dispatch,
            retry,
            route_wake: Arc::new(Notify::new()),
            work_wake: Arc::new(Notify::new()),
            alerts: Arc::new(Alerts::default()),
        }
    }

    /// Reports dead letters to `alerts` (by default nobody is told).
    pub fn with_alerts(mut self, alerts: Arc<Alerts>) -> Self {
        self.alerts = alerts;
        self
    }

    /// Answers stage names and archive reason types from `lookup` (by default nothing is
    /// known, and stage filters match ids only).
    pub fn with_lookup(mut self, lookup: Arc<dyn Lookup>) -> Self {
        self.lookup = lookup;
        self
    }

    /// The bell that wakes the workers (rung after replays and retries).
    pub fn work_wake(&self) -> Arc<Notify> {
        self.work_wake.clone()
    }

    /// The bell intake rings after storing an event.
    pub fn route_wake(&self) -> Arc<Notify> {
        self.route_wake.clone()
    }

    /// Routes stored events into jobs until `stop` turns true.
    pub async fn run_router(self, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            let pause = match self.route_pending().await {
                Ok(batch) => {
                    // Only new jobs give the workers anything to do.
                    if batch.jobs > 0 {
                        self.work_wake.notify_one();
                    }
                    if batch.waiting > 0 {
                        Some(LOOKUP_RETRY_PAUSE)
                    } else if batch.routed < ROUTE_BATCH {
                        // Drained: the next delivery wakes this loop.
                        Some(IDLE_POLL)
                    } else {
                        None
                    }
                }
                Err(e) => {
                    error!(error = %e, "routing failed; retrying");
                    Some(STORE_ERROR_PAUSE)
                }
            };
            if let Some(pause) = pause {
                tokio::select! {
                    // Each accepted delivery wakes the router; gathering for a moment
                    // routes a burst in one batch instead of one wake-up per delivery.
                    _ = self.route_wake.notified() => tokio::time::sleep(ROUTE_GATHER).await,
                    _ = self.store.changed(Change::Events) => {}
                    _ = tokio::time::sleep(pause) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }

    /// Routes one batch of stored events.
    pub async fn route_pending(&self) -> Result<RoutedBatch, StoreError> {
        let run_at = now_millis();
        let events = self
            .store
            .take_unrouted(ROUTE_BATCH, run_at, ROUTE_LEASE)
            .await?;
        let mut routed = Vec::with_capacity(events.len());
        let mut waiting = 0;
        for event in &events {
            let typed = match LeverEvent::decode(&event.event, &event.data) {
                Ok(typed) => Some(typed),
                Err(e) => {
                    warn!(event_id = %event.id, error = %LogSafe(&e), "data did not decode; only routes without stage filters or meanings apply");
                    None
                }
            };
            if let Some(LeverEvent::CandidateDeleted(deleted)) = &typed {
                // Before routing: if routing fails, this runs again for the same event.
                let purged = self
                    .store
                    .purge_events(
                        &EventFilter {
                            account: Some(event.account.clone()),
                            opportunity: Some(deleted.opportunity_id.to_string()),
                            ..EventFilter::default()
                        },
                        run_at,
                    )
                    .await?;
                info!(event_id = %event.id, opportunity = %LogSafe(&deleted.opportunity_id), purged, "opportunity deleted in Lever: its stored events are now tombstones (ids and times only)");
            }
            let needs = self.router.needs(&event.event, typed.as_ref());
            let facts = match self.facts(event, typed.as_ref(), needs).await {
                Ok(facts) => facts,
                Err(e) => {
                    warn!(event_id = %event.id, error = %e, "routing this event waits until the lookup succeeds");
                    waiting += 1;
                    continue;
                }
            };
            let mut jobs = Vec::new();
            for matched in self
                .router
                .handlers_for(&event.event, typed.as_ref(), &facts)
            {
                if matched.as_hire && !self.first_hire(event, &matched.handler).await? {
                    continue;
                }
                jobs.push(NewJob {
                    order_key: order_key(event, &matched.handler),
                    handler: matched.handler,
                    run_at,
                });
            }
            routed.push(Routing {
                event: event.id.clone(),
                seq: event.seq,
                jobs,
            });
        }
        let count = routed.len();
        let mut jobs = 0;
        if !routed.is_empty() {
            let created: Vec<String> = routed
                .iter()
                .flat_map(|r| r.jobs.iter().map(|j| j.handler.clone()))
                .collect();
            jobs = created.len();
            self.store.route(routed).await?;
            for handler in created {
                metrics::counter!(JOBS_CREATED, "handler" => handler).increment(1);
            }
        }
        Ok(RoutedBatch {
            routed: count,
            waiting,
            jobs,
        })
    }

    /// Looks up what routing `event` needs beyond its payload.
    async fn facts(
        &self,
        event: &StoredEvent,
        typed: Option<&LeverEvent>,
        needs: Needs,
    ) -> Result<Facts, LookupError> {
        let mut facts = Facts::default();
        let Some(typed) = typed else {
            return Ok(facts);
        };
        let account = &event.account;
        if needs.stage_names {
            if let Some(to) = typed.to_stage() {
                facts.to_stage_name = self.lookup.stage_name(account, to.as_str()).await?;
            }
            if let Some(from) = typed.from_stage() {
                facts.from_stage_name = self.lookup.stage_name(account, from.as_str()).await?;
            }
        }
        if needs.reason_type {
            if let LeverEvent::CandidateArchiveChange(change) = typed {
                let reason = change.to_archived.as_ref().and_then(|a| a.reason.as_ref());
                if let Some(reason) = reason {
                    facts.reason_type = self.lookup.reason_type(account, reason.as_str()).await?;
                }
            }
        }
        Ok(facts)
    }

    /// Claims the hire of `event`'s opportunity for `handler`; false when another event
    /// (Lever may send `candidateHired` and a hired archive) already took it.
    async fn first_hire(&self, event: &StoredEvent, handler: &str) -> Result<bool, StoreError> {
        let Some(opportunity) = &event.opportunity_id else {
            return Ok(true);
        };
        let key = format!("hire/{}/{opportunity}/{handler}", event.account);
        let mine = serde_json::Value::String(event.id.to_string());
        match self.store.insert_record(&key, mine.clone()).await? {
            None => Ok(true),
            // Routing the same event again (after a crash) keeps its job.
            Some(existing) if existing == mine => Ok(true),
            Some(existing) => {
                info!(event_id = %event.id, %handler, first = %existing, "hire already delivered to this handler by an earlier event; no new job");
                Ok(false)
            }
        }
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

    /// Runs one attempt of a claimed job and records it.
    pub async fn run_job(&self, claimed: ClaimedJob) {
        let ClaimedJob { job, event } = claimed;
        let number = job.next_attempt_number();
        let doc = job_document(&event, &job, number);
        let started_at = now_millis();
        let clock = Instant::now();
        let outcome = match self.handlers.get(&job.handler) {
            None => Outcome::give_up(format!("no handler named `{}` is configured", job.handler)),
            Some(handler) => {
                let ctx = HandlerContext::new(job.handler.clone(), event.account.clone());
                invoke(handler.as_ref(), &doc, &ctx).await
            }
        };
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
        let answered = match attempt_outcome {
            AttemptOutcome::Done => "done",
            AttemptOutcome::Retry => "retry",
            AttemptOutcome::GiveUp => "give_up",
        };
        metrics::counter!(ATTEMPTS, "handler" => job.handler.clone(), "outcome" => answered)
            .increment(1);
        metrics::histogram!(HANDLER_SECONDS, "handler" => job.handler.clone(), "outcome" => answered)
            .record(duration.as_secs_f64());
        let label = match next {
            NextStep::Done => "done",
            NextStep::RetryAt(_) => "retry",
            NextStep::Dead => "dead_letter",
        };
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
        let span = tracing::info_span!(
            "job",
            handler = %job.handler,
            event_id = %event.id,
            attempt = number,
            duration_ms = duration.as_millis() as u64,
            outcome = label,
        );
        let _entered = span.enter();
        let error = error_text.as_deref().unwrap_or("");
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
                self.alerts.dead_letter(&job, &event, number, error);
            }
        }
    }
}
