//! The events' side of the sled store: every event, routing mark, dedupe key and
//! remembered token is a record in the journal's segments, indexed in memory; sled keeps
//! jobs, records, and the keys of segments retention has retired.
//!
//! Why not sled: sled 0.34 spends 15–25 µs of CPU on every insert, and an event needed
//! seven of them (event, unrouted mark, pending index, dedupe key, token, and the
//! removals). Appending a group's records to a file and `fdatasync`ing it once costs a
//! few microseconds per event, and everything intake must decide (dedupe, token reuse)
//! is answered from memory.
//!
//! State changes are records too, appended after what they change:
//! - `Routed` marks events routed (after their jobs are durable in sled);
//! - a purge appends the event again as its tombstone, then blanks the old record in
//!   place (`Superseded`), so the personal data leaves the disk;
//! - a prune appends `Pruned` with the pruned events' keys, then blanks their records.
//!
//! Opening replays the records in order (`replay`), logging its progress. An interrupted
//! blanking is finished at open, so the on-disk state and the replayed one always agree. A segment no event lives in any
//! more is retired: its keys go to sled, routing marks it holds for events elsewhere are
//! written again, and the file is deleted.

mod progress;
mod record;
mod replay;

pub(super) use record::{decode, Record, TokenEntry};

use super::journal::{Journal, Location};
use super::keys::{scoped, Prefix};
use crate::event::EventId;
use crate::store::{Millis, StoreError, StoredEvent};
use record::{encode, PrunedEvent};
use replay::{index, replay};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// Segments are started afresh past this size (retention deletes whole segments).
pub(super) const SEGMENT_SIZE: u64 = 64 * 1024 * 1024;

/// Unrouted events kept in memory for the router, so routing reads nothing back.
const CACHE_LIMIT: usize = 16_384;

/// Where an event is and what memory knows of it.
#[derive(Clone, Copy)]
struct Meta {
    seq: u64,
    location: Location,
    received_at: Millis,
    /// The segment holding its `Routed` mark, once routed.
    routed_in: Option<u64>,
}

/// The in-memory index over the journal.
#[derive(Default)]
pub(super) struct State {
    /// Live events by id (ids grow with time, so this is also time order).
    events: BTreeMap<EventId, Meta>,
    by_seq: HashMap<u64, EventId>,
    /// Events not routed yet, in store order.
    unrouted: BTreeSet<u64>,
    /// Some unrouted events in full, so the router need not read them back.
    cache: HashMap<u64, StoredEvent>,
    /// Dedupe key (`keys::scoped`) → event id and the segment the key lives in.
    dedupe: HashMap<Vec<u8>, (EventId, u64)>,
    /// Token key (`keys::scoped`) → `keys::token_value` and the segment it lives in.
    tokens: HashMap<Vec<u8>, (Vec<u8>, u64)>,
}

impl State {
    /// The dedupe entry under `key`, if memory has it (sled has the retired ones).
    pub(super) fn dedupe(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.dedupe
            .get(key)
            .map(|(id, _)| id.as_str().as_bytes().to_vec())
    }

    /// The token entry under `key`, if memory has it (sled has the retired ones).
    pub(super) fn token(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.tokens.get(key).map(|(value, _)| value.clone())
    }

    fn add_event(&mut self, event: &StoredEvent, location: Location, routed_in: Option<u64>) {
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

    fn add_token(&mut self, token: &TokenEntry, segment: u64) {
        let (key, value) = token.entry();
        self.tokens.entry(key).or_insert((value, segment));
    }

    fn remove_event(&mut self, seq: u64) -> Option<Meta> {
        let id = self.by_seq.remove(&seq)?;
        self.unrouted.remove(&seq);
        self.cache.remove(&seq);
        self.events.remove(&id)
    }

    fn mark_routed(&mut self, seq: u64, segment: u64) {
        self.unrouted.remove(&seq);
        self.cache.remove(&seq);
        if let Some(meta) = self.by_seq.get(&seq).and_then(|id| self.events.get_mut(id)) {
            meta.routed_in = Some(segment);
        }
    }
}

/// The journal and its index.
pub(super) struct EventLog {
    journal: Journal,
    state: Mutex<State>,
}

impl EventLog {
    /// Opens the journal in `dir`, replays it, and finishes any blanking a crash cut off.
    pub(super) fn open(dir: &Path, segment_size: u64) -> Result<Self, StoreError> {
        let replay::Replayed {
            journal,
            state,
            blank,
        } = replay::open(dir, segment_size)?;
        let log = Self {
            journal,
            state: Mutex::new(state),
        };
        log.blank(&blank)?;
        Ok(log)
    }

    /// The index, locked.
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends what intake decided, `Event` and `Token` records (not yet durable: see
    /// [`sync`](Self::sync)), and indexes them. `state` is the caller's lock, held from
    /// deciding to here, so no other decision sees the index without this group.
    pub(super) fn append_intake(
        &self,
        state: &mut State,
        records: Vec<Record>,
    ) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut blank = Vec::new();
        for (record, location) in self.append_records(records)? {
            replay(state, &mut blank, location, &record);
            if let Record::Event { event, .. } = record {
                if state.cache.len() < CACHE_LIMIT {
                    state.cache.insert(event.seq, event);
                }
            }
        }
        Ok(())
    }

    /// Encodes and appends `records` (not yet durable), each returned with its location.
    fn append_records(&self, records: Vec<Record>) -> Result<Vec<(Record, Location)>, StoreError> {
        let payloads: Vec<Vec<u8>> = records.iter().map(encode).collect();
        let locations = self.journal.append(&payloads)?;
        Ok(records.into_iter().zip(locations).collect())
    }

    /// Makes every record appended so far durable (blocking).
    pub(super) fn sync(&self) -> Result<(), StoreError> {
        Ok(self.journal.sync()?)
    }

    /// One event.
    pub(super) fn event(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError> {
        let location = {
            let state = self.lock();
            let Some(meta) = state.events.get(id) else {
                return Ok(None);
            };
            if let Some(event) = state.cache.get(&meta.seq) {
                return Ok(Some(event.clone()));
            }
            meta.location
        };
        self.read_event(location).map(Some)
    }

    fn read_event(&self, location: Location) -> Result<StoredEvent, StoreError> {
        match decode(&self.journal.read(location)?)? {
            Record::Event { event, .. } => Ok(event),
            _ => Err(StoreError::Corrupt(format!(
                "journal record at {}:{} is not an event",
                location.segment, location.offset
            ))),
        }
    }

    /// The highest sequence number a live event holds (`None`: no events).
    pub(super) fn highest_seq(&self) -> Option<u64> {
        self.lock().by_seq.keys().max().copied()
    }

    /// Whether the event was routed (`None`: no such event).
    pub(super) fn routed(&self, id: &EventId) -> Option<bool> {
        self.lock().events.get(id).map(|m| m.routed_in.is_some())
    }

    /// Up to `limit` unrouted events, oldest first.
    pub(super) fn unrouted(&self, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let mut found = Vec::new();
        {
            let state = self.lock();
            for seq in state.unrouted.iter().take(limit) {
                match state.cache.get(seq) {
                    Some(event) => found.push(Ok(event.clone())),
                    None => {
                        let meta = state
                            .by_seq
                            .get(seq)
                            .and_then(|id| state.events.get(id))
                            .ok_or_else(|| {
                                StoreError::Corrupt("unrouted seq without event".into())
                            })?;
                        found.push(Err(meta.location));
                    }
                }
            }
        }
        found
            .into_iter()
            .map(|item| match item {
                Ok(event) => Ok(event),
                Err(location) => self.read_event(location),
            })
            .collect()
    }

    /// Marks events routed (their jobs must already be durable). The mark itself need
    /// not be: routing again after a crash creates nothing new.
    pub(super) fn mark_routed(&self, seqs: Vec<u64>) -> Result<(), StoreError> {
        if seqs.is_empty() {
            return Ok(());
        }
        let mut state = self.lock();
        let appended = self.append_records(vec![Record::Routed { seqs }])?;
        index(&mut state, &appended);
        Ok(())
    }

    /// The ids of up to `limit` events newest first, older than `before` when given.
    pub(super) fn newest_first(&self, before: Option<&EventId>, limit: usize) -> Vec<EventId> {
        let state = self.lock();
        let range = match before {
            Some(id) => state.events.range(..id.clone()),
            None => state.events.range(..),
        };
        range.rev().take(limit).map(|(id, _)| id.clone()).collect()
    }

    /// Events received before `cutoff` that were routed, oldest first: prune's candidates.
    pub(super) fn routed_before(&self, cutoff: Millis) -> Vec<EventId> {
        let state = self.lock();
        state
            .events
            .iter()
            .take_while(|(_, meta)| meta.received_at < cutoff)
            .filter(|(_, meta)| meta.routed_in.is_some())
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Replaces each event with its purged form: the tombstone is appended and made
    /// durable, then the old record is blanked, so the data leaves the disk.
    pub(super) fn replace(&self, tombstones: Vec<StoredEvent>) -> Result<(), StoreError> {
        if tombstones.is_empty() {
            return Ok(());
        }
        let mut records = Vec::with_capacity(tombstones.len() + 1);
        let mut routed = Vec::new();
        for event in tombstones {
            let (location, was_routed) = match self.lock().events.get(&event.id) {
                Some(meta) => (meta.location, meta.routed_in.is_some()),
                None => continue,
            };
            let token = match decode(&self.journal.read(location)?)? {
                Record::Event { token, .. } => token,
                _ => None,
            };
            if was_routed {
                routed.push(event.seq);
            }
            records.push(Record::Event { event, token });
        }
        // A replayed tombstone comes after the events' old routing marks, so the marks
        // are written again after it.
        records.push(Record::Routed { seqs: routed });
        let appended = self.append_records(records)?;
        self.journal.sync()?;
        let mut old = Vec::new();
        {
            let mut state = self.lock();
            for (record, location) in &appended {
                if let Record::Event { event, .. } = record {
                    if !state.events.contains_key(&event.id) {
                        // Pruned meanwhile: the tombstone must not bring it back.
                        old.push(*location);
                        continue;
                    }
                    // The router must not read the event as it was.
                    state.cache.remove(&event.seq);
                }
                replay(&mut state, &mut old, *location, record);
            }
        }
        self.blank(&old)
    }

    /// Prunes the events (routed, jobs already deleted): their keys are appended in a
    /// `Pruned` record and made durable, then their records are blanked.
    pub(super) fn prune(&self, ids: &[EventId]) -> Result<usize, StoreError> {
        let mut pruned = Vec::new();
        let mut old = Vec::new();
        for id in ids {
            let Some(location) = self.lock().events.get(id).map(|m| m.location) else {
                continue;
            };
            let Record::Event { event, token } = decode(&self.journal.read(location)?)? else {
                continue;
            };
            old.push(location);
            pruned.push(PrunedEvent {
                seq: event.seq,
                account: event.account,
                dedupe_key: event.dedupe_key,
                event_id: event.id,
                token,
            });
        }
        if pruned.is_empty() {
            return Ok(0);
        }
        let count = pruned.len();
        let record = Record::Pruned { events: pruned };
        let location = self.journal.append(&[encode(&record)])?[0];
        self.journal.sync()?;
        {
            let mut state = self.lock();
            let mut blank = Vec::new();
            replay(&mut state, &mut blank, location, &record);
        }
        self.blank(&old)?;
        Ok(count)
    }

    /// Blanks records in place and makes that durable.
    fn blank(&self, locations: &[Location]) -> Result<(), StoreError> {
        let superseded = encode(&Record::Superseded);
        let mut segments = BTreeSet::new();
        for location in locations {
            self.journal.overwrite(*location, &superseded)?;
            segments.insert(location.segment);
        }
        for segment in segments {
            self.journal.sync_segment(segment)?;
        }
        Ok(())
    }

    /// Retires every segment no event lives in (but the active one): its keys go to
    /// `tree` (flushed before the file goes), routing marks it holds for events living
    /// elsewhere are written again, then the file is deleted. Returns how many went.
    pub(super) fn retire(&self, tree: &sled::Tree, db: &sled::Db) -> Result<usize, StoreError> {
        // Only segments before the active one are sealed: nothing is appended to them
        // any more, whatever intake does meanwhile.
        let active = self.journal.active_segment();
        let live: BTreeSet<u64> = self
            .lock()
            .events
            .values()
            .map(|m| m.location.segment)
            .collect();
        let retiring: Vec<u64> = self
            .journal
            .segments()
            .into_iter()
            // A damaged segment stays for `store repair`, whatever it still holds.
            .filter(|s| *s < active && !live.contains(s) && !self.journal.is_damaged(*s))
            .collect();
        for &segment in &retiring {
            let (keys, marks) = {
                let state = self.lock();
                let mut batch = sled::Batch::default();
                for (key, (id, seg)) in &state.dedupe {
                    if *seg == segment {
                        batch.insert(key.clone(), id.as_str().as_bytes());
                    }
                }
                for (key, (value, seg)) in &state.tokens {
                    if *seg == segment {
                        batch.insert(key.clone(), value.clone());
                    }
                }
                let marks: Vec<u64> = state
                    .events
                    .values()
                    .filter(|m| m.routed_in == Some(segment))
                    .map(|m| m.seq)
                    .collect();
                (batch, marks)
            };
            tree.apply_batch(keys).map_err(super::backend)?;
            db.flush().map_err(super::backend)?;
            if !marks.is_empty() {
                let appended = self.append_records(vec![Record::Routed { seqs: marks }])?;
                self.journal.sync()?;
                index(&mut self.lock(), &appended);
            }
            self.journal.remove_segment(segment)?;
            let mut state = self.lock();
            state.dedupe.retain(|_, (_, seg)| *seg != segment);
            state.tokens.retain(|_, (_, seg)| *seg != segment);
        }
        Ok(retiring.len())
    }

    /// Imports events from an older store that kept them in sled (at open, once).
    pub(super) fn import(&self, events: Vec<(StoredEvent, bool)>) -> Result<usize, StoreError> {
        let mut state = self.lock();
        let mut records = Vec::new();
        let mut routed = Vec::new();
        for (event, was_routed) in events {
            if state.events.contains_key(&event.id) {
                continue;
            }
            if was_routed {
                routed.push(event.seq);
            }
            records.push(Record::Event { event, token: None });
        }
        if records.is_empty() {
            return Ok(0);
        }
        let imported = records.len();
        records.push(Record::Routed { seqs: routed });
        let appended = self.append_records(records)?;
        self.journal.sync()?;
        index(&mut state, &appended);
        Ok(imported)
    }

    /// Appends one encoded record and syncs it, indexing nothing (tests simulating a
    /// crash between a record and what follows it).
    #[cfg(test)]
    pub(super) fn append_raw(&self, payload: &[u8]) -> Result<(), StoreError> {
        self.journal.append(&[payload.to_vec()])?;
        self.sync()
    }

    /// How many journal syncs had something to make durable.
    #[cfg(test)]
    pub(super) fn syncs(&self) -> u64 {
        self.journal.syncs()
    }

    /// The journal's segments on disk, oldest first.
    #[cfg(test)]
    pub(super) fn segments(&self) -> Vec<u64> {
        self.journal.segments()
    }

    /// Bytes the journal takes on disk.
    #[cfg(test)]
    pub(super) fn disk_bytes(&self) -> u64 {
        self.journal.disk_bytes()
    }
}
