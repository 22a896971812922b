//! The in-memory index over the journal: live events by id and by number, the unrouted
//! ones (some cached in full), and the live dedupe keys and tokens. Built by replay at
//! open and kept in step with every append.

use super::TokenEntry;
use crate::event::EventId;
use crate::store::sled_store::journal::Location;
use crate::store::sled_store::keys::{scoped, Prefix};
use crate::store::{Millis, StoredEvent};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Where an event is and what memory knows of it.
#[derive(Clone, Copy)]
pub(super) struct Meta {
    pub(super) seq: u64,
    pub(super) location: Location,
    pub(super) received_at: Millis,
    /// The segment holding its `Routed` mark, once routed.
    pub(super) routed_in: Option<u64>,
}

/// The in-memory index over the journal.
#[derive(Default)]
pub(in crate::store::sled_store) struct State {
    /// Live events by id (ids grow with time, so this is also time order).
    pub(super) events: BTreeMap<EventId, Meta>,
    pub(super) by_seq: HashMap<u64, EventId>,
    /// Events not routed yet, in store order.
    pub(super) unrouted: BTreeSet<u64>,
    /// Some unrouted events in full, so the router need not read them back.
    pub(super) cache: HashMap<u64, StoredEvent>,
    /// Dedupe key (`keys::scoped`) → event id and the segment the key lives in.
    pub(super) dedupe: HashMap<Vec<u8>, (EventId, u64)>,
    /// Token key (`keys::scoped`) → `keys::token_value` and the segment it lives in.
    pub(super) tokens: HashMap<Vec<u8>, (Vec<u8>, u64)>,
}

impl State {
    /// The dedupe entry under `key`, if memory has it (sled has the retired ones).
    pub(in crate::store::sled_store) fn dedupe(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.dedupe
            .get(key)
            .map(|(id, _)| id.as_str().as_bytes().to_vec())
    }

    /// The token entry under `key`, if memory has it (sled has the retired ones).
    pub(in crate::store::sled_store) fn token(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.tokens.get(key).map(|(value, _)| value.clone())
    }

    /// Indexes a live event at `location`.
    pub(super) fn add_event(
        &mut self,
        event: &StoredEvent,
        location: Location,
        routed_in: Option<u64>,
    ) {
        let meta = Meta {
            seq: event.seq,
            location,
            received_at: event.received_at,
            routed_in,
        };
        self.events.insert(event.id.clone(), meta);
        self.by_seq.insert(event.seq, event.id.clone());
        if routed_in.is_none() {
            self.unrouted.insert(event.seq);
        }
        self.dedupe.insert(
            scoped(Prefix::DEDUPE, &event.account, &event.dedupe_key),
            (event.id.clone(), location.segment),
        );
    }

    /// Indexes a token, keeping the first entry under its key.
    pub(super) fn add_token(&mut self, token: &TokenEntry, segment: u64) {
        let (key, value) = token.entry();
        self.tokens.entry(key).or_insert((value, segment));
    }

    /// Forgets the event numbered `seq`, returning what memory knew of it.
    pub(super) fn remove_event(&mut self, seq: u64) -> Option<Meta> {
        let id = self.by_seq.remove(&seq)?;
        self.unrouted.remove(&seq);
        self.cache.remove(&seq);
        self.events.remove(&id)
    }

    /// Marks the event numbered `seq` routed by a mark in `segment`.
    pub(super) fn mark_routed(&mut self, seq: u64, segment: u64) {
        self.unrouted.remove(&seq);
        self.cache.remove(&seq);
        if let Some(meta) = self.by_seq.get(&seq).and_then(|id| self.events.get_mut(id)) {
            meta.routed_in = Some(segment);
        }
    }
}
