//! The Lever Data API client's vocabulary: tolerant models of what Lever returns and the
//! errors a call can end with.
//!
//! - [`models`] decodes Lever's JSON, accepting the shapes the docs disagree on (§4.9);
//! - [`error`] is [`LeverError`], whose [`LeverError::is_retryable`] feeds handler outcomes.

pub mod error;
pub mod models;

pub use error::LeverError;
pub use models::*;
