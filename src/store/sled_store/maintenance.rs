//! `store check` and `store repair` on a stopped sled store: every damaged range of the
//! event journal and how many events each segment holds, and the repair that moves the
//! damage aside (into files it names, never deleted) so the store opens clean.
//!
//! Both take sled's lock on the folder first and hold it until they are done, so neither
//! reads or changes a store that a running `serve` has open, and no `serve` can open the
//! store while they run.

use super::event_log::{decode, Record};
use super::journal::{self, DamageKind, Location, Reader, SegmentReport};
use super::SledStore;
use crate::store::StoreError;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a store could not be checked or repaired.
#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    /// The folder holds no sled store.
    #[error("no store at {}: it holds no sled database (check [storage] path)", .0.display())]
    NoStore(PathBuf),
    /// A running lever-hooks has the store open.
    #[error("the store at {} (storage.path) is in use: another running lever-hooks holds its lock; stop it first", .0.display())]
    InUse(PathBuf),
    /// Reading or writing the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the journal of a stopped store holds, segment by segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalCheck {
    /// The store's folder.
    pub path: PathBuf,
    /// Every segment, oldest first.
    pub segments: Vec<SegmentCheck>,
}

/// One journal segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentCheck {
    /// Its number (the file name).
    pub segment: u64,
    /// Whether its file exists (its synced length was recorded, but the file is gone).
    pub present: bool,
    /// Its size.
    pub bytes: u64,
    /// Events in the records that check out.
    pub events: u64,
    /// Its damaged ranges.
    pub damaged: Vec<DamagedRange>,
    /// Where a torn final append starts: a crash cut it short before its sync, no one was
    /// answered 200 for it, and the next start cuts it off. Not damage.
    pub torn_tail: Option<u64>,
}

/// A damaged range of a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedRange {
    /// Where it starts in the segment.
    pub offset: u64,
    /// Its length.
    pub len: u64,
    /// The bytes are gone (the segment is shorter than what was synced), rather than there
    /// but holding no valid record.
    pub missing: bool,
    /// What was wrong where it starts.
    pub what: String,
}

/// What a repair did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRepair {
    /// The journal as the repair found it.
    pub before: JournalCheck,
    /// Every range moved out of a segment, and where it went.
    pub moved: Vec<MovedRange>,
    /// The journal after the repair.
    pub after: JournalCheck,
}

/// Bytes a repair moved out of a segment into a file of their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedRange {
    /// The segment they were in.
    pub segment: u64,
    /// Where they started in it.
    pub offset: u64,
    /// How many.
    pub len: u64,
    /// The file that holds them now.
    pub path: PathBuf,
}

impl SledStore {
    /// Reads the journal of the stopped store in `path` and reports every damaged range
    /// and how many events each segment holds. Changes nothing.
    pub fn check(path: &Path) -> Result<JournalCheck, MaintenanceError> {
        let _lock = lock(path)?;
        let mut counter = EventCounter::default();
        let reports = journal::inspect(&path.join("journal"), &mut counter)?;
        Ok(counter.check(path, &reports))
    }

    /// Repairs the journal of the stopped store in `path`: keeps every record that checks
    /// out, moves each damaged range to a file in the journal's folder, and stops
    /// expecting synced bytes that are gone, so the store opens clean.
    pub fn repair(path: &Path) -> Result<JournalRepair, MaintenanceError> {
        let _lock = lock(path)?;
        let dir = path.join("journal");
        let mut counter = EventCounter::default();
        let (reports, moved) = journal::repair(&dir, &mut counter)?;
        let before = counter.check(path, &reports);
        let mut counter = EventCounter::default();
        let reports = journal::inspect(&dir, &mut counter)?;
        let moved = moved
            .into_iter()
            .map(|m| MovedRange {
                segment: m.segment,
                offset: m.offset,
                len: m.len,
                path: m.path,
            })
            .collect();
        Ok(JournalRepair {
            before,
            moved,
            after: counter.check(path, &reports),
        })
    }
}

/// Takes sled's lock on the store's folder (by opening its database), as `serve` does.
fn lock(path: &Path) -> Result<sled::Db, MaintenanceError> {
    if !path.join("db").is_file() {
        return Err(MaintenanceError::NoStore(path.to_path_buf()));
    }
    sled::Config::new()
        .path(path)
        .flush_every_ms(None)
        .open()
        .map_err(|e| match e {
            e if is_locked(&e) => MaintenanceError::InUse(path.to_path_buf()),
            other => StoreError::Backend(other.to_string()).into(),
        })
}

/// Whether sled failed to open because another process holds its lock on the folder.
fn is_locked(e: &sled::Error) -> bool {
    // sled says so only in its message: "could not acquire lock on …".
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// The error of a failed open of the store at `path` by `serve`: says when another
/// lever-hooks holds it, rather than sled's raw lock error.
pub(super) fn open_failure(path: &Path, e: sled::Error) -> StoreError {
    if is_locked(&e) {
        StoreError::Backend(MaintenanceError::InUse(path.to_path_buf()).to_string())
    } else {
        super::backend(e)
    }
}

/// Counts the events in each segment's records.
#[derive(Default)]
struct EventCounter {
    events: BTreeMap<u64, u64>,
}

impl EventCounter {
    fn check(&self, path: &Path, reports: &[SegmentReport]) -> JournalCheck {
        let segments = reports
            .iter()
            .map(|report| SegmentCheck {
                segment: report.segment,
                present: report.exists,
                bytes: report.bytes,
                events: self.events.get(&report.segment).copied().unwrap_or(0),
                damaged: report
                    .damage
                    .iter()
                    .map(|d| DamagedRange {
                        offset: d.offset,
                        len: d.len,
                        missing: d.kind == DamageKind::Missing,
                        what: d.why.to_owned(),
                    })
                    .collect(),
                torn_tail: report.torn_tail,
            })
            .collect();
        JournalCheck {
            path: path.to_path_buf(),
            segments,
        }
    }
}

impl Reader for EventCounter {
    type Error = StoreError;

    fn is_record(&self, payload: &[u8]) -> bool {
        decode(payload).is_ok()
    }

    fn record(&mut self, location: Location, payload: Vec<u8>) -> Result<bool, StoreError> {
        match decode(&payload) {
            Ok(Record::Event { .. }) => {
                *self.events.entry(location.segment).or_default() += 1;
                Ok(true)
            }
            Ok(_) => Ok(true),
            Err(_) => Ok(false),
        }
    }
}

impl JournalCheck {
    /// Whether no segment has a damaged range.
    pub fn is_clean(&self) -> bool {
        self.damaged_ranges() == 0
    }

    /// Damaged ranges over all segments.
    pub fn damaged_ranges(&self) -> usize {
        self.segments.iter().map(|s| s.damaged.len()).sum()
    }

    /// Events over all segments.
    pub fn events(&self) -> u64 {
        self.segments.iter().map(|s| s.events).sum()
    }
}

impl fmt::Display for JournalCheck {
    /// One line per segment, one per damaged range or torn tail, then a verdict.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let segments = self.segments.len();
        writeln!(
            f,
            "store {}: {segments} journal segment{}, {} events",
            self.path.display(),
            if segments == 1 { "" } else { "s" },
            self.events()
        )?;
        for s in &self.segments {
            if s.present {
                writeln!(
                    f,
                    "  segment {}: {} events, {} bytes",
                    s.segment, s.events, s.bytes
                )?;
            } else {
                writeln!(f, "  segment {}: its file is gone", s.segment)?;
            }
            for d in &s.damaged {
                let kind = if d.missing { "missing" } else { "damaged" };
                writeln!(
                    f,
                    "    {kind}: segment {}, offset {}, {} bytes ({})",
                    s.segment, d.offset, d.len, d.what
                )?;
            }
            if let Some(torn) = s.torn_tail {
                writeln!(
                    f,
                    "    torn append: offset {torn}, {} bytes (a crash cut it short before its sync; never answered 200; the next start cuts it off)",
                    s.bytes - torn
                )?;
            }
        }
        match self.damaged_ranges() {
            0 => writeln!(f, "clean"),
            n => writeln!(
                f,
                "{n} damaged range{}: `lever-hooks store repair` keeps every record that checks out, moves unreadable bytes aside and stops expecting missing ones",
                if n == 1 { "" } else { "s" }
            ),
        }
    }
}
