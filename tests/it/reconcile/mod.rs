//! Reconciliation with Lever's Data API, end to end.

// The router's side: the last known state, late webhooks, what the admin API shows.
mod state;
