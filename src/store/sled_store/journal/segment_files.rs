//! Segment files on disk: their names, the record framing, listing them, and the
//! directory fsyncs that make creating and removing them durable.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// Appends one record (header, then payload) to `buf`.
pub(super) fn encode_record(buf: &mut Vec<u8>, payload: &[u8]) {
    buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    buf.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    buf.extend_from_slice(payload);
}

/// The length and checksum from the first eight bytes of `buf`.
pub(super) fn decode_header(buf: &[u8]) -> (u32, u32) {
    let word = |i: usize| u32::from_le_bytes([buf[i], buf[i + 1], buf[i + 2], buf[i + 3]]);
    (word(0), word(4))
}

/// The file of `segment` in `dir`.
pub(super) fn segment_path(dir: &Path, segment: u64) -> PathBuf {
    dir.join(format!("{segment:016}.log"))
}

/// Opens a segment for reading and writing, creating it (and only then) when `create`.
pub(super) fn open_segment(dir: &Path, segment: u64, create: bool) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(create)
        .open(segment_path(dir, segment))
}

/// Segment numbers in `dir`, oldest first; other files are ignored.
pub(super) fn list_segments(dir: &Path) -> io::Result<Vec<u64>> {
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
pub(super) fn create_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => sync_dir(parent),
        _ => Ok(()),
    }
}

/// fsyncs a directory, so the entries created or removed in it are durable.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
