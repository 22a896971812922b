//! One reconciliation pass for one account: read what changed in the Data API since a
//! time, compare it with the last known states, store the events no webhook delivered,
//! and keep the new states. The poller and `lever-hooks reconcile` both run it.

use super::diff::{self, Change, What};
use super::rate::PollLimiter;
use super::synthesize;
use crate::event::EventId;
use crate::lever::{ArchiveReasonType, LeverError, Opportunity, OpportunityFilter, TimeRange};
use crate::lever_accounts::AccountApi;
use crate::opportunity_state::{self as state, OpportunityState};
use crate::store::{now_millis, IngestOutcome, Millis, NewEvent, Store, StoreError};
use std::collections::BTreeSet;

/// Where a pass starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// No pass ran before: read every opportunity and only record its state.
    First,
    /// Opportunities updated, and deleted, at or after this time (ms).
    Since(Millis),
}

/// What one pass is about and what it may use.
pub struct Pass<'a> {
    /// The account.
    pub account: &'a str,
    /// The store holding events and states.
    pub store: &'a dyn Store,
    /// The account's Data API (its client is shared with the handlers).
    pub api: &'a AccountApi,
    /// The poll's own limiter, in front of the shared one.
    pub limiter: Option<&'a PollLimiter>,
    /// Find and list changes, but store nothing (no event, no state).
    pub dry_run: bool,
}

/// One change found, with its event and what storing it gave.
#[derive(Debug, Clone)]
pub struct Found {
    /// The change.
    pub change: Change,
    /// The event synthesized for it.
    pub event: NewEvent,
    /// The stored event's id (a duplicate's is the first copy's); `None` in a dry run.
    pub stored: Option<EventId>,
    /// False when another instance (or an earlier pass) had stored it already.
    pub new: bool,
}

/// What a pass did.
#[derive(Debug, Clone, Default)]
pub struct PassReport {
    /// When it started (the next cursor).
    pub started_at: Millis,
    /// It only recorded states (the first pass).
    pub first: bool,
    /// Pages read from the Data API.
    pub pages: usize,
    /// Opportunities and deleted opportunities read.
    pub read: usize,
    /// The changes found, in the order found.
    pub found: Vec<Found>,
}

/// Why a pass stopped before its end (it is retried whole next time).
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    /// The Data API failed (down, 401, …).
    #[error("Lever's Data API: {0}")]
    Lever(#[from] LeverError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// The source recorded in the states reconciliation sets.
pub const SOURCE: &str = "reconcile";

impl Pass<'_> {
    /// Runs the pass over `window`; `progress(pages, read)` is called after each page.
    pub async fn run(
        &self,
        window: Window,
        progress: &mut (dyn FnMut(usize, usize) + Send),
    ) -> Result<PassReport, PassError> {
        let mut report = PassReport {
            started_at: now_millis(),
            first: window == Window::First,
            ..PassReport::default()
        };
        let since = match window {
            Window::First => None,
            Window::Since(at) => Some(at),
        };
        let filter = OpportunityFilter {
            updated_at: since
                .map(|at| TimeRange::since(at as i64))
                .unwrap_or_default(),
            confidentiality: Some("all".to_owned()),
            ..OpportunityFilter::default()
        };
        let mut offset: Option<String> = None;
        loop {
            self.wait().await;
            let page = self
                .api
                .client
                .opportunities_page(&filter, offset.as_deref())
                .await?;
            report.pages += 1;
            report.read += page.data.len();
            for opportunity in &page.data {
                self.opportunity(opportunity, since, &mut report).await?;
            }
            progress(report.pages, report.read);
            match (page.has_next, page.next) {
                (true, Some(next)) => offset = Some(next),
                _ => break,
            }
        }
        if let Some(since) = since {
            self.wait().await;
            let deleted = self
                .api
                .client
                .deleted_opportunities(TimeRange::since(since as i64))
                .await?;
            report.pages += 1;
            report.read += deleted.len();
            for gone in &deleted {
                let known = state::load(self.store, self.account, &gone.id).await?;
                if let Some(change) = diff::deletion(known.as_ref(), gone, report.started_at) {
                    self.store_changes(vec![change], &mut report).await?;
                    if !self.dry_run {
                        state::forget(self.store, self.account, &gone.id).await?;
                    }
                }
            }
            progress(report.pages, report.read);
        }
        Ok(report)
    }

    async fn wait(&self) {
        if let Some(limiter) = self.limiter {
            limiter.wait().await;
        }
    }

    /// Compares one opportunity with its known state; stores what changed and the state.
    async fn opportunity(
        &self,
        now: &Opportunity,
        since: Option<Millis>,
        report: &mut PassReport,
    ) -> Result<(), PassError> {
        let known = state::load(self.store, self.account, &now.id).await?;
        let current = diff::state_of(now);
        let Some(since) = since else {
            // The first pass: record, run nothing.
            if !self.dry_run && known.as_ref().map(essentials) != Some(essentials(&current)) {
                self.save(&now.id, current, None).await?;
            }
            return Ok(());
        };
        let hired = self.hired_reasons(now).await?;
        let changes = diff::changes(known.as_ref(), now, &hired, since);
        if changes.is_empty() {
            if known.is_none() && !self.dry_run {
                self.save(&now.id, current, None).await?;
            }
            return Ok(());
        }
        let set_by = self.store_changes(changes, report).await?;
        if !self.dry_run {
            self.save(&now.id, current, set_by).await?;
        }
        Ok(())
    }

    /// The hired reasons among `now`'s archive reason (looked up, cached per account).
    async fn hired_reasons(&self, now: &Opportunity) -> Result<BTreeSet<String>, PassError> {
        let mut hired = BTreeSet::new();
        if let Some(reason) = now.archived.as_ref().and_then(|a| a.reason.as_deref()) {
            let found = self.api.directory.archive_reason(reason).await?;
            if found.is_some_and(|r| r.r#type == ArchiveReasonType::Hired) {
                hired.insert(reason.to_owned());
            }
        }
        Ok(hired)
    }

    /// Stores an event for each change (unless a dry run); the id of the last stored
    /// stage or archive event (the one that set the state).
    async fn store_changes(
        &self,
        changes: Vec<Change>,
        report: &mut PassReport,
    ) -> Result<Option<EventId>, PassError> {
        let mut last = None;
        for change in changes {
            let event = synthesize::new_event(self.account, &change, report.started_at);
            let (stored, new) = if self.dry_run {
                (None, true)
            } else {
                match self.store.ingest(event.clone()).await? {
                    IngestOutcome::Accepted(id) => (Some(id), true),
                    IngestOutcome::Duplicate(id) => (Some(id), false),
                    IngestOutcome::TokenReused => (None, false),
                }
            };
            // The state is set by the stage and archive events; a hire only follows one.
            if !matches!(change.what, What::Hire { .. }) {
                last = stored.clone().or(last);
            }
            report.found.push(Found {
                change,
                event,
                stored,
                new,
            });
        }
        Ok(last)
    }

    async fn save(
        &self,
        opportunity: &str,
        mut current: OpportunityState,
        set_by: Option<EventId>,
    ) -> Result<(), StoreError> {
        current.source = set_by.as_ref().map(|_| SOURCE.to_owned());
        current.set_by = set_by;
        state::save(self.store, self.account, opportunity, &current).await
    }
}

/// What a first pass compares: stage and archive state.
fn essentials(state: &OpportunityState) -> (Option<&str>, Option<&str>) {
    (state.stage_id.as_deref(), state.archived_reason.as_deref())
}
