//! Reconciliation end to end against the fake Lever.

mod poller;
