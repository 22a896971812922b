//! Reading one segment from the start: every record that checks out, the damaged ranges
//! between them, and a torn final append, without changing anything on disk.
//!
//! A bad record (a partial header, a zero length, a length past the end, a checksum
//! mismatch) is followed by a search, byte by byte, for the next offset where a header's
//! length fits, its payload is a record of the reader's format and its checksum matches:
//! every valid record after damage is kept, and only the bytes in between are damaged.
//! Payloads are JSON, which never holds the zero byte every plausible length has in its
//! high byte, so no offset inside a record's payload passes for a header.
//!
//! What counts as a torn tail, cut off at open: bad bytes with no valid record after them,
//! at the end of the last segment, past the segment's recorded extent (or anywhere in its
//! tail when no extent was ever recorded). That is an append a crash cut short before its
//! `fdatasync` returned, so no one was answered 200 for it. Anything else is damage.

use super::{decode_header, JournalError, Location, HEADER_LEN};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Bytes read from a segment at a time.
const WINDOW: usize = 1 << 20;

/// What reads the journal's records: the format's check, and where each record goes.
pub(in crate::store::sled_store) trait Reader {
    /// What stops a scan.
    type Error: From<JournalError>;

    /// Whether `payload` is a record of this format. Asked when looking for the next valid
    /// record after damage, before the checksum.
    fn is_record(&self, payload: &[u8]) -> bool;

    /// A segment is about to be read (for progress reports).
    fn segment(&mut self, _start: SegmentStart) {}

    /// A record whose length and checksum check out, in order. `Ok(false)`: it is not a
    /// record of this format after all, and its bytes count as damaged.
    fn record(&mut self, location: Location, payload: Vec<u8>) -> Result<bool, Self::Error>;
}

/// Which segment a scan is about to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::store::sled_store) struct SegmentStart {
    /// The segment number.
    pub(in crate::store::sled_store) segment: u64,
    /// How many segments were read before it.
    pub(in crate::store::sled_store) index: usize,
    /// How many segments the journal has.
    pub(in crate::store::sled_store) of: usize,
    /// Its size in bytes.
    pub(in crate::store::sled_store) bytes: u64,
}

/// Whether damaged bytes are there to move aside or gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::store::sled_store) enum DamageKind {
    /// Bytes on disk that hold no valid record.
    Unreadable,
    /// Bytes the recorded extent says were synced, and the file no longer has.
    Missing,
}

/// A damaged range of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::store::sled_store) struct Damage {
    /// The segment number.
    pub(in crate::store::sled_store) segment: u64,
    /// Where the range starts.
    pub(in crate::store::sled_store) offset: u64,
    /// Its length in bytes.
    pub(in crate::store::sled_store) len: u64,
    /// Unreadable or missing.
    pub(in crate::store::sled_store) kind: DamageKind,
    /// What was wrong where the range starts.
    pub(in crate::store::sled_store) why: &'static str,
}

/// What one segment holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::store::sled_store) struct SegmentReport {
    /// The segment number.
    pub(in crate::store::sled_store) segment: u64,
    /// Whether its file exists (a recorded extent names a segment whose file is gone).
    pub(in crate::store::sled_store) exists: bool,
    /// Its file's size.
    pub(in crate::store::sled_store) bytes: u64,
    /// Its recorded extent, when one was recorded.
    pub(in crate::store::sled_store) extent: Option<u64>,
    /// Damaged ranges, in order.
    pub(in crate::store::sled_store) damage: Vec<Damage>,
    /// Where a torn final append starts (it runs to the end of the file).
    pub(in crate::store::sled_store) torn_tail: Option<u64>,
}

impl SegmentReport {
    /// A segment whose file is gone though an extent was recorded for it.
    pub(super) fn missing(segment: u64, extent: u64) -> Self {
        Self {
            segment,
            exists: false,
            bytes: 0,
            extent: Some(extent),
            damage: vec![Damage {
                segment,
                offset: 0,
                len: extent,
                kind: DamageKind::Missing,
                why: "the segment's file is gone",
            }],
            torn_tail: None,
        }
    }

    /// Where its whole records end: before a torn tail, if any.
    pub(in crate::store::sled_store) fn end(&self) -> u64 {
        self.torn_tail.unwrap_or(self.bytes)
    }
}

/// Reads `file`, the segment `segment`, and reports what it holds; records go to `reader`.
/// `extent` is its recorded extent; `is_last` says whether a torn tail is possible.
pub(super) fn scan_segment<R: Reader>(
    file: &File,
    segment: u64,
    extent: Option<u64>,
    is_last: bool,
    reader: &mut R,
) -> Result<SegmentReport, R::Error> {
    let file_len = file.metadata().map_err(JournalError::from)?.len();
    let mut window = Window {
        file,
        file_len,
        start: 0,
        buf: Vec::new(),
    };
    let mut report = SegmentReport {
        segment,
        exists: true,
        bytes: file_len,
        extent,
        damage: Vec::new(),
        torn_tail: None,
    };
    let mut damaged = |offset: u64, len: u64, kind, why| {
        add_damage(
            &mut report.damage,
            Damage {
                segment,
                offset,
                len,
                kind,
                why,
            },
        );
    };
    let mut offset = 0;
    while offset < file_len {
        let checked = window.check_record(offset).map_err(JournalError::from)?;
        match checked {
            Ok(len) => {
                let payload = window
                    .bytes(offset + HEADER_LEN, len as usize)
                    .map_err(JournalError::from)?
                    .to_vec();
                let location = Location {
                    segment,
                    offset,
                    len,
                };
                let whole = HEADER_LEN + u64::from(len);
                if !reader.record(location, payload)? {
                    let why = "a record that does not decode";
                    damaged(offset, whole, DamageKind::Unreadable, why);
                }
                offset += whole;
            }
            Err(why) => match window
                .next_record(offset + 1, reader)
                .map_err(JournalError::from)?
            {
                Some(next) => {
                    damaged(offset, next - offset, DamageKind::Unreadable, why);
                    offset = next;
                }
                None => {
                    if is_last && extent.map_or(true, |synced| offset >= synced) {
                        report.torn_tail = Some(offset);
                    } else {
                        damaged(offset, file_len - offset, DamageKind::Unreadable, why);
                    }
                    break;
                }
            },
        }
    }
    if let Some(synced) = extent.filter(|&synced| synced > file_len) {
        let why = "the segment is shorter than its recorded extent";
        damaged(file_len, synced - file_len, DamageKind::Missing, why);
    }
    Ok(report)
}

/// Appends `damage`, merged into the previous range when they touch and are alike.
fn add_damage(ranges: &mut Vec<Damage>, damage: Damage) {
    match ranges.last_mut() {
        Some(last) if last.offset + last.len == damage.offset && last.kind == damage.kind => {
            last.len += damage.len;
        }
        _ => ranges.push(damage),
    }
}

/// Reads a segment through a buffer, at any offset.
struct Window<'a> {
    file: &'a File,
    file_len: u64,
    /// The file offset of `buf[0]`.
    start: u64,
    buf: Vec<u8>,
}

impl Window<'_> {
    /// `len` bytes at `offset`; the caller keeps `offset + len` within the file.
    fn bytes(&mut self, offset: u64, len: usize) -> io::Result<&[u8]> {
        let end = offset + len as u64;
        if offset < self.start || end > self.start + self.buf.len() as u64 {
            let want = (self.file_len - offset).min(len.max(WINDOW) as u64);
            self.buf.resize(want as usize, 0);
            self.file.read_exact_at(&mut self.buf, offset)?;
            self.start = offset;
        }
        let at = (offset - self.start) as usize;
        Ok(&self.buf[at..at + len])
    }

    /// The payload length of the record at `offset` if its header and checksum check
    /// out, else what is wrong with it.
    fn check_record(&mut self, offset: u64) -> io::Result<Result<u32, &'static str>> {
        let remaining = self.file_len - offset;
        if remaining < HEADER_LEN {
            return Ok(Err("a partial header"));
        }
        let (len, crc) = decode_header(self.bytes(offset, HEADER_LEN as usize)?);
        if len == 0 {
            return Ok(Err("a zero length"));
        }
        if u64::from(len) > remaining - HEADER_LEN {
            return Ok(Err("a length past the end of the segment"));
        }
        let payload = self.bytes(offset + HEADER_LEN, len as usize)?;
        if crc32fast::hash(payload) != crc {
            return Ok(Err("a checksum mismatch"));
        }
        Ok(Ok(len))
    }

    /// The first offset from `from` on where a valid record of `reader`'s format starts.
    fn next_record<R: Reader>(&mut self, from: u64, reader: &R) -> io::Result<Option<u64>> {
        let mut at = from;
        while at + HEADER_LEN <= self.file_len {
            let (len, crc) = decode_header(self.bytes(at, HEADER_LEN as usize)?);
            if len != 0 && u64::from(len) <= self.file_len - at - HEADER_LEN {
                let payload = self.bytes(at + HEADER_LEN, len as usize)?;
                if reader.is_record(payload) && crc32fast::hash(payload) == crc {
                    return Ok(Some(at));
                }
            }
            at += 1;
        }
        Ok(None)
    }
}
