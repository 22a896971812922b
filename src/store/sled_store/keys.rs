//! Key layout of the one sled tree: a one-byte prefix per record kind, then the key.

use crate::event::EventId;
use crate::store::Job;

/// The one-byte prefixes that separate record kinds.
pub(super) struct Prefix;

impl Prefix {
    /// `e` + event id → `StoredEvent` JSON (stores older than the event journal; see
    /// `legacy`).
    pub(super) const EVENT: u8 = b'e';
    /// `d` + account \0 dedupe key → event id (keys of retired journal segments).
    pub(super) const DEDUPE: u8 = b'd';
    /// `t` + account \0 token → received_at (8) + content hash (32) + event id (keys of
    /// retired journal segments).
    pub(super) const TOKEN: u8 = b't';
    /// `u` + seq (big-endian) → event id, for events not routed yet (older stores).
    pub(super) const UNROUTED: u8 = b'u';
    /// `j` + job id → `Job` JSON.
    pub(super) const JOB: u8 = b'j';
    /// `q` + order group + seq + handler → job id, for pending jobs only.
    pub(super) const QUEUE: u8 = b'q';
    /// `w` + seq (big-endian) → dedupe and token entries not yet under their own keys
    /// (older stores).
    pub(super) const PENDING_INDEX: u8 = b'w';
    /// `r` + key → a record's JSON (see `Store::put_record`).
    pub(super) const RECORD: u8 = b'r';
}

fn prefixed(prefix: u8, rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + rest.len());
    out.push(prefix);
    out.extend_from_slice(rest);
    out
}

/// The key of a job (or, given `evt_…:`, the prefix of an event's jobs).
pub(super) fn job_key(id: &[u8]) -> Vec<u8> {
    prefixed(Prefix::JOB, id)
}

/// The key of a record (or of the records whose keys start with `key`).
pub(super) fn record_key(key: &str) -> Vec<u8> {
    prefixed(Prefix::RECORD, key.as_bytes())
}

/// `prefix account \0 key`: dedupe keys and tokens are per account.
pub(super) fn scoped(prefix: u8, account: &str, key: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + account.len() + key.len());
    out.push(prefix);
    out.extend_from_slice(account.as_bytes());
    out.push(0);
    out.extend_from_slice(key.as_bytes());
    out
}

/// The queue key of a job: its order group (length-prefixed, so any bytes are safe),
/// then the event's sequence number, then the handler. Entries of one group are
/// contiguous and sorted by event order.
pub(super) fn queue_key(job: &Job) -> Vec<u8> {
    let group = match &job.order_key {
        Some(key) => format!("o:{key}"),
        None => format!("f:{}", job.id),
    };
    let group = group.as_bytes();
    let len = u32::try_from(group.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(5 + group.len() + 8 + job.handler.len());
    out.push(Prefix::QUEUE);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(group);
    out.extend_from_slice(&job.event_seq.to_be_bytes());
    out.extend_from_slice(job.handler.as_bytes());
    out
}

/// The order-group part of a queue key (prefix and length included).
pub(super) fn queue_group(key: &[u8]) -> &[u8] {
    let len = key
        .get(1..5)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .unwrap_or(0);
    key.get(..5 + len).unwrap_or(key)
}

/// `received_at (8) + content hash (32) + event id`.
pub(super) fn token_value(received_at: u64, hash: &[u8; 32], id: &EventId) -> Vec<u8> {
    let mut out = Vec::with_capacity(40 + id.as_str().len());
    out.extend_from_slice(&received_at.to_be_bytes());
    out.extend_from_slice(hash);
    out.extend_from_slice(id.as_str().as_bytes());
    out
}

/// The content hash of a token remembered without an event (a settings-page test): all
/// zeros, which no SHA-256 of real content is.
pub(super) const NO_CONTENT: [u8; 32] = [0; 32];

/// The event id of a token remembered without an event.
pub(super) fn no_event() -> EventId {
    EventId::new("settings-test")
}

/// The content hash and event id of a remembered token.
pub(super) fn split_token_value(value: &[u8]) -> Result<([u8; 32], EventId), &'static str> {
    if value.len() < 40 {
        return Err("remembered token record is too short");
    }
    let mut hash = [0; 32];
    hash.copy_from_slice(&value[8..40]);
    let id = String::from_utf8(value[40..].to_vec()).map_err(|_| "event id is not UTF-8")?;
    Ok((hash, EventId::new(id)))
}
