//! The integration tests, as one test binary: one module per subject, sharing
//! [`helpers`] (an app on port 0), [`spawned`] (the real binary) and [`contract`] (the
//! `Store` contract and the test database).
//!
//! Only tests that must run in a process of their own stay outside, each saying why:
//! `tests/metrics.rs`, `tests/log_secrets.rs`, `tests/slow_clients.rs`, `tests/admin/`
//! and `tests/connections/`.

mod contract;
mod helpers;
mod spawned;

mod admin_cli;
mod alerts;
mod api;
mod crash;
mod dashboard;
mod data_api;
mod fake_lever;
mod handlers;
mod hostile;
mod lever_flows;
mod log_lines;
mod migrate;
mod multi_instance;
mod postgres_outage;
mod properties;
mod provider_results;
mod reconcile;
mod restart;
mod retention;
mod routing_meanings;
mod store_cli;
mod store_contract;
mod store_faults;
mod tls;
