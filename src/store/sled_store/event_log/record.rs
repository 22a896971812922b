//! The records of the event journal and their encoding (JSON, one record per journal
//! payload), and how journal errors read as store errors.

use super::super::journal::JournalError;
use super::super::keys::{scoped, token_value, Prefix};
use crate::event::EventId;
use crate::store::{Millis, StoreError, StoredEvent};
use serde::{Deserialize, Serialize};

/// One journal record.
#[derive(Serialize, Deserialize)]
// Externally tagged: an internally tagged enum buffers its content, which `RawValue`
// (the event's `data`, kept byte for byte) cannot pass through.
#[serde(rename_all = "snake_case")]
// A record lives only while it is encoded or replayed; boxing the event would add an
// allocation per delivery for nothing.
#[allow(clippy::large_enum_variant)]
pub(in crate::store::sled_store) enum Record {
    /// An accepted event with the token it came with (none for events imported from an
    /// older store, whose keys are in sled already). A later record of the same id
    /// replaces it (a purge's tombstone).
    Event {
        /// The event.
        event: StoredEvent,
        /// Its token and content hash, for the token-reuse check.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<TokenEntry>,
    },
    /// A token remembered on its own: a rerun's fresh token, or a settings-page test.
    Token(TokenEntry),
    /// Events routed (their jobs are durable in sled).
    Routed {
        /// The events' store order numbers.
        seqs: Vec<u64>,
    },
    /// Events pruned by retention, with the keys that outlive them.
    Pruned {
        /// One entry per pruned event.
        events: Vec<PrunedEvent>,
    },
    /// A record blanked in place: a later record replaced it, or it was pruned.
    Superseded,
}

/// A remembered token.
#[derive(Clone, Serialize, Deserialize)]
pub(in crate::store::sled_store) struct TokenEntry {
    account: String,
    token: String,
    /// SHA-256 of the content it came with (all zeros: no content), in hex on disk.
    #[serde(with = "hex::serde")]
    hash: [u8; 32],
    event_id: EventId,
    received_at: Millis,
}

impl TokenEntry {
    /// A token that came with `event_id`'s content.
    pub(in crate::store::sled_store) fn new(
        account: &str,
        token: &str,
        hash: &[u8; 32],
        event_id: &EventId,
        received_at: Millis,
    ) -> Self {
        Self {
            account: account.to_owned(),
            token: token.to_owned(),
            hash: *hash,
            event_id: event_id.clone(),
            received_at,
        }
    }

    /// Its key and value (the layout of `keys`), in memory and in sled alike.
    pub(in crate::store::sled_store) fn entry(&self) -> (Vec<u8>, Vec<u8>) {
        (self.key(), self.value())
    }

    /// Its key: `keys::scoped` under the token prefix.
    pub(in crate::store::sled_store) fn key(&self) -> Vec<u8> {
        scoped(Prefix::TOKEN, &self.account, &self.token)
    }

    /// Its value: `keys::token_value`.
    pub(in crate::store::sled_store) fn value(&self) -> Vec<u8> {
        token_value(self.received_at, &self.hash, &self.event_id)
    }
}

/// What is kept of a pruned event: its dedupe key and token.
#[derive(Serialize, Deserialize)]
pub(in crate::store::sled_store) struct PrunedEvent {
    pub(super) seq: u64,
    pub(super) account: String,
    pub(super) dedupe_key: String,
    pub(super) event_id: EventId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) token: Option<TokenEntry>,
}

/// A record as a journal payload.
pub(super) fn encode(record: &Record) -> Vec<u8> {
    serde_json::to_vec(record).expect("journal records always serialize")
}

/// A journal payload as a record.
pub(in crate::store::sled_store) fn decode(bytes: &[u8]) -> Result<Record, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("journal record: {e}")))
}

impl From<JournalError> for StoreError {
    fn from(e: JournalError) -> Self {
        match e {
            JournalError::Io(e) => StoreError::Backend(format!("event journal: {e}")),
            // A backend error: the store is opened again from disk, which is the truth.
            JournalError::Failed => StoreError::Backend(format!("event journal: {e}")),
            JournalError::Corrupt(why) => StoreError::Corrupt(format!("event journal: {why}")),
        }
    }
}
