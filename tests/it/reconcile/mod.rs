//! Reconciliation with Lever's Data API, end to end against the fake Lever.

// The poller's side: passes, the lease, the rate share, the running app, the command.
mod poller;
// The router's side: the last known state, late webhooks, what the admin API shows.
mod state;
