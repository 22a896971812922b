//! Reconciliation with Lever's Data API: the last known state of every opportunity, and
//! (from it) the changes no webhook delivered, found by polling and run like any event.

pub mod diff;
pub mod lease;
pub mod pass;
pub mod poller;
pub mod rate;
pub mod state;
pub mod synthesize;

pub use pass::{Pass, PassError, PassReport, Window};
pub use poller::Poller;
pub use state::OpportunityState;
