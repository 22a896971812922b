//! Event sequence numbers: sled's id counter, lifted above every number a live event in
//! the journal already holds.
//!
//! sled's counter lives in sled's files. When those are lost (`db` and `snap.*` deleted,
//! the journal kept) or put back from an older copy, the counter starts again below
//! numbers events already have, and a new event would share its number with a kept one:
//! the router, routing marks and job order all go by that number. So at open the counter
//! is read once and, if it is not above the journal's highest number, every number it
//! gives is shifted up by a fixed offset. Numbers stay unique and rising within a run;
//! the next open computes the offset afresh from what the journal then holds.

use crate::store::StoreError;

/// Hands out event sequence numbers above every number in use at open.
pub(super) struct Sequence {
    /// Added to each of sled's ids; zero unless sled's counter was behind the journal.
    offset: u64,
}

impl Sequence {
    /// Starts numbering above `highest_in_use` (the journal's highest live number).
    pub(super) fn start(db: &sled::Db, highest_in_use: Option<u64>) -> Result<Self, StoreError> {
        let first = db.generate_id().map_err(super::backend)?;
        let offset = offset_above(first, highest_in_use);
        if offset > 0 {
            tracing::warn!(
                sled_counter = first,
                highest_in_use,
                offset,
                "sled's id counter is behind the event journal (sled's files lost or older \
                 than the journal); new events are numbered above every kept one"
            );
        }
        Ok(Self { offset })
    }

    /// The next sequence number: above every earlier one and every one in use at open.
    pub(super) fn next(&self, db: &sled::Db) -> Result<u64, StoreError> {
        db.generate_id()
            .map_err(super::backend)?
            .checked_add(self.offset)
            .ok_or_else(|| StoreError::Corrupt("event sequence numbers ran out".to_owned()))
    }
}

/// What to add to sled's ids, whose next is above `first`, so that each is above
/// `highest_in_use`.
fn offset_above(first: u64, highest_in_use: Option<u64>) -> u64 {
    match highest_in_use {
        Some(highest) if highest >= first => highest - first + 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::offset_above;

    #[test]
    fn a_counter_ahead_of_the_journal_is_used_as_it_is() {
        assert_eq!(offset_above(0, None), 0);
        assert_eq!(offset_above(2_000_000, Some(41)), 0);
    }

    #[test]
    fn a_counter_behind_the_journal_is_lifted_above_its_highest_number() {
        assert_eq!(offset_above(0, Some(0)), 1);
        assert_eq!(offset_above(0, Some(41)), 42);
        assert_eq!(offset_above(7, Some(41)), 35);
        // The next id sled gives is above `first`, so it lands above 41.
        assert!(8 + offset_above(7, Some(41)) > 41);
    }
}
