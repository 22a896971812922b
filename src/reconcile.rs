//! Reconciliation with Lever's Data API: the changes no webhook delivered, found by
//! comparing Lever against each opportunity's last known state ([`crate::opportunity_state`])
//! and stored as events that run like any other.

pub mod diff;
pub mod lease;
pub mod pass;
pub mod poller;
pub mod rate;
pub mod synthesize;

pub use pass::{Pass, PassError, PassReport, Window};
pub use poller::Poller;
