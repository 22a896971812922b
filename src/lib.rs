//! lever-hooks: receive Lever webhooks, prove they came from Lever, keep them safe, act on them.
//!
//! # Layout
//!
//! The pipeline, one module per step:
//!
//! - [`envelope`] parses a delivery's body without losing the signed bytes;
//! - [`signature`] checks Lever's HMAC (pure); [`standard_webhooks`] signs and checks the
//!   Standard Webhooks headers of what handlers send and providers send back;
//! - [`intake`] decides what a delivery is (accept, test, reject) before anything is stored;
//! - [`store`] keeps events and jobs durably ([`store::SledStore`] by default,
//!   [`store::PostgresStore`] for several instances), deduplicated;
//! - [`event`] decodes `data` into typed [`LeverEvent`]s;
//! - [`route`] matches events to handlers from `[[routes]]` (pure), with stage names and
//!   archive reason types from [`route::lookup`], and its task turns stored events into jobs;
//! - [`dispatch`] runs jobs: per-opportunity order, retries with [`backoff`], dead letters;
//! - [`attempt`] runs one handler attempt behind a panic guard, on the [`document`] every
//!   handler is given (the same JSON on stdin, in a POST body and to Rust plugins);
//! - [`handler`] is the plugin API, the built-in `command` and `http` handlers, and the
//!   Lever-aware `background-check`, `assessment` and `hris` handlers;
//! - [`lever`] is the Data API client; [`lever_accounts`] holds one per account;
//! - [`server`] is the HTTP edge (over HTTPS with [`tls`]) and [`app`] wires everything and
//!   handles shutdown;
//! - [`metrics`] names what is measured; [`alerts`] reports dead letters and bursts of
//!   refused deliveries through a handler; [`retention`] deletes old finished events;
//!   [`log_safe`] escapes sender-chosen text in log fields;
//! - [`opportunity_state`] keeps each opportunity's last known state, which routing moves
//!   and which covers late webhooks; [`reconcile`] finds, through the Data API, the changes
//!   no webhook delivered;
//! - [`purge`] cuts an event down to a tombstone when its opportunity is deleted;
//!   [`registered_tokens`] keeps the signing tokens `webhooks register` got from Lever;
//!   [`record_key`] names every record kept beside the events, one namespace per owner,
//!   and [`records_upgrade`] moves the handlers' records from before they had their own;
//! - [`admin`] is the operator's listener: probes, `/metrics`, the REST API and the dashboard;
//!   [`telemetry`] sets up logging; [`sample`] builds realistic signed deliveries for `send`
//!   and `bench`;
//! - [`config`] reads the TOML file and assembles each component's own settings (routes,
//!   dispatch, retry, alerts live next to their components); [`duration`] reads durations
//!   like `"30s"` in them; [`cli`] is the command line;
//! - [`error`] holds the error vocabulary every layer shares ([`error::BoxError`],
//!   [`error::error_chain`]);
//! - [`fake_lever`] is a fake Lever (Data API and webhooks out) for local work and tests.
//!
//! A user's own binary can add Rust handlers and keep the whole CLI:
//!
//! ```no_run
//! use lever_hooks::handler::{async_trait, BoxError, Handler, HandlerContext, HandlerRegistry, Outcome};
//! use lever_hooks::EventDocument;
//!
//! struct Audit;
//!
//! #[async_trait]
//! impl Handler for Audit {
//!     async fn handle(&self, doc: &EventDocument, _: &HandlerContext) -> Result<Outcome, BoxError> {
//!         println!("{} {}", doc.event, doc.id);
//!         Ok(Outcome::Done)
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     lever_hooks::cli::main_with(HandlerRegistry::new().register("audit", Audit))
//! }
//! ```

#![warn(missing_docs)]
#![forbid(unsafe_code)]

// No two top-level modules import each other: `module_graph_tests` fails on a new cycle.

pub mod admin;
pub mod alerts;
pub mod app;
pub mod attempt;
pub mod backoff;
#[cfg(test)]
mod captured_logs;
pub mod cli;
pub mod config;
pub mod dispatch;
pub mod document;
pub mod duration;
pub mod envelope;
pub mod error;
pub mod event;
pub mod fake_lever;
pub mod handler;
pub mod intake;
pub mod lever;
pub mod lever_accounts;
pub mod log_safe;
pub mod metrics;
#[cfg(test)]
mod module_graph_tests;
pub mod opportunity_state;
pub mod provider_intake;
pub mod purge;
pub mod reconcile;
pub mod record_key;
pub mod records_upgrade;
pub mod registered_tokens;
pub mod retention;
pub mod route;
pub mod sample;
pub mod server;
pub mod signature;
pub mod standard_webhooks;
pub mod store;
pub mod telemetry;
pub mod tls;

pub use app::App;
pub use config::Config;
pub use document::EventDocument;
pub use event::LeverEvent;
pub use handler::{Handler, HandlerRegistry, Outcome};
/// Kept at the root for code written against `lever_hooks::lookup`; it lives in [`route`].
pub use route::lookup;
pub use store::Store;

/// The plugin guide, `docs/plugins.md`: its Rust examples compile as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../docs/plugins.md")]
pub struct PluginGuide;
