//! Opening the journal: every segment read in order (`scan`), what each holds reported,
//! a torn final append cut off, a new segment started when the last one is damaged, and
//! the recorded extents brought up to date. Also the read-only scan of `store check`.

use super::extents::{self, Extents};
use super::scan::{self, Reader, SegmentReport, SegmentStart};
use super::{
    create_dir, list_segments, open_segment, segment_path, sync_dir, AppendState, Journal,
    JournalError,
};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, RwLock};

impl Journal {
    /// Opens (creating `dir` if needed), hands every record of every segment to `reader`
    /// in order, and reports what each segment holds. A torn final append is cut off.
    /// Damage is reported and left in place: when the last segment has any, appends go to
    /// a new segment. An error from `reader` stops the open and is returned.
    pub(in crate::store::sled_store) fn open<R: Reader>(
        dir: &Path,
        segment_size: u64,
        reader: &mut R,
    ) -> Result<(Journal, Vec<SegmentReport>), R::Error> {
        create_dir(dir).map_err(JournalError::from)?;
        let ScannedJournal { reports, mut files } = scan_journal(dir, true, reader)?;
        let (active, len) = match reports.last() {
            None => (1, 0),
            Some(last) => {
                if let (Some(torn), Some(file)) = (last.torn_tail, files.get(&last.segment)) {
                    file.set_len(torn).map_err(JournalError::from)?;
                    file.sync_all().map_err(JournalError::from)?;
                }
                if last.damage.is_empty() {
                    (last.segment, last.end())
                } else {
                    (last.segment + 1, 0)
                }
            }
        };
        if let std::collections::btree_map::Entry::Vacant(slot) = files.entry(active) {
            slot.insert(open_segment(dir, active, true).map_err(JournalError::from)?);
            sync_dir(dir).map_err(JournalError::from)?;
        }
        let extents = match Extents::rewrite(dir, &extents_after_open(&reports, active)) {
            Ok(extents) => extents,
            // A full disk must not keep the store from opening (reads go on, and intake
            // resumes when space is freed): this run records no extents.
            Err(error) => {
                tracing::warn!(%error, "the journal cannot record synced lengths this run");
                Extents::unrecorded(dir)
            }
        };
        let files: BTreeMap<u64, Arc<File>> =
            files.into_iter().map(|(n, f)| (n, Arc::new(f))).collect();
        let file = Arc::clone(&files[&active]);
        let journal = Journal {
            dir: dir.to_path_buf(),
            segment_size,
            files: RwLock::new(files),
            append: Mutex::new(AppendState {
                active,
                file,
                len,
                // What a previous process appended may never have been synced: the
                // first sync covers it, even if nothing is appended before it.
                active_unsynced: true,
                // Likewise a segment it created: its directory entry may not be durable.
                dir_unsynced: true,
                tail_dirty: false,
            }),
            syncing: Mutex::new(()),
            extents: Mutex::new(extents),
            damaged: reports
                .iter()
                .filter(|r| !r.damage.is_empty())
                .map(|r| r.segment)
                .collect(),
            syncs: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            #[cfg(test)]
            fail_next_sync: AtomicBool::new(false),
        };
        Ok((journal, reports))
    }
}

/// What reading the whole journal found.
pub(super) struct ScannedJournal {
    /// One per segment, oldest first (with those whose file is gone).
    pub(super) reports: Vec<SegmentReport>,
    /// The segment files, opened.
    pub(super) files: BTreeMap<u64, File>,
}

/// Reads every segment in `dir` (and notes the ones whose file is gone though an extent
/// was recorded for them), oldest first.
pub(super) fn scan_journal<R: Reader>(
    dir: &Path,
    writable: bool,
    reader: &mut R,
) -> Result<ScannedJournal, R::Error> {
    let on_disk = list_segments(dir).map_err(JournalError::from)?;
    let recorded = if on_disk.is_empty() {
        // Nothing to check against (an emptied directory starts afresh).
        BTreeMap::new()
    } else {
        extents::read(dir).map_err(JournalError::from)?
    };
    let mut numbers: Vec<u64> = on_disk.iter().chain(recorded.keys()).copied().collect();
    numbers.sort_unstable();
    numbers.dedup();
    let mut reports = Vec::with_capacity(numbers.len());
    let mut files = BTreeMap::new();
    for (index, &segment) in numbers.iter().enumerate() {
        let extent = recorded.get(&segment).copied();
        if on_disk.binary_search(&segment).is_err() {
            // Only recorded: its file is gone, with every synced byte in it.
            reports.push(SegmentReport::missing(segment, extent.unwrap_or(0)));
            continue;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(writable)
            .open(segment_path(dir, segment))
            .map_err(JournalError::from)?;
        let bytes = file.metadata().map_err(JournalError::from)?.len();
        let of = numbers.len();
        reader.segment(SegmentStart {
            segment,
            index,
            of,
            bytes,
        });
        let is_last = index + 1 == of;
        reports.push(scan::scan_segment(&file, segment, extent, is_last, reader)?);
        files.insert(segment, file);
    }
    Ok(ScannedJournal { reports, files })
}

/// The extents to keep after an open that made `active` the active segment: a damaged
/// segment keeps what was recorded (the evidence stays until `store repair`); a clean
/// sealed one has been synced whole (before the next segment started); the active one
/// keeps its record until the next sync raises it.
fn extents_after_open(reports: &[SegmentReport], active: u64) -> BTreeMap<u64, u64> {
    let mut kept = BTreeMap::new();
    for report in reports {
        let length = if !report.damage.is_empty() || report.segment == active {
            report.extent
        } else {
            Some(report.end().max(report.extent.unwrap_or(0)))
        };
        if let Some(length) = length {
            kept.insert(report.segment, length);
        }
    }
    kept
}

/// Reads the journal in `dir` without changing it (a stopped store, for `store check`),
/// handing every record to `reader`, and reports what each segment holds.
pub(in crate::store::sled_store) fn inspect<R: Reader>(
    dir: &Path,
    reader: &mut R,
) -> Result<Vec<SegmentReport>, R::Error> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    Ok(scan_journal(dir, false, reader)?.reports)
}
