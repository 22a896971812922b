//! The recorded extents: for each segment, a length the journal knows was `fdatasync`ed,
//! kept in the side file `{dir}/extents` so a segment that ends at a record boundary but
//! lost synced records (cut short, or deleted) is told apart from one that was never longer.
//!
//! The file is a list of 24-byte entries `[u64 LE segment][u64 LE length][u32 LE crc32 of
//! the first 16 bytes][4 zero bytes]`, one per segment. An entry is only ever written after
//! the `fdatasync` that made its length durable, so it never claims more than the segment
//! holds. Writing it is one 24-byte `pwrite` per group sync, with no `fsync` of its own:
//! after a power loss it may be a few seconds stale, which only means less is checked.
//! Sealed segments' entries are synced when the next segment starts. An entry that fails
//! its checksum (a torn write, zeros) is vacant.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Bytes of one entry.
const ENTRY_LEN: usize = 24;

/// The side file's path in a journal directory.
fn path(dir: &Path) -> PathBuf {
    dir.join("extents")
}

/// Every segment's recorded extent, from the side file in `dir` (none when it is missing).
pub(super) fn read(dir: &Path) -> io::Result<BTreeMap<u64, u64>> {
    let bytes = match fs::read(path(dir)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e),
    };
    let mut extents = BTreeMap::new();
    for entry in bytes.chunks_exact(ENTRY_LEN) {
        // An empty segment promises nothing.
        if let Some((segment, len)) = decode(entry).filter(|&(_, len)| len > 0) {
            let known = extents.entry(segment).or_insert(len);
            *known = (*known).max(len);
        }
    }
    Ok(extents)
}

fn encode(segment: u64, len: u64) -> [u8; ENTRY_LEN] {
    let mut entry = [0; ENTRY_LEN];
    entry[..8].copy_from_slice(&segment.to_le_bytes());
    entry[8..16].copy_from_slice(&len.to_le_bytes());
    let crc = crc32fast::hash(&entry[..16]);
    entry[16..20].copy_from_slice(&crc.to_le_bytes());
    entry
}

fn decode(entry: &[u8]) -> Option<(u64, u64)> {
    let u64_at = |at: usize| u64::from_le_bytes(entry[at..at + 8].try_into().expect("8 bytes"));
    let crc = u32::from_le_bytes(entry[16..20].try_into().expect("4 bytes"));
    (crc32fast::hash(&entry[..16]) == crc).then(|| (u64_at(0), u64_at(8)))
}

/// The open side file, with the slot and length of each segment's entry.
pub(super) struct Extents {
    /// `None`: nothing is recorded this run (see [`Extents::unrecorded`]).
    file: Option<File>,
    slots: HashMap<u64, (u64, u64)>,
    next_slot: u64,
    /// A failure to record was logged (once per run is enough).
    warned: bool,
}

impl Extents {
    /// Replaces the side file with `extents` (written aside, synced, renamed, directory
    /// synced), dropping the entries of segments that are gone, and opens it.
    pub(super) fn rewrite(dir: &Path, extents: &BTreeMap<u64, u64>) -> io::Result<Self> {
        let aside = dir.join("extents.new");
        let mut bytes = Vec::with_capacity(extents.len() * ENTRY_LEN);
        let mut slots = HashMap::new();
        for (slot, (&segment, &len)) in extents.iter().enumerate() {
            bytes.extend_from_slice(&encode(segment, len));
            slots.insert(segment, (slot as u64, len));
        }
        {
            let mut file = File::create(&aside)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
        }
        fs::rename(&aside, path(dir))?;
        File::open(dir)?.sync_all()?;
        let file = OpenOptions::new().read(true).write(true).open(path(dir))?;
        Ok(Self {
            file: Some(file),
            next_slot: slots.len() as u64,
            slots,
            warned: false,
        })
    }

    /// Records nothing, after the side file could not be rewritten (a full disk). The old
    /// file is removed, which needs no space, so no stale entry outlives the segments
    /// retired meanwhile; the next open checks nothing it cannot know and starts afresh.
    pub(super) fn unrecorded(dir: &Path) -> Self {
        let _ = fs::remove_file(path(dir));
        Self {
            file: None,
            slots: HashMap::new(),
            next_slot: 0,
            warned: false,
        }
    }

    /// Records that `segment` holds at least `len` synced bytes, and syncs that record
    /// when `durable`. A record only sharpens later checks, so failing to write one fails
    /// nothing: the first failure of a run is logged.
    pub(super) fn note(&mut self, segment: u64, len: u64, durable: bool) {
        let recorded =
            self.record(segment, len)
                .and_then(|()| if durable { self.sync() } else { Ok(()) });
        if let Err(error) = recorded {
            if !std::mem::replace(&mut self.warned, true) {
                tracing::warn!(segment, len, %error, "the journal could not record a segment's synced length; later opens check less");
            }
        }
    }

    /// Records that `segment` holds at least `len` synced bytes (never lowers an entry;
    /// an empty segment promises nothing, so it gets none).
    pub(super) fn record(&mut self, segment: u64, len: u64) -> io::Result<()> {
        let known = self.slots.get(&segment).map_or(0, |&(_, known)| known);
        if len > known {
            self.set(segment, len)
        } else {
            Ok(())
        }
    }

    /// Sets `segment`'s entry to `len`, lower or higher (a repair that cut bytes away).
    pub(super) fn set(&mut self, segment: u64, len: u64) -> io::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let slot = match self.slots.get(&segment) {
            Some(&(slot, _)) => slot,
            None => {
                self.next_slot += 1;
                self.next_slot - 1
            }
        };
        file.write_all_at(&encode(segment, len), slot * ENTRY_LEN as u64)?;
        self.slots.insert(segment, (slot, len));
        Ok(())
    }

    /// Vacates `segment`'s entry and makes that durable (before its file is deleted, so a
    /// retired segment is never reported missing).
    pub(super) fn forget(&mut self, segment: u64) -> io::Result<()> {
        if let (Some((slot, _)), Some(file)) = (self.slots.remove(&segment), &self.file) {
            file.write_all_at(&[0; ENTRY_LEN], slot * ENTRY_LEN as u64)?;
            file.sync_data()?;
        }
        Ok(())
    }

    /// Makes every entry written so far durable.
    pub(super) fn sync(&self) -> io::Result<()> {
        self.file.as_ref().map_or(Ok(()), File::sync_data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_a_rewrite_and_only_ever_grow_when_recorded() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).unwrap().is_empty());
        let mut extents = Extents::rewrite(dir.path(), &BTreeMap::from([(3, 100)])).unwrap();
        extents.record(3, 50).unwrap();
        extents.record(4, 70).unwrap();
        extents.record(5, 0).unwrap();
        assert_eq!(
            read(dir.path()).unwrap(),
            BTreeMap::from([(3, 100), (4, 70)])
        );
        extents.set(3, 40).unwrap();
        extents.set(6, 0).unwrap();
        extents.forget(4).unwrap();
        assert_eq!(
            read(dir.path()).unwrap(),
            BTreeMap::from([(3, 40)]),
            "an empty segment promises nothing"
        );
    }

    #[test]
    fn a_torn_entry_is_vacant() {
        let dir = tempfile::tempdir().unwrap();
        let mut extents = Extents::rewrite(dir.path(), &BTreeMap::new()).unwrap();
        extents.record(1, 10).unwrap();
        extents.record(2, 20).unwrap();
        let file = OpenOptions::new()
            .write(true)
            .open(path(dir.path()))
            .unwrap();
        file.write_all_at(&[0xff], 9).unwrap();
        assert_eq!(read(dir.path()).unwrap(), BTreeMap::from([(2, 20)]));
    }
}
