//! Changes to records and segments already written: blanking a record in place, syncing
//! an older segment, and deleting a retired one.

use super::segment_files::{decode_header, encode_record, segment_path, sync_dir};
use super::{not_in_journal, past_end, Journal, JournalError, Location, HEADER_LEN};
use std::fs;
use std::os::unix::fs::FileExt;

impl Journal {
    /// Rewrites the record at `location` in place with `payload` padded with spaces to
    /// `location.len`, with its checksum; the length stays. Not durable until `sync_segment`.
    pub(in crate::store::sled_store) fn overwrite(
        &self,
        location: Location,
        payload: &[u8],
    ) -> Result<(), JournalError> {
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
    pub(in crate::store::sled_store) fn sync_segment(
        &self,
        segment: u64,
    ) -> Result<(), JournalError> {
        self.file(segment)?.sync_data()?;
        Ok(())
    }

    /// Deletes a segment's file and fsyncs the directory. Refuses the active segment, and
    /// a damaged one (its damage is for `store repair` to move aside).
    pub(in crate::store::sled_store) fn remove_segment(
        &self,
        segment: u64,
    ) -> Result<(), JournalError> {
        if self.is_damaged(segment) {
            return Err(JournalError::Corrupt(format!(
                "segment {segment} is damaged and is kept for repair"
            )));
        }
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
        // Vacated first (and durably), so a retired segment is never reported missing.
        let forgotten = self
            .extents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .forget(segment);
        if let Err(error) =
            forgotten.and_then(|()| fs::remove_file(segment_path(&self.dir, segment)))
        {
            self.lock_files_mut().insert(segment, file);
            return Err(error.into());
        }
        sync_dir(&self.dir)?;
        Ok(())
    }
}
