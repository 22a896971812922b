//! The event journal: append-only segment files of checksummed records, which intake appends
//! to and fdatasyncs once per group instead of inserting into sled.
//!
//! Segments are `{dir}/{segment:016}.log`, numbered from 1. A record is
//! `[u32 LE payload length][u32 LE crc32 of the payload][payload]`; payloads are never empty,
//! so a zero length always means a torn or zero-filled tail.
//!
//! Before a new segment is created the old one is fdatasynced, so a segment that is followed
//! by another one never ends in a torn append: a torn end there is real corruption.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
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

/// What `Journal::open` finds, record by record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scanned {
    /// A record whose checksum matches.
    Record(Location, Vec<u8>),
    /// A whole-length record whose checksum does not match; scanning went on after it.
    Damaged(Location),
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
    /// Opens (creating `dir` if needed) and calls `visit` with every record of every segment,
    /// in order. A torn tail of the last segment is truncated away; a torn end of an older
    /// segment is `Corrupt`; a bad checksum on a whole-length record elsewhere is
    /// `Scanned::Damaged`. An error from `visit` stops the scan and is returned.
    pub(super) fn open<E: From<JournalError>>(
        dir: &Path,
        segment_size: u64,
        mut visit: impl FnMut(Scanned) -> Result<(), E>,
    ) -> Result<Journal, E> {
        create_dir(dir).map_err(JournalError::from)?;
        let numbers = list_segments(dir).map_err(JournalError::from)?;
        let mut files = BTreeMap::new();
        let mut active = (1, 0);
        for (i, &segment) in numbers.iter().enumerate() {
            let file = open_segment(dir, segment, false).map_err(JournalError::from)?;
            let is_last = i + 1 == numbers.len();
            let len = scan_segment(&file, segment, is_last, &mut visit)?;
            files.insert(segment, Arc::new(file));
            active = (segment, len);
        }
        if files.is_empty() {
            let file = open_segment(dir, 1, true).map_err(JournalError::from)?;
            sync_dir(dir).map_err(JournalError::from)?;
            files.insert(1, Arc::new(file));
        }
        let (active, len) = active;
        let file = Arc::clone(&files[&active]);
        Ok(Journal {
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
            syncs: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            #[cfg(test)]
            fail_next_sync: AtomicBool::new(false),
        })
    }

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
        let (file, dir_unsynced) = {
            let mut state = self.lock_append();
            state.clean_tail()?;
            let file = std::mem::replace(&mut state.active_unsynced, false)
                .then(|| Arc::clone(&state.file));
            (file, std::mem::replace(&mut state.dir_unsynced, false))
        };
        if file.is_none() && !dir_unsynced {
            return Ok(());
        }
        self.syncs.fetch_add(1, Ordering::Relaxed);
        #[cfg(test)]
        if self.fail_next_sync.swap(false, Ordering::SeqCst) {
            self.failed.store(true, Ordering::SeqCst);
            return Err(io::Error::other("injected fdatasync failure").into());
        }
        file.map_or(Ok(()), |file| file.sync_data())
            .and_then(|()| {
                if dir_unsynced {
                    sync_dir(&self.dir)
                } else {
                    Ok(())
                }
            })
            .map_err(|e| self.fail(e))
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

    /// Rewrites the record at `location` in place with `payload` padded with spaces to
    /// `location.len`, with its checksum; the length stays. Not durable until `sync_segment`.
    pub(super) fn overwrite(&self, location: Location, payload: &[u8]) -> Result<(), JournalError> {
        if payload.len() > location.len as usize {
            return Err(JournalError::Corrupt(format!(
                "a payload of {} bytes does not fit the record at {location:?}",
                payload.len()
            )));
        }
        let file = self.file(location.segment)?;
        let mut header = [0; HEADER_LEN as usize];
        file.read_exact_at(&mut header, location.offset)
            .map_err(|e| past_end(e, location))?;
        let (len, _) = decode_header(&header);
        if len != location.len {
            return Err(JournalError::Corrupt(format!(
                "record at {location:?} has length {len}; not overwritten"
            )));
        }
        let mut padded = payload.to_vec();
        padded.resize(location.len as usize, b' ');
        let mut buf = Vec::with_capacity(HEADER_LEN as usize + padded.len());
        encode_record(&mut buf, &padded);
        file.write_all_at(&buf, location.offset)?;
        Ok(())
    }

    /// fdatasync of one segment (after `overwrite`s into an older segment).
    pub(super) fn sync_segment(&self, segment: u64) -> Result<(), JournalError> {
        self.file(segment)?.sync_data()?;
        Ok(())
    }

    /// Deletes a segment's file and fsyncs the directory. Refuses the active segment.
    pub(super) fn remove_segment(&self, segment: u64) -> Result<(), JournalError> {
        let file = {
            let state = self.lock_append();
            if segment == state.active {
                return Err(JournalError::Corrupt(format!(
                    "segment {segment} is the active segment and cannot be removed"
                )));
            }
            self.lock_files_mut()
                .remove(&segment)
                .ok_or_else(|| not_in_journal(segment))?
        };
        if let Err(error) = fs::remove_file(segment_path(&self.dir, segment)) {
            self.lock_files_mut().insert(segment, file);
            return Err(error.into());
        }
        sync_dir(&self.dir)?;
        Ok(())
    }

    /// The segment appends currently go to.
    pub(super) fn active_segment(&self) -> u64 {
        self.lock_append().active
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

/// Reads one segment from the start, visiting its records, and returns where appends would
/// continue. A torn tail is truncated away when `is_last`, and is `Corrupt` otherwise.
fn scan_segment<E: From<JournalError>>(
    file: &File,
    segment: u64,
    is_last: bool,
    visit: &mut impl FnMut(Scanned) -> Result<(), E>,
) -> Result<u64, E> {
    let file_len = file.metadata().map_err(JournalError::from)?.len();
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut offset = 0;
    let torn = loop {
        let remaining = file_len - offset;
        if remaining == 0 {
            return Ok(offset);
        }
        if remaining < HEADER_LEN {
            break "a partial header";
        }
        let mut header = [0; HEADER_LEN as usize];
        reader.read_exact(&mut header).map_err(JournalError::from)?;
        let (len, crc) = decode_header(&header);
        if len == 0 {
            break "a zero length";
        }
        if u64::from(len) > remaining - HEADER_LEN {
            break "a payload shorter than its length";
        }
        let mut payload = vec![0; len as usize];
        reader
            .read_exact(&mut payload)
            .map_err(JournalError::from)?;
        let location = Location {
            segment,
            offset,
            len,
        };
        offset += HEADER_LEN + u64::from(len);
        if crc32fast::hash(&payload) == crc {
            visit(Scanned::Record(location, payload))?;
        } else if offset == file_len && is_last {
            offset = location.offset;
            break "a checksum mismatch on the final record";
        } else {
            visit(Scanned::Damaged(location))?;
        }
    };
    if !is_last {
        let message = format!("segment {segment} ends in {torn} at offset {offset}");
        return Err(JournalError::Corrupt(message).into());
    }
    file.set_len(offset).map_err(JournalError::from)?;
    file.sync_all().map_err(JournalError::from)?;
    Ok(offset)
}

fn encode_record(buf: &mut Vec<u8>, payload: &[u8]) {
    buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    buf.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    buf.extend_from_slice(payload);
}

/// The length and checksum from the first eight bytes of `buf`.
fn decode_header(buf: &[u8]) -> (u32, u32) {
    let word = |i: usize| u32::from_le_bytes([buf[i], buf[i + 1], buf[i + 2], buf[i + 3]]);
    (word(0), word(4))
}

fn segment_path(dir: &Path, segment: u64) -> PathBuf {
    dir.join(format!("{segment:016}.log"))
}

fn open_segment(dir: &Path, segment: u64, create: bool) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(create)
        .open(segment_path(dir, segment))
}

/// Segment numbers in `dir`, oldest first; other files are ignored.
fn list_segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut segments = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(number) = name.to_str().and_then(|n| n.strip_suffix(".log")) else {
            continue;
        };
        if number.len() == 16 && number.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(segment) = number.parse() {
                segments.push(segment);
            }
        }
    }
    segments.sort_unstable();
    Ok(segments)
}

/// Creates `dir` if it is missing, and makes its entry durable in the parent (every
/// time: a process that created it may have crashed before that fsync).
fn create_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => sync_dir(parent),
        _ => Ok(()),
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
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
mod tests {
    use super::*;
    use std::io::Write;

    fn open(dir: &Path, segment_size: u64) -> Result<(Journal, Vec<Scanned>), JournalError> {
        let mut seen = Vec::new();
        let journal = Journal::open(dir, segment_size, |s| {
            seen.push(s);
            Ok::<_, JournalError>(())
        })?;
        Ok((journal, seen))
    }

    fn records(payloads: &[&str]) -> Vec<Vec<u8>> {
        payloads.iter().map(|p| p.as_bytes().to_vec()).collect()
    }

    fn end(location: Location) -> u64 {
        location.offset + HEADER_LEN + u64::from(location.len)
    }

    fn file_len(dir: &Path, segment: u64) -> u64 {
        fs::metadata(segment_path(dir, segment)).unwrap().len()
    }

    /// Appends three records, damages the file with `damage`, reopens, and checks that only
    /// the first two come back, the file ends after them, and appends go on cleanly.
    fn torn_tail_is_cut_off(damage: impl FnOnce(&Path, Location)) {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _) = open(dir.path(), 1 << 20).unwrap();
        let locations = journal.append(&records(&["one", "two", "three"])).unwrap();
        journal.sync().unwrap();
        drop(journal);
        damage(&segment_path(dir.path(), 1), locations[2]);

        let (journal, seen) = open(dir.path(), 1 << 20).unwrap();
        let expected: Vec<_> = locations[..2]
            .iter()
            .zip(["one", "two"])
            .map(|(l, p)| Scanned::Record(*l, p.as_bytes().to_vec()))
            .collect();
        assert_eq!(seen, expected);
        assert_eq!(file_len(dir.path(), 1), end(locations[1]));
        let next = journal.append(&records(&["four"])).unwrap();
        assert_eq!(next[0].offset, end(locations[1]));
        drop(journal);
        let (_, seen) = open(dir.path(), 1 << 20).unwrap();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[2], Scanned::Record(next[0], b"four".to_vec()));
    }

    fn flip_byte(path: &Path, at: u64) {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        let mut byte = [0];
        file.read_exact_at(&mut byte, at).unwrap();
        file.write_all_at(&[byte[0] ^ 0xff], at).unwrap();
    }

    #[test]
    fn after_a_failed_sync_nothing_is_appended_or_synced_until_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _) = open(dir.path(), 1 << 20).unwrap();
        let first = journal.append(&records(&["alpha"])).unwrap();
        journal.fail_next_sync.store(true, Ordering::SeqCst);
        assert!(matches!(journal.sync(), Err(JournalError::Io(_))));
        // A retried fdatasync could report success for pages the kernel dropped.
        assert!(matches!(journal.sync(), Err(JournalError::Failed)));
        assert!(matches!(
            journal.append(&records(&["beta"])),
            Err(JournalError::Failed)
        ));
        drop(journal);

        // Opened again, the journal holds what reached the file and goes on.
        let (journal, seen) = open(dir.path(), 1 << 20).unwrap();
        assert_eq!(seen, vec![Scanned::Record(first[0], b"alpha".to_vec())]);
        let next = journal.append(&records(&["gamma"])).unwrap();
        journal.sync().unwrap();
        assert_eq!(journal.read(next[0]).unwrap(), b"gamma");
    }

    #[test]
    fn appended_records_read_back_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, seen) = open(dir.path(), 1 << 20).unwrap();
        assert!(seen.is_empty());
        let payloads = records(&["alpha", "beta", "gamma"]);
        let mut locations = journal.append(&payloads[..2]).unwrap();
        locations.extend(journal.append(&payloads[2..]).unwrap());
        journal.sync().unwrap();
        assert_eq!(
            locations[0],
            Location {
                segment: 1,
                offset: 0,
                len: 5
            }
        );
        assert_eq!(locations[1].offset, end(locations[0]));
        assert_eq!(locations[2].offset, end(locations[1]));
        for (location, payload) in locations.iter().zip(&payloads) {
            assert_eq!(&journal.read(*location).unwrap(), payload);
        }
        assert_eq!(journal.disk_bytes(), end(locations[2]));
        drop(journal);

        let (journal, seen) = open(dir.path(), 1 << 20).unwrap();
        let expected: Vec<_> = locations
            .iter()
            .zip(&payloads)
            .map(|(l, p)| Scanned::Record(*l, p.clone()))
            .collect();
        assert_eq!(seen, expected);
        let next = journal.append(&records(&["delta"])).unwrap();
        assert_eq!(
            next[0],
            Location {
                segment: 1,
                offset: end(locations[2]),
                len: 5
            }
        );
        assert_eq!(journal.read(next[0]).unwrap(), b"delta");
    }

    #[test]
    fn records_rotate_into_new_segments() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _) = open(dir.path(), 20).unwrap();
        let mut locations = Vec::new();
        for i in 0..5 {
            // 8 + 10 bytes per record: each segment takes two before it reaches 20 bytes.
            locations.extend(
                journal
                    .append(&[format!("record-{i:03}").into_bytes()])
                    .unwrap(),
            );
        }
        let group = journal
            .append(&records(&["group-a", "group-b", "group-c"]))
            .unwrap();
        journal.sync().unwrap();
        let segments: Vec<u64> = locations.iter().map(|l| l.segment).collect();
        assert_eq!(segments, [1, 1, 2, 2, 3]);
        assert!(group.iter().all(|l| l.segment == 3), "{group:?}");
        assert_eq!(journal.segments(), [1, 2, 3]);
        assert_eq!(journal.active_segment(), 3);
        locations.extend(group);
        drop(journal);

        let (journal, seen) = open(dir.path(), 20).unwrap();
        let visited: Vec<Location> = seen
            .iter()
            .map(|s| match s {
                Scanned::Record(l, _) => *l,
                Scanned::Damaged(l) => panic!("damaged {l:?}"),
            })
            .collect();
        assert_eq!(visited, locations);
        assert_eq!(journal.segments(), [1, 2, 3]);
        assert_eq!(journal.append(&records(&["next"])).unwrap()[0].segment, 4);
    }

    #[test]
    fn partial_header_at_the_end_is_cut_off() {
        for junk in 1..=7 {
            torn_tail_is_cut_off(|path, last| {
                let file = OpenOptions::new().write(true).open(path).unwrap();
                file.set_len(last.offset).unwrap();
                file.write_all_at(&vec![0xab; junk], last.offset).unwrap();
            });
        }
    }

    #[test]
    fn partial_payload_at_the_end_is_cut_off() {
        torn_tail_is_cut_off(|path, last| {
            let file = OpenOptions::new().write(true).open(path).unwrap();
            file.set_len(last.offset + HEADER_LEN + 2).unwrap();
        });
    }

    #[test]
    fn zero_filled_tail_is_cut_off() {
        torn_tail_is_cut_off(|path, last| {
            let file = OpenOptions::new().write(true).open(path).unwrap();
            file.set_len(last.offset).unwrap();
            file.set_len(last.offset + 64).unwrap();
        });
    }

    #[test]
    fn checksum_mismatch_on_the_final_record_is_cut_off() {
        torn_tail_is_cut_off(|path, last| flip_byte(path, last.offset + HEADER_LEN + 1));
    }

    #[test]
    fn damaged_record_in_the_middle_is_reported_and_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _) = open(dir.path(), 1 << 20).unwrap();
        let locations = journal.append(&records(&["one", "two", "three"])).unwrap();
        journal.sync().unwrap();
        drop(journal);
        flip_byte(
            &segment_path(dir.path(), 1),
            locations[1].offset + HEADER_LEN,
        );

        let (journal, seen) = open(dir.path(), 1 << 20).unwrap();
        assert_eq!(
            seen,
            [
                Scanned::Record(locations[0], b"one".to_vec()),
                Scanned::Damaged(locations[1]),
                Scanned::Record(locations[2], b"three".to_vec()),
            ]
        );
        assert!(matches!(
            journal.read(locations[1]),
            Err(JournalError::Corrupt(_))
        ));
        assert_eq!(file_len(dir.path(), 1), end(locations[2]));
    }

    #[test]
    fn torn_end_of_an_older_segment_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _) = open(dir.path(), 10).unwrap();
        journal.append(&records(&["first segment"])).unwrap();
        journal.append(&records(&["second segment"])).unwrap();
        journal.sync().unwrap();
        assert_eq!(journal.segments(), [1, 2]);
        drop(journal);
        let mut file = OpenOptions::new()
            .append(true)
            .open(segment_path(dir.path(), 1))
            .unwrap();
        file.write_all(&[1, 2, 3]).unwrap();

        let error = open(dir.path(), 10).err().expect("open must fail");
        assert!(
            matches!(&error, JournalError::Corrupt(m) if m.contains("segment 1")),
            "{error}"
        );
    }

    #[test]
    fn bad_checksum_at_the_end_of_an_older_segment_is_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _) = open(dir.path(), 10).unwrap();
        let first = journal.append(&records(&["first segment"])).unwrap()[0];
        let second = journal.append(&records(&["second segment"])).unwrap()[0];
        journal.sync().unwrap();
        drop(journal);
        flip_byte(&segment_path(dir.path(), 1), first.offset + HEADER_LEN);

        let (_, seen) = open(dir.path(), 10).unwrap();
        assert_eq!(
            seen,
            [
                Scanned::Damaged(first),
                Scanned::Record(second, b"second segment".to_vec())
            ]
        );
        assert_eq!(file_len(dir.path(), 1), end(first));
    }

    #[test]
    fn visit_error_stops_open() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _) = open(dir.path(), 1 << 20).unwrap();
        journal.append(&records(&["one", "two"])).unwrap();
        drop(journal);
        let mut calls = 0;
        let result = Journal::open(dir.path(), 1 << 20, |_| {
            calls += 1;
            Err(JournalError::Corrupt("stop".into()))
        });
        assert!(matches!(result, Err(JournalError::Corrupt(m)) if m == "stop"));
        assert_eq!(calls, 1);
    }

    #[test]
    fn overwrite_pads_with_spaces_and_keeps_the_next_record() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _) = open(dir.path(), 1 << 20).unwrap();
        let locations = journal
            .append(&records(&["a long payload", "next"]))
            .unwrap();
        journal.overwrite(locations[0], b"short").unwrap();
        journal.sync_segment(1).unwrap();
        assert_eq!(journal.read(locations[0]).unwrap(), b"short         ");
        assert_eq!(journal.read(locations[1]).unwrap(), b"next");

        let too_long = journal.overwrite(locations[1], b"too long");
        assert!(matches!(too_long, Err(JournalError::Corrupt(_))));
        assert_eq!(journal.read(locations[1]).unwrap(), b"next");
        journal.sync().unwrap();
        drop(journal);

        let (_, seen) = open(dir.path(), 1 << 20).unwrap();
        assert_eq!(
            seen,
            [
                Scanned::Record(locations[0], b"short         ".to_vec()),
                Scanned::Record(locations[1], b"next".to_vec()),
            ]
        );
    }

    #[test]
    fn remove_segment_deletes_old_segments_only() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _) = open(dir.path(), 10).unwrap();
        let first = journal.append(&records(&["first segment"])).unwrap();
        journal.append(&records(&["second segment"])).unwrap();
        journal.sync().unwrap();
        let before = journal.disk_bytes();

        journal.remove_segment(1).unwrap();
        assert!(!segment_path(dir.path(), 1).exists());
        assert_eq!(journal.segments(), [2]);
        assert_eq!(journal.disk_bytes(), before - end(first[0]));
        assert!(matches!(
            journal.read(first[0]),
            Err(JournalError::Corrupt(_))
        ));
        assert!(matches!(
            journal.remove_segment(2),
            Err(JournalError::Corrupt(_))
        ));
        assert!(segment_path(dir.path(), 2).exists());
        drop(journal);

        let (journal, seen) = open(dir.path(), 10).unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(journal.segments(), [2]);
    }

    #[test]
    fn empty_payload_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _) = open(dir.path(), 1 << 20).unwrap();
        let result = journal.append(&[b"fine".to_vec(), Vec::new()]);
        assert!(matches!(result, Err(JournalError::Corrupt(_))));
        assert_eq!(journal.disk_bytes(), 0);
    }

    #[test]
    fn concurrent_appends_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _) = open(dir.path(), 256).unwrap();
        let journal = Arc::new(journal);
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let journal = Arc::clone(&journal);
                std::thread::spawn(move || {
                    let mut written = Vec::new();
                    for i in 0..50 {
                        let payload = format!("thread {t} record {i}").into_bytes();
                        let location = journal.append(std::slice::from_ref(&payload)).unwrap()[0];
                        if i % 10 == 0 {
                            journal.sync().unwrap();
                        }
                        assert_eq!(journal.read(location).unwrap(), payload);
                        written.push((location, payload));
                    }
                    written
                })
            })
            .collect();
        let mut written: Vec<_> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        journal.sync().unwrap();
        drop(journal);
        written.sort();

        let (_, seen) = open(dir.path(), 256).unwrap();
        let expected: Vec<_> = written
            .into_iter()
            .map(|(l, p)| Scanned::Record(l, p))
            .collect();
        assert_eq!(seen, expected);
    }
}
