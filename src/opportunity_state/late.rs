//! The router's side of reconciliation (pure): how routing an event moves its
//! opportunity's last known state, and when a webhook arrives too late to matter because
//! reconciliation already ran the same change. The records that remember covered webhooks.

use super::{after_event, OpportunityState};
use crate::event::{EventId, EventSource, LeverEvent};
use crate::record_key::RecordKey;
use crate::store::{Millis, Store, StoreError};

/// What routing an event does to its opportunity's last known state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateUpdate {
    /// Leave it as it is.
    Keep,
    /// Replace it.
    Save(OpportunityState),
    /// The opportunity was deleted: forget it.
    Forget,
}

/// What routing an event must know about reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The reconciled event that already ran this change: the event gets no jobs.
    pub covered_by: Option<EventId>,
    /// What to do with the opportunity's state.
    pub update: StateUpdate,
}

/// Decides for `event` (id `event_id`, from `source`, triggered at `triggered_at`) given
/// its opportunity's state `prior`.
///
/// - A deletion forgets the state.
/// - A *webhook* stage or archive change that ends where `prior` is, when `prior` was set
///   by another event found by reconciliation, is covered by that event: it gets no jobs
///   and leaves the state as it is.
/// - Any other stage or archive change from a webhook or reconciliation moves the state
///   ([`after_event`]), unless it is older than the state (a late or retried delivery
///   never rolls the state back).
/// - Everything else keeps it.
///
/// Deciding twice for the same event on the state the first decision saved gives the same
/// answer, so routing again after a crash creates the same jobs.
pub fn decide(
    prior: Option<&OpportunityState>,
    event: &LeverEvent,
    event_id: &EventId,
    source: EventSource,
    triggered_at: Millis,
) -> Decision {
    let keep = |covered_by| Decision {
        covered_by,
        update: StateUpdate::Keep,
    };
    if matches!(event, LeverEvent::CandidateDeleted(_)) {
        return Decision {
            covered_by: None,
            update: StateUpdate::Forget,
        };
    }
    if !matches!(source, EventSource::Webhook | EventSource::Reconcile) {
        return keep(None);
    }
    if source == EventSource::Webhook {
        if let Some(by) = prior.and_then(|p| covering_event(p, event, event_id)) {
            return keep(Some(by));
        }
    }
    if prior
        .and_then(|p| p.updated_at)
        .is_some_and(|newest| triggered_at < newest)
    {
        return keep(None);
    }
    match after_event(prior, event, event_id, source.as_str(), triggered_at) {
        Some(next) => Decision {
            covered_by: None,
            update: StateUpdate::Save(next),
        },
        None => keep(None),
    }
}

/// The reconciled event that set `state`, when `event` (another event) ends where the
/// state is.
fn covering_event(
    state: &OpportunityState,
    event: &LeverEvent,
    event_id: &EventId,
) -> Option<EventId> {
    let by = state.set_by.as_ref()?;
    if state.source.as_deref() != Some(EventSource::Reconcile.as_str()) || by == event_id {
        return None;
    }
    let same = match event {
        LeverEvent::CandidateStageChange(change) => {
            state.stage_id.as_deref() == Some(change.to_stage.as_str())
        }
        LeverEvent::CandidateArchiveChange(change) => {
            let reason = change
                .to_archived
                .as_ref()
                .and_then(|a| a.reason.as_ref())
                .map(|r| r.as_str());
            state.archived_at.is_some() == change.to_archived.is_some()
                && state.archived_reason.as_deref() == reason
        }
        _ => false,
    };
    same.then(|| by.clone())
}

/// The record that `event` in `account` was covered by another event.
fn cover_key(account: &str, event: &EventId) -> RecordKey {
    RecordKey::covered(account, event.as_str())
}

/// Remembers that `event` was covered by `by`; false when it was remembered before (the
/// event is being routed again), so it is counted once.
pub async fn remember_cover(
    store: &dyn Store,
    account: &str,
    event: &EventId,
    by: &EventId,
) -> Result<bool, StoreError> {
    let value = serde_json::Value::String(by.to_string());
    Ok(store
        .insert_record(&cover_key(account, event), value)
        .await?
        .is_none())
}

/// The event that covered `event`, when routing found it late.
pub async fn covered_by(
    store: &dyn Store,
    account: &str,
    event: &EventId,
) -> Result<Option<EventId>, StoreError> {
    Ok(store
        .record(&cover_key(account, event))
        .await?
        .and_then(|value| value.as_str().map(EventId::new)))
}

#[cfg(test)]
mod tests;
