//! Purging and pruning in the journal, and retiring the segments no event lives in any
//! more: each appends what it changes and makes it durable before blanking or deleting.

use super::record::{decode, encode, PrunedEvent, Record};
use super::replay::{index, replay};
use super::EventLog;
use crate::event::EventId;
use crate::store::sled_store::backend;
use crate::store::sled_store::journal::Location;
use crate::store::{StoreError, StoredEvent};
use std::collections::BTreeSet;

impl EventLog {
    /// Replaces each event with its purged form: the tombstone is appended and made
    /// durable, then the old record is blanked, so the data leaves the disk.
    pub(in crate::store::sled_store) fn replace(
        &self,
        tombstones: Vec<StoredEvent>,
    ) -> Result<(), StoreError> {
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
    pub(in crate::store::sled_store) fn prune(&self, ids: &[EventId]) -> Result<usize, StoreError> {
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
    pub(super) fn blank(&self, locations: &[Location]) -> Result<(), StoreError> {
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
    pub(in crate::store::sled_store) fn retire(
        &self,
        tree: &sled::Tree,
        db: &sled::Db,
    ) -> Result<usize, StoreError> {
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
            tree.apply_batch(keys).map_err(backend)?;
            db.flush().map_err(backend)?;
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
}
