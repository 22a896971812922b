//! The Lever-aware handlers: they read the opportunity through the account's Data API,
//! call a provider, and write what happened back to Lever, each side effect once.
//!
//! - [`background_check`], [`assessment`], [`hris`] and [`scheduling`] are the provider kinds;
//! - [`tagger`] and [`categorize`] tag, move and archive by fixed settings or rules;
//! - [`provider`] reaches the outside service (over HTTP or through a program);
//! - [`write_back`] writes notes, tags, links and stages to Lever once per key;
//! - [`results`] is what the built-ins share when a provider's result comes back;
//! - [`common`] is what they share: dependencies, the request's `candidate` and `posting`
//!   blocks, and how Data API and store failures become outcomes.

pub mod assessment;
pub mod background_check;
pub mod categorize;
pub mod common;
pub mod hris;
pub mod provider;
pub mod results;
pub mod scheduling;
pub mod tagger;
pub mod write_back;

pub use assessment::{AssessmentConfig, AssessmentHandler};
pub use background_check::{BackgroundCheckConfig, BackgroundCheckHandler};
pub use categorize::{CategorizeConfig, CategorizeHandler};
pub use hris::{HrisConfig, HrisHandler};
pub use scheduling::{SchedulingConfig, SchedulingHandler};
pub use tagger::{TaggerConfig, TaggerHandler};

#[cfg(test)]
mod public_api_tests;
