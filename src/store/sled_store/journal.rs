//! The event journal: append-only segment files of checksummed records, which intake appends
//! to and fdatasyncs once per group instead of inserting into sled.
//!
//! Segments are `{dir}/{segment:016}.log`, numbered from 1 (`segment_files`). A record is
//! `[u32 LE payload length][u32 LE crc32 of the payload][payload]`; payloads are never empty,
//! so a zero length always means a torn or zero-filled tail.
//!
//! Before a new segment is created the old one is fdatasynced, so a segment that is followed
//! by another one never ends in a torn append. After every sync the synced length is
//! recorded (`extents`), so damage is told apart from a torn append and a segment cut
//! short at a record boundary is noticed. Opening reads every segment (`scan`): a torn
//! final append is cut off; damage anywhere is reported and skipped, and every valid
//! record after it is kept. A last segment with damage is left as it is and appends go to
//! a new one, so damaged bytes stay where `store repair` (`repair`) can move them aside.
//! Purge and retention change written records and segments through `in_place`.

mod extents;
mod in_place;
mod open;
mod repair;
mod scan;
mod segment_files;

pub(super) use open::inspect;
pub(super) use repair::repair;
pub(super) use scan::{DamageKind, Reader, SegmentReport, SegmentStart};

use extents::Extents;
use segment_files::{
    create_dir, decode_header, encode_record, list_segments, open_segment, segment_path, sync_dir,
};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

/// Bytes before each payload: its length, then its checksum.
const HEADER_LEN: u64 = 8;

/// Where a record is: its segment, the offset of its header, and its payload length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Location {
    /// The segment number (the file name).
    pub(super) segment: u64,
    /// Offset of the record's header in the segment.
    pub(super) offset: u64,
    /// Payload length (the header is not counted).
    pub(super) len: u32,
}

/// Why a journal operation failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum JournalError {
    /// The file system refused.
    #[error("journal I/O failed: {0}")]
    Io(#[from] io::Error),
    /// The bytes on disk (or the location asked for) are not a valid record.
    #[error("journal is corrupt: {0}")]
    Corrupt(String),
    /// An `fdatasync` failed earlier. The kernel may have dropped the pages it could not
    /// write, and a second `fdatasync` can then succeed without writing them, so nothing
    /// more is appended or acknowledged until the journal is opened again from disk.
    #[error("an earlier fdatasync failed: the journal must be opened again from disk")]
    Failed,
}

/// The segment files of one directory. Appends are serialized by one lock; reads, overwrites
/// and syncs use their own `Arc<File>` handles and never wait for an append's write.
pub(super) struct Journal {
    dir: PathBuf,
    segment_size: u64,
    /// Every segment on disk, with a read-write handle shared by all threads.
    files: RwLock<BTreeMap<u64, Arc<File>>>,
    append: Mutex<AppendState>,
    /// Serializes `sync` calls, so one returning early cannot skip what another took.
    syncing: Mutex<()>,
    /// Each segment's synced length, recorded after each sync.
    extents: Mutex<Extents>,
    /// Segments found damaged at open: kept for `store repair`, never removed.
    damaged: BTreeSet<u64>,
    /// `fdatasync` rounds done, for tests of group commit.
    syncs: AtomicU64,
    /// An `fdatasync` failed: see [`JournalError::Failed`].
    failed: AtomicBool,
    /// Tests: the next sync fails as a failing disk would make it.
    #[cfg(test)]
    fail_next_sync: AtomicBool,
}

/// What appends change, under `Journal::append`.
struct AppendState {
    active: u64,
    file: Arc<File>,
    /// Bytes of whole records in the active segment: where the next append goes.
    len: u64,
    /// The active segment was written since the last sync. (Only the active one can be:
    /// a segment is synced when the next one starts.)
    active_unsynced: bool,
    /// A segment file was created since the last sync.
    dir_unsynced: bool,
    /// A failed append could not be cut back; the file must be truncated to `len` first.
    tail_dirty: bool,
}

impl AppendState {
    /// Cuts off what a failed append left behind, if an earlier attempt could not.
    fn clean_tail(&mut self) -> io::Result<()> {
        if self.tail_dirty {
            self.file.set_len(self.len)?;
            self.tail_dirty = false;
        }
        Ok(())
    }
}

impl Journal {
    /// Appends the payloads as consecutive records of one segment and returns their
    /// locations, in order. Not durable until `sync`. Starts a new segment first when the
    /// active one has reached `segment_size`. On a write error the file is cut back and
    /// nothing counts as appended.
    pub(super) fn append(&self, payloads: &[Vec<u8>]) -> Result<Vec<Location>, JournalError> {
        if payloads.is_empty() {
            return Ok(Vec::new());
        }
        let mut size = 0;
        for payload in payloads {
            if payload.is_empty() {
                return Err(JournalError::Corrupt(
                    "an empty payload cannot be appended".into(),
                ));
            }
            if u32::try_from(payload.len()).is_err() {
                return Err(JournalError::Corrupt(format!(
                    "a payload of {} bytes is too long for a record",
                    payload.len()
                )));
            }
            size += HEADER_LEN as usize + payload.len();
        }
        self.check_not_failed()?;
        let mut state = self.lock_append();
        state.clean_tail()?;
        if state.len > 0 && state.len >= self.segment_size {
            self.rotate(&mut state)?;
        }
        let mut buf = Vec::with_capacity(size);
        let mut locations = Vec::with_capacity(payloads.len());
        let start = state.len;
        for payload in payloads {
            let offset = start + buf.len() as u64;
            let len = payload.len() as u32;
            locations.push(Location {
                segment: state.active,
                offset,
                len,
            });
            encode_record(&mut buf, payload);
        }
        if let Err(error) = state.file.write_all_at(&buf, start) {
            // Complete records of a failed group must not turn up on a later open.
            if state.file.set_len(start).is_err() {
                state.tail_dirty = true;
            }
            return Err(error.into());
        }
        state.len = start + buf.len() as u64;
        state.active_unsynced = true;
        Ok(locations)
    }

    /// Makes everything appended before the call durable: fdatasync of the active segment
    /// if it was written since the last sync (an earlier segment was synced when the next
    /// one started), and of the directory if a segment was created. Nothing appended
    /// since, nothing to do: a group of duplicates costs no `fdatasync`. Syncs run one at a
    /// time, so one that finds nothing left to do returns only after the sync that took it
    /// finished. Appends go on while it syncs.
    pub(super) fn sync(&self) -> Result<(), JournalError> {
        let _one_at_a_time = self.syncing.lock().unwrap_or_else(|p| p.into_inner());
        self.check_not_failed()?;
        let (active, dir_unsynced) = {
            let mut state = self.lock_append();
            state.clean_tail()?;
            let active = std::mem::replace(&mut state.active_unsynced, false)
                .then(|| (Arc::clone(&state.file), state.active, state.len));
            (active, std::mem::replace(&mut state.dir_unsynced, false))
        };
        if active.is_none() && !dir_unsynced {
            return Ok(());
        }
        self.syncs.fetch_add(1, Ordering::Relaxed);
        #[cfg(test)]
        if self.fail_next_sync.swap(false, Ordering::SeqCst) {
            self.failed.store(true, Ordering::SeqCst);
            return Err(io::Error::other("injected fdatasync failure").into());
        }
        if let Some((file, _, _)) = &active {
            file.sync_data().map_err(|e| self.fail(e))?;
        }
        if dir_unsynced {
            sync_dir(&self.dir).map_err(|e| self.fail(e))?;
        }
        if let Some((_, segment, len)) = active {
            self.record_extent(segment, len, false);
        }
        Ok(())
    }

    /// Records that `segment` holds `len` synced bytes (`durable`: and syncs that record).
    fn record_extent(&self, segment: u64, len: u64, durable: bool) {
        self.extents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .note(segment, len, durable);
    }

    /// Refuses to go on after a failed `fdatasync`.
    fn check_not_failed(&self) -> Result<(), JournalError> {
        if self.failed.load(Ordering::SeqCst) {
            return Err(JournalError::Failed);
        }
        Ok(())
    }

    /// Records that an `fdatasync` failed, and returns its error.
    fn fail(&self, error: io::Error) -> JournalError {
        self.failed.store(true, Ordering::SeqCst);
        error.into()
    }

    /// How many syncs had something to make durable.
    #[cfg(test)]
    pub(super) fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }

    /// The payload at `location`, checksum verified.
    pub(super) fn read(&self, location: Location) -> Result<Vec<u8>, JournalError> {
        let file = self.file(location.segment)?;
        let mut buf = vec![0; HEADER_LEN as usize + location.len as usize];
        file.read_exact_at(&mut buf, location.offset)
            .map_err(|e| past_end(e, location))?;
        let (len, crc) = decode_header(&buf);
        if len != location.len {
            return Err(JournalError::Corrupt(format!(
                "record at {location:?} has length {len}"
            )));
        }
        buf.drain(..HEADER_LEN as usize);
        if crc32fast::hash(&buf) != crc {
            return Err(JournalError::Corrupt(format!(
                "record at {location:?} fails its checksum"
            )));
        }
        Ok(buf)
    }

    /// The segment appends currently go to.
    pub(super) fn active_segment(&self) -> u64 {
        self.lock_append().active
    }

    /// Whether `segment` was found damaged at open (and so must stay for repair).
    pub(super) fn is_damaged(&self, segment: u64) -> bool {
        self.damaged.contains(&segment)
    }

    /// Every segment on disk, oldest first.
    pub(super) fn segments(&self) -> Vec<u64> {
        self.lock_files().keys().copied().collect()
    }

    /// Bytes on disk over all segments.
    #[cfg(test)]
    pub(super) fn disk_bytes(&self) -> u64 {
        let files: Vec<Arc<File>> = self.lock_files().values().cloned().collect();
        files
            .iter()
            .map(|file| file.metadata().map_or(0, |m| m.len()))
            .sum()
    }

    /// Syncs the full active segment, then creates the next one. Syncing first means a
    /// segment followed by another never has a torn tail after a crash.
    fn rotate(&self, state: &mut AppendState) -> Result<(), JournalError> {
        state.file.sync_data().map_err(|e| self.fail(e))?;
        self.record_extent(state.active, state.len, true);
        let next = state.active + 1;
        let file = Arc::new(open_segment(&self.dir, next, true)?);
        self.lock_files_mut().insert(next, Arc::clone(&file));
        state.active = next;
        state.file = file;
        state.len = 0;
        state.dir_unsynced = true;
        Ok(())
    }

    fn file(&self, segment: u64) -> Result<Arc<File>, JournalError> {
        self.lock_files()
            .get(&segment)
            .cloned()
            .ok_or_else(|| not_in_journal(segment))
    }

    fn lock_append(&self) -> MutexGuard<'_, AppendState> {
        self.append.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_files(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<u64, Arc<File>>> {
        self.files.read().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_files_mut(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<u64, Arc<File>>> {
        self.files.write().unwrap_or_else(|p| p.into_inner())
    }
}

fn not_in_journal(segment: u64) -> JournalError {
    JournalError::Corrupt(format!("segment {segment} is not in the journal"))
}

/// A read that ran off the end of the segment means the location is wrong.
fn past_end(error: io::Error, location: Location) -> JournalError {
    if error.kind() == io::ErrorKind::UnexpectedEof {
        JournalError::Corrupt(format!(
            "record at {location:?} runs past the end of its segment"
        ))
    } else {
        error.into()
    }
}

#[cfg(test)]
mod tests;
