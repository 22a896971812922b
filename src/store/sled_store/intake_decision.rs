//! The intake decision inside the sled store: dedupe and token reuse, checked against the
//! group being written, the journal's in-memory index and the retired keys in the tree.

use super::event_log::{self, Record, TokenEntry};
use super::group_commit::Pending;
use super::keys::{self, scoped, Prefix};
use super::{backend, corrupt, Inner};
use crate::event::EventId;
use crate::store::{IngestOutcome, NewEvent, StoreError, StoredEvent};
use std::collections::HashMap;

/// What one group will append, and what it decided so far that later deliveries in the
/// same group must see (a delivery and its retry can arrive in one group).
#[derive(Default)]
pub(super) struct Group {
    /// `Event` and `Token` records to append.
    pub(super) records: Vec<Record>,
    /// Every dedupe and token entry this group decided, for lookups within the group.
    seen: HashMap<Vec<u8>, Vec<u8>>,
}

impl Group {
    /// Remembers `token` on its own (a rerun's fresh token, a settings-page test).
    fn remember(&mut self, token: TokenEntry) {
        let (key, value) = token.entry();
        self.seen.insert(key, value);
        self.records.push(Record::Token(token));
    }
}

impl Inner {
    /// A dedupe or token entry, wherever it is: this group, the journal's index, or (for
    /// retired segments) the tree.
    fn get(
        &self,
        key: &[u8],
        state: &event_log::State,
        group: &Group,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(value) = group.seen.get(key) {
            return Ok(Some(value.clone()));
        }
        let in_memory = match key.first() {
            Some(&Prefix::DEDUPE) => state.dedupe(key),
            _ => state.token(key),
        };
        if in_memory.is_some() {
            return Ok(in_memory);
        }
        Ok(self.tree.get(key).map_err(backend)?.map(|v| v.to_vec()))
    }

    /// Decides one delivery or bare token against everything seen before it.
    pub(super) fn decide(
        &self,
        intake: Pending,
        state: &event_log::State,
        group: &mut Group,
    ) -> Result<IngestOutcome, StoreError> {
        match intake {
            Pending::Event(event) => self.decide_ingest(event, state, group),
            Pending::Token {
                account,
                token,
                received_at,
            } => {
                // No event's content hashes to NO_CONTENT, so a later event with this
                // token is always token reuse, decided by the same check as any replay.
                let entry = TokenEntry::new(
                    &account,
                    &token,
                    &keys::NO_CONTENT,
                    &keys::no_event(),
                    received_at,
                );
                // Already remembered (Lever retried the test): keep the first.
                if self.get(&entry.key(), state, group)?.is_none() {
                    group.remember(entry);
                }
                Ok(IngestOutcome::Duplicate(keys::no_event()))
            }
        }
    }

    /// Accepts a delivery, or names it a duplicate or a reused token.
    fn decide_ingest(
        &self,
        event: NewEvent,
        state: &event_log::State,
        group: &mut Group,
    ) -> Result<IngestOutcome, StoreError> {
        let token_key = scoped(Prefix::TOKEN, &event.account, &event.token);
        if let Some(seen) = self.get(&token_key, state, group)? {
            let (hash, id) = keys::split_token_value(&seen).map_err(corrupt)?;
            return Ok(if hash == event.content_hash {
                IngestOutcome::Duplicate(id)
            } else {
                IngestOutcome::TokenReused
            });
        }
        let dedupe_key = scoped(Prefix::DEDUPE, &event.account, &event.dedupe_key);
        if let Some(id) = self.get(&dedupe_key, state, group)? {
            let id = EventId::new(String::from_utf8_lossy(&id).into_owned());
            // A rerun with a fresh token: remember the token as this event's.
            group.remember(TokenEntry::new(
                &event.account,
                &event.token,
                &event.content_hash,
                &id,
                event.received_at,
            ));
            return Ok(IngestOutcome::Duplicate(id));
        }
        let token = TokenEntry::new(
            &event.account,
            &event.token,
            &event.content_hash,
            &event.id,
            event.received_at,
        );
        group.seen.insert(token_key, token.value());
        group
            .seen
            .insert(dedupe_key, event.id.as_str().as_bytes().to_vec());
        let accepted = event.id.clone();
        let stored = StoredEvent {
            id: event.id,
            seq: self.sequence.next(&self.db)?,
            account: event.account,
            event: event.event,
            triggered_at: event.triggered_at,
            received_at: event.received_at,
            envelope_id: event.envelope_id,
            dedupe_key: event.dedupe_key,
            opportunity_id: event.opportunity_id,
            contact_id: event.contact_id,
            data: event.data,
            purged_at: None,
        };
        group.records.push(Record::Event {
            event: stored,
            token: Some(token),
        });
        Ok(IngestOutcome::Accepted(accepted))
    }
}
