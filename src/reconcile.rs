//! Reconciliation with Lever's Data API: the last known state of every opportunity, and
//! (from it) the changes no webhook delivered, found by polling and run like any event.

pub mod late;
pub mod state;

pub use state::OpportunityState;
