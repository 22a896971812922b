//! Stores written before the event journal kept events in sled: at open, their events
//! move into the journal, once.
//!
//! That layout had, besides jobs and records: `e` + id → event, `u` + seq → id of an
//! unrouted event, and `w` + seq → dedupe and token entries not yet under their own keys.
//! The entries go to their own keys (`d`, `t`, where lookups still find them), the events
//! to the journal with their routing state, and only then are the old records removed.

use super::keys::Prefix;
use super::{backend, corrupt, from_json, Inner};
use crate::store::{StoreError, StoredEvent};
use std::collections::HashSet;

/// Moves an older store's events into the journal; nothing when there are none.
pub(super) fn import(inner: &Inner) -> Result<(), StoreError> {
    let tree = &inner.tree;
    let mut keys = sled::Batch::default();
    let mut old = Vec::new();
    for item in tree.scan_prefix([Prefix::PENDING_INDEX]) {
        let (key, value) = item.map_err(backend)?;
        for (entry_key, entry_value) in decode_entries(&value).map_err(corrupt)? {
            keys.insert(entry_key, entry_value);
        }
        old.push(key);
    }
    let mut unrouted = HashSet::new();
    for item in tree.scan_prefix([Prefix::UNROUTED]) {
        let (key, _) = item.map_err(backend)?;
        let seq: [u8; 8] = key[1..]
            .try_into()
            .map_err(|_| corrupt("unrouted mark with a malformed key"))?;
        unrouted.insert(u64::from_be_bytes(seq));
        old.push(key);
    }
    let mut events = Vec::new();
    for item in tree.scan_prefix([Prefix::EVENT]) {
        let (key, value) = item.map_err(backend)?;
        let event: StoredEvent = from_json(&value)?;
        let routed = !unrouted.contains(&event.seq);
        events.push((event, routed));
        old.push(key);
    }
    if old.is_empty() {
        return Ok(());
    }
    tree.apply_batch(keys).map_err(backend)?;
    inner.db.flush().map_err(backend)?;
    let imported = inner.log.import(events)?;
    let mut removals = sled::Batch::default();
    for key in old {
        removals.remove(key);
    }
    tree.apply_batch(removals).map_err(backend)?;
    inner.db.flush().map_err(backend)?;
    tracing::info!(
        imported,
        "moved the events of an older store into the event journal"
    );
    Ok(())
}

/// A dedupe or token entry: its key and value.
type Entry = (Vec<u8>, Vec<u8>);

/// The entries of one pending index record: `(u32 key length, key, u32 value length,
/// value)` repeated.
fn decode_entries(mut bytes: &[u8]) -> Result<Vec<Entry>, &'static str> {
    fn part<'a>(bytes: &mut &'a [u8]) -> Result<&'a [u8], &'static str> {
        let (len, rest) = bytes
            .split_first_chunk::<4>()
            .ok_or("pending index record is truncated")?;
        let len = u32::from_be_bytes(*len) as usize;
        let (part, rest) = rest
            .split_at_checked(len)
            .ok_or("pending index record is truncated")?;
        *bytes = rest;
        Ok(part)
    }
    let mut entries = Vec::new();
    while !bytes.is_empty() {
        let key = part(&mut bytes)?.to_vec();
        let value = part(&mut bytes)?.to_vec();
        entries.push((key, value));
    }
    Ok(entries)
}
