//! The byte budget shared by every request body being received, so that many unfinished
//! bodies cannot hold more memory than `[server] max_pending_body_bytes` between them.
//!
//! A body's bytes are reserved before they are kept: its whole `Content-Length` up
//! front, or each chunk of a chunked body as it arrives. A [`Reservation`] gives its
//! bytes back when it is dropped, so the budget is released on every path (answered,
//! refused, timed out, or the client gone).

use crate::metrics::PENDING_BODY_BYTES;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes that request bodies may hold at once, across all HTTP workers.
#[derive(Debug)]
pub struct BodyBudget {
    limit: usize,
    reserved: AtomicUsize,
}

/// The budget cannot cover the bytes asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the bytes of bodies being received are at their limit")]
pub struct OverBudget;

impl BodyBudget {
    /// A budget of `limit` bytes, none reserved.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            reserved: AtomicUsize::new(0),
        }
    }

    /// The bytes reserved now.
    pub fn reserved(&self) -> usize {
        self.reserved.load(Ordering::Acquire)
    }

    /// Reserves `bytes`, or nothing when that would go over the limit.
    pub fn reserve(&self, bytes: usize) -> Result<Reservation<'_>, OverBudget> {
        let mut reservation = Reservation {
            budget: self,
            bytes: 0,
        };
        reservation.grow_to(bytes)?;
        Ok(reservation)
    }

    fn take(&self, bytes: usize) -> Result<(), OverBudget> {
        self.reserved
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |reserved| {
                reserved
                    .checked_add(bytes)
                    .filter(|&total| total <= self.limit)
            })
            .map_err(|_| OverBudget)?;
        metrics::gauge!(PENDING_BODY_BYTES).increment(bytes as f64);
        Ok(())
    }

    fn give_back(&self, bytes: usize) {
        self.reserved.fetch_sub(bytes, Ordering::AcqRel);
        metrics::gauge!(PENDING_BODY_BYTES).decrement(bytes as f64);
    }
}

/// Bytes held from a [`BodyBudget`] for one body, given back when dropped.
#[derive(Debug)]
pub struct Reservation<'a> {
    budget: &'a BodyBudget,
    bytes: usize,
}

impl Reservation<'_> {
    /// The bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Holds at least `bytes` in all, reserving the difference; on [`OverBudget`] the
    /// bytes already held stay held.
    pub fn grow_to(&mut self, bytes: usize) -> Result<(), OverBudget> {
        if bytes > self.bytes {
            self.budget.take(bytes - self.bytes)?;
            self.bytes = bytes;
        }
        Ok(())
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if self.bytes > 0 {
            self.budget.give_back(self.bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_up_to_the_limit_are_granted_and_one_byte_more_is_not() {
        let budget = BodyBudget::new(100);
        let first = budget.reserve(60).unwrap();
        let second = budget.reserve(40).unwrap();
        assert_eq!(budget.reserve(1).unwrap_err(), OverBudget);
        assert_eq!(
            (first.bytes(), second.bytes(), budget.reserved()),
            (60, 40, 100)
        );
    }

    #[test]
    fn a_dropped_reservation_gives_its_bytes_back() {
        let budget = BodyBudget::new(100);
        let held = budget.reserve(100).unwrap();
        assert!(budget.reserve(1).is_err());
        drop(held);
        assert_eq!(budget.reserved(), 0);
        assert_eq!(budget.reserve(100).unwrap().bytes(), 100);
    }

    #[test]
    fn growing_reserves_only_the_difference_and_a_refusal_keeps_what_was_held() {
        let budget = BodyBudget::new(100);
        let mut growing = budget.reserve(10).unwrap();
        growing.grow_to(30).unwrap();
        growing.grow_to(20).unwrap();
        assert_eq!((growing.bytes(), budget.reserved()), (30, 30));
        let _other = budget.reserve(60).unwrap();
        assert_eq!(growing.grow_to(41), Err(OverBudget));
        assert_eq!((growing.bytes(), budget.reserved()), (30, 90));
        drop(growing);
        assert_eq!(budget.reserved(), 60);
    }

    #[test]
    fn a_reservation_larger_than_any_budget_is_refused_not_wrapped() {
        let budget = BodyBudget::new(usize::MAX);
        let _held = budget.reserve(usize::MAX).unwrap();
        assert_eq!(budget.reserve(1).unwrap_err(), OverBudget);
    }
}
