//! sled's own files at open: a snapshot sled cannot read is moved aside before sled opens,
//! so what a full disk leaves behind never keeps the store closed.
//!
//! sled 0.34 writes a snapshot to `snap.<lsn>.generating`, syncs it, renames it to
//! `snap.<lsn>` and then removes older ones. At open it reads only the last `snap.*` name
//! in sort order and refuses to open, for good, when that file is 12 bytes or shorter or
//! fails its CRC32. A full disk can leave an empty `.generating` file (or an empty
//! `snap.<lsn>`) that sorts last. A snapshot is only a shortcut: without a usable one,
//! sled replays its log (the `db` file) from the start and rebuilds the same state.

use crate::store::StoreError;
use std::path::{Path, PathBuf};

/// sled takes every file whose name starts with this for a snapshot.
const SNAPSHOT_PREFIX: &str = "snap.";
/// A snapshot still being written: sled renames it only once it is complete.
const UNFINISHED_SUFFIX: &str = ".generating";
/// sled skips files with this suffix.
const IN_MOTION_SUFFIX: &str = ".in___motion";
/// sled's snapshot footer: the uncompressed length (8 bytes), then a CRC32 (4, little
/// endian) of everything before the footer.
const FOOTER_LEN: usize = 12;
/// The folder, inside the data folder, that unusable snapshots are moved to. sled does not
/// look into it.
pub(super) const DAMAGED_DIR: &str = "damaged";

/// Why sled cannot use a snapshot file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unusable {
    /// A `.generating` file: its writing was cut off, or never published.
    Unfinished,
    /// Too short to hold sled's footer (an empty file, say).
    TooShort(usize),
    /// Its contents do not match its checksum.
    ChecksumMismatch,
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unfinished => write!(f, "an unfinished snapshot (never renamed by sled)"),
            Self::TooShort(len) => write!(f, "{len} bytes, too short for a snapshot"),
            Self::ChecksumMismatch => write!(f, "its checksum does not match its contents"),
        }
    }
}

/// Setting an unusable snapshot aside failed (the store does not open).
#[derive(Debug, thiserror::Error)]
pub(super) enum SetAsideError {
    /// sled's folder could not be listed.
    #[error("cannot list sled's folder {path}: {source}")]
    List {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A snapshot could not be read to check it.
    #[error("cannot read sled snapshot {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An unusable snapshot could not be moved out of sled's way.
    #[error("cannot move unusable sled snapshot {from} to {to}: {source}")]
    Move {
        from: PathBuf,
        to: PathBuf,
        source: std::io::Error,
    },
}

impl From<SetAsideError> for StoreError {
    /// A backend error: opening is tried again (see `reopening`), and may succeed once the
    /// disk has room.
    fn from(e: SetAsideError) -> Self {
        StoreError::Backend(e.to_string())
    }
}

/// Opens sled in `path`, after moving aside every snapshot it could not read.
pub(super) fn open(path: &Path) -> Result<sled::Db, StoreError> {
    set_aside_unusable_snapshots(path)?;
    sled::Config::new()
        .path(path)
        .mode(sled::Mode::HighThroughput)
        // Writes that must survive a crash are flushed explicitly (routing, finish),
        // and a timed flush competing with them only added latency spikes.
        .flush_every_ms(None)
        .open()
        .map_err(|e| super::maintenance::open_failure(path, e))
}

/// Why sled could not use the snapshot `name` holding `contents`; `None` when it is not a
/// snapshot or sled can use it.
fn judge(name: &str, contents: &[u8]) -> Option<Unusable> {
    if !name.starts_with(SNAPSHOT_PREFIX) || name.ends_with(IN_MOTION_SUFFIX) {
        return None;
    }
    if name.ends_with(UNFINISHED_SUFFIX) {
        return Some(Unusable::Unfinished);
    }
    if contents.len() <= FOOTER_LEN {
        return Some(Unusable::TooShort(contents.len()));
    }
    let (body, footer) = contents.split_at(contents.len() - FOOTER_LEN);
    let expected = u32::from_le_bytes([footer[8], footer[9], footer[10], footer[11]]);
    (crc32fast::hash(body) != expected).then_some(Unusable::ChecksumMismatch)
}

/// Moves every snapshot in `dir` that sled could not use into [`DAMAGED_DIR`].
fn set_aside_unusable_snapshots(dir: &Path) -> Result<(), SetAsideError> {
    let listing_failed = |source| SetAsideError::List {
        path: dir.to_owned(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // A new store: sled creates the folder.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(listing_failed(e)),
    };
    for entry in entries {
        let entry = entry.map_err(listing_failed)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(SNAPSHOT_PREFIX) {
            continue;
        }
        let path = entry.path();
        let contents = std::fs::read(&path).map_err(|source| SetAsideError::Read {
            path: path.clone(),
            source,
        })?;
        if let Some(why) = judge(&name, &contents) {
            set_aside(&path, &dir.join(DAMAGED_DIR), &name, &contents, why)?;
        }
    }
    Ok(())
}

/// Moves `path` into `damaged` under its own name (numbered when that is taken). A file
/// the same as one already there is removed instead: a reopen that keeps failing on a
/// full disk leaves the same empty file each time, and one copy tells all (and is
/// logged once, at warn).
fn set_aside(
    path: &Path,
    damaged: &Path,
    name: &str,
    contents: &[u8],
    why: Unusable,
) -> Result<(), SetAsideError> {
    let move_failed = |to: &Path, source| SetAsideError::Move {
        from: path.to_owned(),
        to: to.to_owned(),
        source,
    };
    std::fs::create_dir_all(damaged).map_err(|e| move_failed(damaged, e))?;
    let mut to = damaged.join(name);
    let mut taken = 0u64;
    loop {
        match std::fs::read(&to) {
            Ok(kept) if kept == contents => {
                std::fs::remove_file(path).map_err(|e| move_failed(&to, e))?;
                // Debug only: each reopen tried on a full disk (4 a second) gets here.
                tracing::debug!(
                    snapshot = %path.display(),
                    copy = %to.display(),
                    reason = %why,
                    "removed a sled snapshot sled cannot read; an identical copy was moved aside already"
                );
                return Ok(());
            }
            Ok(_) => {
                taken += 1;
                to = damaged.join(format!("{name}.{taken}"));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::rename(path, &to).map_err(|e| move_failed(&to, e))?;
                tracing::warn!(
                    snapshot = %path.display(),
                    moved_to = %to.display(),
                    reason = %why,
                    "moved aside a sled snapshot sled cannot read; sled rebuilds its state from its log"
                );
                return Ok(());
            }
            Err(e) => return Err(move_failed(&to, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot file as sled writes it: contents, length, CRC32.
    fn written(body: &[u8]) -> Vec<u8> {
        let mut out = body.to_vec();
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
        out
    }

    #[test]
    fn a_complete_snapshot_is_usable() {
        assert_eq!(judge("snap.00000000000A1B2C", &written(b"pages")), None);
    }

    #[test]
    fn empty_short_and_altered_snapshots_are_not() {
        let name = "snap.00000000000A1B2C";
        assert_eq!(judge(name, b""), Some(Unusable::TooShort(0)));
        assert_eq!(judge(name, &[7; 12]), Some(Unusable::TooShort(12)));
        let mut altered = written(b"pages");
        altered[0] ^= 1;
        assert_eq!(judge(name, &altered), Some(Unusable::ChecksumMismatch));
    }

    #[test]
    fn a_generating_file_is_never_a_finished_snapshot() {
        let name = "snap.00000000000A1B2C.generating";
        assert_eq!(judge(name, &written(b"pages")), Some(Unusable::Unfinished));
    }

    #[test]
    fn files_sled_does_not_read_as_snapshots_are_left_alone() {
        assert_eq!(judge("db", b""), None);
        assert_eq!(judge("conf", b""), None);
        assert_eq!(judge("snap.00000000000A1B2C.in___motion", b""), None);
    }

    #[test]
    fn the_same_file_set_aside_again_is_kept_once_and_different_ones_all() {
        let dir = tempfile::tempdir().unwrap();
        let name = "snap.0000000000000300.generating";
        let contents = [b"".as_slice(), b"", b"torn"];
        for contents in contents {
            std::fs::write(dir.path().join(name), contents).unwrap();
            set_aside_unusable_snapshots(dir.path()).unwrap();
            assert!(!dir.path().join(name).exists());
        }
        let damaged = dir.path().join(DAMAGED_DIR);
        let mut kept: Vec<_> = std::fs::read_dir(&damaged)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        kept.sort();
        assert_eq!(kept, [name.to_owned(), format!("{name}.1")]);
        assert_eq!(
            std::fs::read(damaged.join(format!("{name}.1"))).unwrap(),
            b"torn"
        );
    }
}
