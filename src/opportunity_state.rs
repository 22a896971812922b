//! The last known state of each opportunity, per account: what the handlers last saw
//! (stage, archive state, contact, `updatedAt`) and the event that set it. Routing an
//! event updates it ([`late`] decides how, and when a late webhook is already covered);
//! reconciliation compares Lever's Data API against it.

pub mod late;

use crate::event::{EventId, LeverEvent};
use crate::record_key::RecordKey;
use crate::store::{Millis, Store, StoreError};
use serde::{Deserialize, Serialize};

/// What lever-hooks last knew of one opportunity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpportunityState {
    /// The stage it is in, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_id: Option<String>,
    /// The archive reason, when archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_reason: Option<String>,
    /// When it was archived, when archived and known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<Millis>,
    /// The person, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    /// Lever's `updatedAt` when the state was read from the Data API, or the event's
    /// `triggeredAt` when it came from an event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Millis>,
    /// The event that set this state (a webhook's or one reconciliation synthesized).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_by: Option<EventId>,
    /// `webhook` or `reconcile`: where `set_by` came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The store record of `opportunity`'s state in `account`.
pub fn state_key(account: &str, opportunity: &str) -> RecordKey {
    RecordKey::opportunity_state(account, opportunity)
}

/// The state `opportunity` had after the last event routed or the last pass, if any.
pub async fn load(
    store: &dyn Store,
    account: &str,
    opportunity: &str,
) -> Result<Option<OpportunityState>, StoreError> {
    match store.record(&state_key(account, opportunity)).await? {
        None => Ok(None),
        Some(value) => serde_json::from_value(value)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("opportunity state: {e}"))),
    }
}

/// Keeps `state` as `opportunity`'s last known state, durably.
pub async fn save(
    store: &dyn Store,
    account: &str,
    opportunity: &str,
    state: &OpportunityState,
) -> Result<(), StoreError> {
    let value = serde_json::to_value(state).expect("a state serializes");
    store
        .put_record(&state_key(account, opportunity), value)
        .await
}

/// Forgets `opportunity` (deleted in Lever).
pub async fn forget(store: &dyn Store, account: &str, opportunity: &str) -> Result<(), StoreError> {
    store.delete_record(&state_key(account, opportunity)).await
}

/// The state after `event` (pure): `prior` changed by what the event says, or `None` when
/// the event says nothing about stage or archive state (it leaves the state as it was).
/// A deletion is not a state: callers forget the opportunity instead.
pub fn after_event(
    prior: Option<&OpportunityState>,
    event: &LeverEvent,
    event_id: &EventId,
    source: &str,
    triggered_at: Millis,
) -> Option<OpportunityState> {
    let mut next = prior.cloned().unwrap_or(OpportunityState {
        stage_id: None,
        archived_reason: None,
        archived_at: None,
        contact_id: None,
        updated_at: None,
        set_by: None,
        source: None,
    });
    match event {
        LeverEvent::CandidateStageChange(change) => {
            next.stage_id = Some(change.to_stage.to_string());
        }
        LeverEvent::CandidateArchiveChange(change) => match &change.to_archived {
            Some(archived) => {
                next.archived_reason = archived.reason.as_ref().map(|r| r.to_string());
                next.archived_at = archived.archived_at.or(Some(triggered_at));
            }
            None => {
                next.archived_reason = None;
                next.archived_at = None;
            }
        },
        _ => return None,
    }
    if let Some(contact) = event.contact_id() {
        next.contact_id = Some(contact.to_string());
    }
    next.updated_at = Some(triggered_at);
    next.set_by = Some(event_id.clone());
    next.source = Some(source.to_owned());
    Some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;

    fn event(name: &str, data: &str) -> LeverEvent {
        LeverEvent::decode(name, &RawValue::from_string(data.to_owned()).unwrap()).unwrap()
    }

    #[test]
    fn stage_and_archive_events_move_the_state_and_others_leave_it() {
        let id = EventId::new("evt_1");
        let moved = event(
            "candidateStageChange",
            r#"{"opportunityId":"o1","contactId":"c1","fromStageId":"a","toStageId":"b"}"#,
        );
        let state = after_event(None, &moved, &id, "webhook", 10).unwrap();
        assert_eq!(state.stage_id.as_deref(), Some("b"));
        assert_eq!(state.contact_id.as_deref(), Some("c1"));
        assert_eq!(
            (state.updated_at, state.source.as_deref()),
            (Some(10), Some("webhook"))
        );

        let archived = event(
            "candidateArchiveChange",
            r#"{"opportunityId":"o1","toArchived":{"reason":"r1","archivedAt":20}}"#,
        );
        let state = after_event(
            Some(&state),
            &archived,
            &EventId::new("evt_2"),
            "reconcile",
            21,
        )
        .unwrap();
        assert_eq!(state.stage_id.as_deref(), Some("b"), "the stage is kept");
        assert_eq!(state.archived_reason.as_deref(), Some("r1"));
        assert_eq!(state.archived_at, Some(20));
        assert_eq!(state.set_by, Some(EventId::new("evt_2")));

        let unarchived = event(
            "candidateArchiveChange",
            r#"{"opportunityId":"o1","fromArchived":{"reason":"r1"},"toArchived":null}"#,
        );
        let state = after_event(Some(&state), &unarchived, &id, "webhook", 30).unwrap();
        assert_eq!((state.archived_reason, state.archived_at), (None, None));

        let hired = event("candidateHired", r#"{"opportunityId":"o1"}"#);
        assert_eq!(after_event(None, &hired, &id, "webhook", 40), None);
    }
}
