//! The event document every handler receives: the same JSON on a command's stdin, in an
//! http handler's body, and (typed) in a Rust plugin.

use crate::event::{
    ContactId, DecodeError, EventId, EventSource, LeverEvent, OpportunityId, ProviderResult,
    PROVIDER_RESULT_EVENT,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One event as handed to one handler for one attempt.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventDocument {
    /// lever-hooks' own event id (`evt_…`).
    pub id: EventId,
    /// The account the delivery came in for (`default` for `[lever]`).
    pub account: String,
    /// The Lever event name.
    pub event: String,
    /// Where the event came from: `webhook` (Lever delivered it), `reconcile` (polling
    /// Lever's Data API found the change no webhook delivered), `provider` (a provider's
    /// result) or `internal` (an alert). Documents written before it existed read as
    /// `webhook`.
    #[serde(default)]
    pub source: EventSource,
    /// When Lever says the event fired, in ms since the epoch.
    pub triggered_at: u64,
    /// When lever-hooks stored it, in ms since the epoch.
    pub received_at: u64,
    /// The candidacy, when the event is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<OpportunityId>,
    /// The person, when the payload names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ContactId>,
    /// The `data` object exactly as Lever sent it.
    pub data: Box<RawValue>,
    /// The handler this document is for.
    pub handler: String,
    /// This attempt's number, from 1; it keeps counting across manual retries.
    pub attempt: u32,
    /// `evt_…:handler`: stable across retries and replays, for idempotent side effects.
    pub idempotency_key: String,
}

impl EventDocument {
    /// Decodes `data` into the typed event.
    pub fn lever_event(&self) -> Result<LeverEvent, DecodeError> {
        LeverEvent::decode(&self.event, &self.data)
    }

    /// The provider's result this document carries, when it is a `providerResult` event
    /// (`None` for Lever's events; `Some(Err)` when its data does not read).
    pub fn provider_result(&self) -> Option<Result<ProviderResult, serde_json::Error>> {
        (self.event == PROVIDER_RESULT_EVENT).then(|| serde_json::from_str(self.data.get()))
    }

    /// The document as JSON bytes.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an event document always serializes")
    }
}

/// The idempotency key of the job that runs `handler` for `event`.
pub fn idempotency_key(event: &EventId, handler: &str) -> String {
    format!("{event}:{handler}")
}
