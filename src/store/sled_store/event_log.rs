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
//! The in-memory index is `memory_index`. Opening replays the records in order
//! (`replay`), logging its progress. An interrupted blanking is finished at open, so the
//! on-disk state and the replayed one always agree. A segment no event lives in any more
//! is retired (`retention`): its keys go to sled, routing marks it holds for events
//! elsewhere are written again, and the file is deleted.

mod memory_index;
mod progress;
mod record;
mod replay;
mod retention;

pub(super) use memory_index::State;
pub(super) use record::{decode, Record, TokenEntry};

use super::journal::{Journal, Location};
use crate::event::EventId;
use crate::store::{Millis, StoreError, StoredEvent};
use record::encode;
use replay::{index, replay};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// Segments are started afresh past this size (retention deletes whole segments).
pub(super) const SEGMENT_SIZE: u64 = 64 * 1024 * 1024;

/// Unrouted events kept in memory for the router, so routing reads nothing back.
const CACHE_LIMIT: usize = 16_384;

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
