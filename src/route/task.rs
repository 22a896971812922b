//! The router task: takes stored events, looks up what their routes need, purges the
//! history of deleted candidates, claims hires once per handler, and turns the matches
//! into jobs.

use super::lookup::{Lookup, LookupError, NoLookup};
use super::{order_key, result_handlers, Facts, Needs, Router};
use crate::event::{LeverEvent, OpportunityId};
use crate::log_safe::LogSafe;
use crate::metrics::{JOBS_CREATED, RECONCILE_LATE_WEBHOOKS};
use crate::opportunity_state as state;
use crate::opportunity_state::late::{self, StateUpdate};
use crate::record_key::RecordKey;
use crate::store::{
    now_millis, Change, EventFilter, NewJob, Routing, Store, StoreError, StoredEvent,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tracing::{error, info, warn};

/// Longest sleep between routing rounds when nothing wakes the router.
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

/// What reconciliation says about routing one event.
enum Reconciled {
    /// A late webhook: reconciliation ran this change already; no jobs.
    Covered,
    /// Route it, then update its opportunity's state (when it has one).
    Route(Option<(String, StateUpdate)>),
}

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

/// Routes the events of a store into jobs.
#[derive(Clone)]
pub struct RouterTask {
    store: Arc<dyn Store>,
    router: Router,
    lookup: Arc<dyn Lookup>,
    /// Rung by intake when an event was stored. (Other instances sharing the store are
    /// heard through [`Store::changed`].)
    route_wake: Arc<Notify>,
    /// Rung when routing created jobs.
    work_wake: Arc<Notify>,
}

impl RouterTask {
    /// A task routing `store`'s events by `router`, ringing `work_wake` when it made jobs.
    /// Nothing is looked up until [`RouterTask::with_lookup`].
    pub fn new(store: Arc<dyn Store>, router: Router, work_wake: Arc<Notify>) -> Self {
        Self {
            store,
            router,
            lookup: Arc::new(NoLookup),
            route_wake: Arc::new(Notify::new()),
            work_wake,
        }
    }

    /// Answers stage names and archive reason types from `lookup`.
    pub fn with_lookup(mut self, lookup: Arc<dyn Lookup>) -> Self {
        self.lookup = lookup;
        self
    }

    /// The bell intake rings after storing an event.
    pub fn route_wake(&self) -> Arc<Notify> {
        self.route_wake.clone()
    }

    /// Routes stored events into jobs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
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
            match self.route_one(event, run_at).await? {
                Some(routing) => routed.push(routing),
                None => waiting += 1,
            }
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

    /// The jobs `event` asks for, or `None` when a lookup failed and it must wait.
    async fn route_one(
        &self,
        event: &StoredEvent,
        run_at: u64,
    ) -> Result<Option<Routing>, StoreError> {
        if let Some(handlers) = result_handlers(&event.event, &event.data) {
            // A provider's result: the one handler that asked, whatever the routes say.
            let jobs = handlers
                .into_iter()
                .map(|handler| NewJob {
                    order_key: order_key(event, &handler),
                    handler,
                    run_at,
                })
                .collect();
            return Ok(Some(Routing {
                event: event.id.clone(),
                seq: event.seq,
                jobs,
            }));
        }
        let typed = match LeverEvent::decode(&event.event, &event.data) {
            Ok(typed) => Some(typed),
            Err(e) => {
                warn!(event_id = %event.id, error = %LogSafe(&e), "data did not decode; only routes without stage filters or meanings apply");
                None
            }
        };
        if let Some(LeverEvent::CandidateDeleted(deleted)) = &typed {
            // Before routing: if routing fails, this runs again for the same event.
            self.purge_deleted(event, &deleted.opportunity_id, run_at)
                .await?;
        }
        let update = match self.reconciled(event, typed.as_ref()).await? {
            Reconciled::Covered => {
                return Ok(Some(Routing {
                    event: event.id.clone(),
                    seq: event.seq,
                    jobs: Vec::new(),
                }))
            }
            Reconciled::Route(update) => update,
        };
        let needs = self.router.needs(&event.event, typed.as_ref());
        let facts = match self.facts(event, typed.as_ref(), needs).await {
            Ok(facts) => facts,
            Err(e) => {
                warn!(event_id = %event.id, error = %e, "routing this event waits until the lookup succeeds");
                return Ok(None);
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
        if let Some((opportunity, update)) = update {
            self.update_state(event, &opportunity, update).await?;
        }
        Ok(Some(Routing {
            event: event.id.clone(),
            seq: event.seq,
            jobs,
        }))
    }

    /// Whether `event` is a late webhook reconciliation already ran (remembered and
    /// counted once), else what routing it does to its opportunity's state.
    async fn reconciled(
        &self,
        event: &StoredEvent,
        typed: Option<&LeverEvent>,
    ) -> Result<Reconciled, StoreError> {
        let Some(typed) = typed.filter(|t| {
            matches!(
                t,
                LeverEvent::CandidateStageChange(_)
                    | LeverEvent::CandidateArchiveChange(_)
                    | LeverEvent::CandidateDeleted(_)
            )
        }) else {
            // Only these move or end an opportunity's state.
            return Ok(Reconciled::Route(None));
        };
        let Some(opportunity) = typed.opportunity_id().map(|o| o.as_str().to_owned()) else {
            return Ok(Reconciled::Route(None));
        };
        let account = &event.account;
        // Routed before, covered: the same answer (the state no longer tells it).
        if late::covered_by(&*self.store, account, &event.id)
            .await?
            .is_some()
        {
            return Ok(Reconciled::Covered);
        }
        let prior = state::load(&*self.store, account, &opportunity).await?;
        let decision = late::decide(
            prior.as_ref(),
            typed,
            &event.id,
            event.source(),
            event.triggered_at,
        );
        if let Some(by) = decision.covered_by {
            if late::remember_cover(&*self.store, account, &event.id, &by).await? {
                metrics::counter!(RECONCILE_LATE_WEBHOOKS, "account" => account.clone())
                    .increment(1);
            }
            info!(event_id = %event.id, covered_by = %by, "late webhook: reconciliation already ran this change; no jobs");
            return Ok(Reconciled::Covered);
        }
        Ok(Reconciled::Route(Some((opportunity, decision.update))))
    }

    /// Applies what routing `event` does to `opportunity`'s last known state.
    async fn update_state(
        &self,
        event: &StoredEvent,
        opportunity: &str,
        update: StateUpdate,
    ) -> Result<(), StoreError> {
        let store = &*self.store;
        match update {
            StateUpdate::Keep => Ok(()),
            StateUpdate::Save(next) => state::save(store, &event.account, opportunity, &next).await,
            StateUpdate::Forget => state::forget(store, &event.account, opportunity).await,
        }
    }

    /// Turns the stored events of a candidacy deleted in Lever into tombstones.
    async fn purge_deleted(
        &self,
        event: &StoredEvent,
        opportunity: &OpportunityId,
        now: u64,
    ) -> Result<(), StoreError> {
        let filter = EventFilter {
            account: Some(event.account.clone()),
            opportunity: Some(opportunity.to_string()),
            ..EventFilter::default()
        };
        let purged = self.store.purge_events(&filter, now).await?;
        info!(event_id = %event.id, opportunity = %LogSafe(opportunity), purged, "opportunity deleted in Lever: its stored events are now tombstones (ids and times only)");
        Ok(())
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
        if needs.opportunity {
            if let Some(opportunity) = typed.opportunity_id() {
                facts.opportunity = self
                    .lookup
                    .opportunity_facts(account, opportunity.as_str())
                    .await?;
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
        let key = RecordKey::hire_once(&event.account, opportunity.as_str(), handler);
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
}

#[cfg(test)]
mod tests;
