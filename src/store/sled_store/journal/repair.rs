//! Mending a stopped journal: every record that checks out is kept, every damaged range
//! is moved aside to a file of its own (never deleted), and recorded extents that name
//! bytes no longer there are brought down to what is, so the store opens clean.
//!
//! Each damaged segment is rewritten without its damaged bytes: those are first written
//! to `damaged-<segment>-<offset>.bin` and synced, then the segment's kept bytes are
//! written to `<segment>.log.repaired` and synced, its recorded extent is lowered, and the
//! new file is renamed over the old one. A crash at any point leaves either the old
//! segment or the new one, and the damaged bytes on disk, so running repair again is safe.

use super::extents::{self, Extents};
use super::open::{scan_journal, ScannedJournal};
use super::scan::{DamageKind, Reader, SegmentReport};
use super::{segment_path, sync_dir, JournalError};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Bytes copied at a time.
const CHUNK: u64 = 1 << 20;

/// Bytes a repair moved out of a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::store::sled_store) struct Moved {
    /// The segment they were in.
    pub(in crate::store::sled_store) segment: u64,
    /// Where they started in it.
    pub(in crate::store::sled_store) offset: u64,
    /// How many.
    pub(in crate::store::sled_store) len: u64,
    /// The file that holds them now.
    pub(in crate::store::sled_store) path: PathBuf,
}

/// Repairs the journal in `dir` (the store must be stopped), handing every record that
/// checks out to `reader`. Returns what each segment held before, and what was moved.
pub(in crate::store::sled_store) fn repair<R: Reader>(
    dir: &Path,
    reader: &mut R,
) -> Result<(Vec<SegmentReport>, Vec<Moved>), R::Error> {
    if !dir.is_dir() {
        return Ok((Vec::new(), Vec::new()));
    }
    let ScannedJournal { reports, files } = scan_journal(dir, true, reader)?;
    let mut recorded = extents::read(dir).map_err(JournalError::from)?;
    let mut moved = Vec::new();
    for report in &reports {
        if report.damage.is_empty() {
            continue;
        }
        let Some(file) = files.get(&report.segment) else {
            // Its file is gone: nothing to keep or move, and nothing to expect any more.
            recorded.remove(&report.segment);
            continue;
        };
        // The ranges to take out: unreadable ones, and a torn tail with them.
        let mut out: Vec<(u64, u64)> = report
            .damage
            .iter()
            .filter(|d| d.kind == DamageKind::Unreadable)
            .map(|d| (d.offset, d.len))
            .collect();
        if let Some(torn) = report.torn_tail {
            out.push((torn, report.bytes - torn));
        }
        if out.is_empty() {
            // Only missing bytes: the segment holds what it holds; expect no more.
            recorded.insert(report.segment, report.bytes);
            continue;
        }
        let mut aside = Vec::new();
        for &(offset, len) in &out {
            aside.push(move_aside(dir, file, report.segment, offset, len)?);
        }
        sync_dir(dir).map_err(JournalError::from)?;
        let len = rewrite(dir, file, report, &out)?;
        // Lowered before the rename: an extent may be short of a segment, never past it.
        recorded.insert(report.segment, len);
        Extents::rewrite(dir, &recorded).map_err(JournalError::from)?;
        std::fs::rename(
            repaired_path(dir, report.segment),
            segment_path(dir, report.segment),
        )
        .map_err(JournalError::from)?;
        sync_dir(dir).map_err(JournalError::from)?;
        moved.extend(aside);
    }
    recorded.retain(|segment, _| files.contains_key(segment));
    Extents::rewrite(dir, &recorded).map_err(JournalError::from)?;
    Ok((reports, moved))
}

fn repaired_path(dir: &Path, segment: u64) -> PathBuf {
    let mut path = segment_path(dir, segment).into_os_string();
    path.push(".repaired");
    path.into()
}

/// Copies `len` bytes at `offset` of `file` to a new file in `dir`, synced.
fn move_aside(
    dir: &Path,
    file: &File,
    segment: u64,
    offset: u64,
    len: u64,
) -> Result<Moved, JournalError> {
    let (path, mut out) = new_file(dir, &format!("damaged-{segment}-{offset}"))?;
    copy(file, offset, len, &mut out)?;
    out.sync_all()?;
    Ok(Moved {
        segment,
        offset,
        len,
        path,
    })
}

/// A new file named `stem.bin` in `dir`, or `stem-2.bin` and so on if that exists (a
/// second repair can find damage at an offset an earlier one already used).
fn new_file(dir: &Path, stem: &str) -> io::Result<(PathBuf, File)> {
    let mut name = format!("{stem}.bin");
    let mut tries = 1;
    loop {
        let path = dir.join(&name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                tries += 1;
                name = format!("{stem}-{tries}.bin");
            }
            Err(e) => return Err(e),
        }
    }
}

/// Writes the segment's bytes outside `out` (sorted, disjoint ranges) to its `.repaired`
/// file, synced; returns the new length.
fn rewrite(
    dir: &Path,
    file: &File,
    report: &SegmentReport,
    out: &[(u64, u64)],
) -> Result<u64, JournalError> {
    let mut kept = File::create(repaired_path(dir, report.segment))?;
    let mut taken: BTreeMap<u64, u64> = out.iter().copied().collect();
    taken.insert(report.bytes, 0);
    let mut at = 0;
    let mut len = 0;
    for (offset, skip) in taken {
        copy(file, at, offset - at, &mut kept)?;
        len += offset - at;
        at = offset + skip;
    }
    kept.sync_all()?;
    Ok(len)
}

fn copy(file: &File, offset: u64, len: u64, out: &mut File) -> io::Result<()> {
    let mut buf = Vec::new();
    let mut done = 0;
    while done < len {
        let chunk = (len - done).min(CHUNK);
        buf.resize(chunk as usize, 0);
        file.read_exact_at(&mut buf, offset + done)?;
        out.write_all(&buf)?;
        done += chunk;
    }
    Ok(())
}
