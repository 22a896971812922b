//! Opening the event log: the journal's records replayed into the index, in order, with
//! progress in the log, and what the journal found wrong reported: each damaged range at
//! error (counted in `lever_hooks_journal_damaged_ranges`), each torn append cut off.

use super::progress::{OpenProgress, PROGRESS_EVERY};
use super::record::{decode, Record};
use super::State;
use crate::metrics::JOURNAL_DAMAGED_RANGES;
use crate::store::sled_store::journal::{
    DamageKind, Journal, Location, Reader, SegmentReport, SegmentStart,
};
use crate::store::sled_store::keys::{scoped, Prefix};
use crate::store::StoreError;
use std::path::Path;
use std::time::Instant;
use tracing::{error, info, warn};

/// The journal opened, the index rebuilt from it, and the blankings a crash left owed.
pub(super) struct Replayed {
    /// The journal, ready for appends.
    pub(super) journal: Journal,
    /// The index.
    pub(super) state: State,
    /// Records to blank (a purge or prune was interrupted).
    pub(super) blank: Vec<Location>,
}

/// Opens the journal in `dir` and replays it.
pub(super) fn open(dir: &Path, segment_size: u64) -> Result<Replayed, StoreError> {
    let mut replayer = Replayer {
        state: State::default(),
        blank: Vec::new(),
        progress: OpenProgress::new(Instant::now(), PROGRESS_EVERY),
    };
    let (journal, reports) = Journal::open(dir, segment_size, &mut replayer)?;
    let damaged = report(dir, &reports);
    let done = replayer.progress.done(Instant::now());
    info!(
        segments = done.segments,
        events = done.events,
        damaged,
        elapsed_ms = done.elapsed.as_millis() as u64,
        "event journal read: {} segments, {} events indexed in {:.1} s",
        done.segments,
        done.events,
        done.elapsed.as_secs_f64()
    );
    Ok(Replayed {
        journal,
        state: replayer.state,
        blank: replayer.blank,
    })
}

/// Logs what the journal found wrong and sets the damage gauge; returns how many damaged
/// ranges there are.
fn report(dir: &Path, reports: &[SegmentReport]) -> usize {
    let mut ranges = 0;
    for report in reports {
        for damage in &report.damage {
            ranges += 1;
            let (segment, offset, len, what) =
                (damage.segment, damage.offset, damage.len, damage.why);
            match damage.kind {
                DamageKind::Unreadable => error!(
                    segment, offset, len, what,
                    "the event journal has a damaged range: its bytes hold no valid record; every valid record after it was kept"
                ),
                DamageKind::Missing => error!(
                    segment, offset, len, what,
                    "the event journal lost bytes it had synced: a segment is shorter than the length recorded after its last sync"
                ),
            }
        }
        if let Some(torn) = report.torn_tail {
            warn!(
                segment = report.segment,
                offset = torn,
                len = report.bytes - torn,
                "cut off a torn append at the end of the event journal: a crash stopped it before its sync, so none of its deliveries was answered 200"
            );
        }
    }
    metrics::gauge!(JOURNAL_DAMAGED_RANGES).set(ranges as f64);
    if ranges > 0 {
        error!(
            ranges,
            dir = %dir.display(),
            "the event journal is damaged; lever-hooks goes on with every record that checks out. Stop it, then run `lever-hooks store check --config FILE` to list the damage and `lever-hooks store repair --config FILE` to move it aside"
        );
    }
    ranges
}

/// Replays records into the index as the journal reads them, and counts progress.
struct Replayer {
    state: State,
    blank: Vec<Location>,
    progress: OpenProgress,
}

impl Reader for Replayer {
    type Error = StoreError;

    fn is_record(&self, payload: &[u8]) -> bool {
        decode(payload).is_ok()
    }

    fn segment(&mut self, start: SegmentStart) {
        if start.index == 0 {
            info!(
                segments = start.of,
                "reading the event journal to rebuild its index"
            );
        }
        if let Some(progress) = self.progress.segment(start, Instant::now()) {
            log_progress(progress);
        }
    }

    fn record(&mut self, location: Location, payload: Vec<u8>) -> Result<bool, StoreError> {
        let Ok(record) = decode(&payload) else {
            return Ok(false);
        };
        if matches!(record, Record::Event { .. }) {
            if let Some(progress) = self.progress.event(Instant::now) {
                log_progress(progress);
            }
        }
        replay(&mut self.state, &mut self.blank, location, &record);
        Ok(true)
    }
}

fn log_progress(progress: super::progress::Progress) {
    info!(
        segments_read = progress.segments_read,
        segments = progress.segments,
        events = progress.events,
        elapsed_ms = progress.elapsed.as_millis() as u64,
        "reading the event journal: {progress}"
    );
}

/// Indexes records just appended, exactly as [`replay`] will when they are read back at
/// the next open. Only for records that owe no blanking (routing marks, new events).
pub(super) fn index(state: &mut State, appended: &[(Record, Location)]) {
    let mut blank = Vec::new();
    for (record, location) in appended {
        replay(state, &mut blank, *location, record);
    }
    debug_assert!(blank.is_empty(), "indexed a record that owes a blanking");
}

/// Indexes one record: read back at open, or just appended. Records whose blanking is
/// still owed (a purge's or a prune's old record) are added to `blank`.
pub(super) fn replay(
    state: &mut State,
    blank: &mut Vec<Location>,
    location: Location,
    record: &Record,
) {
    match record {
        Record::Event { event, token } => {
            let routed_in = match state.events.get(&event.id) {
                // A purge's tombstone: the record it replaces must be blank.
                Some(old) => {
                    blank.push(old.location);
                    old.routed_in
                }
                None => None,
            };
            state.add_event(event, location, routed_in);
            if let Some(token) = token {
                state.add_token(token, location.segment);
            }
        }
        Record::Token(token) => state.add_token(token, location.segment),
        Record::Routed { seqs } => {
            for &seq in seqs {
                state.mark_routed(seq, location.segment);
            }
        }
        Record::Pruned { events } => {
            // Forget the events (their records still to blank), keep their keys, which
            // now live in this record's segment.
            for pruned in events {
                if let Some(meta) = state.remove_event(pruned.seq) {
                    blank.push(meta.location);
                }
                state.dedupe.insert(
                    scoped(Prefix::DEDUPE, &pruned.account, &pruned.dedupe_key),
                    (pruned.event_id.clone(), location.segment),
                );
                if let Some(token) = &pruned.token {
                    let (key, value) = token.entry();
                    state.tokens.insert(key, (value, location.segment));
                }
            }
        }
        Record::Superseded => {}
    }
}
