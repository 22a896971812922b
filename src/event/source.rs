//! Where a stored event came from: a Lever webhook, a change reconciliation found in the
//! Data API, or a provider's result. Told from the event's name and dedupe key alone.

use super::PROVIDER_RESULT_EVENT;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The dedupe keys of the events reconciliation synthesizes start with this.
pub const RECONCILE_KEY_PREFIX: &str = "reconcile:";

/// Where an event came from, as handlers and operators see it (`"source"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventSource {
    /// A delivery from Lever (or a replay of one).
    #[default]
    Webhook,
    /// A change found by polling Lever's Data API, which no webhook had delivered.
    Reconcile,
    /// A provider's result (`providerResult`).
    Provider,
    /// An event lever-hooks raises itself (an alert); never stored.
    Internal,
}

impl EventSource {
    /// The source of a stored event named `event` with `dedupe_key` (pure): `reconcile`
    /// when the key starts with [`RECONCILE_KEY_PREFIX`], `provider` for a
    /// `providerResult`, else `webhook`.
    pub fn of(event: &str, dedupe_key: &str) -> Self {
        if dedupe_key.starts_with(RECONCILE_KEY_PREFIX) {
            Self::Reconcile
        } else if event == PROVIDER_RESULT_EVENT {
            Self::Provider
        } else {
            Self::Webhook
        }
    }

    /// The name as it appears in documents and views.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Reconcile => "reconcile",
            Self::Provider => "provider",
            Self::Internal => "internal",
        }
    }
}

impl fmt::Display for EventSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dedupe_key_tells_reconciled_events_and_the_name_tells_results() {
        assert_eq!(
            EventSource::of("candidateStageChange", "reconcile:default:o1:stage:s2"),
            EventSource::Reconcile
        );
        assert_eq!(
            EventSource::of("candidateStageChange", "id:1b2c"),
            EventSource::Webhook
        );
        assert_eq!(
            EventSource::of("candidateHired", "sha256:reconcile:x"),
            EventSource::Webhook,
            "only a key that starts with the prefix"
        );
        assert_eq!(
            EventSource::of(PROVIDER_RESULT_EVENT, "result:bgcheck:r1"),
            EventSource::Provider
        );
        for source in [
            EventSource::Webhook,
            EventSource::Reconcile,
            EventSource::Provider,
            EventSource::Internal,
        ] {
            assert_eq!(
                serde_json::to_value(source).unwrap(),
                source.as_str(),
                "serialized as its name"
            );
        }
    }
}
