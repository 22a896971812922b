//! The Lever Data API client: authentication (API key or OAuth with rotating refresh
//! tokens), the per-key rate limit, retries, pagination, and tolerant models.
//!
//! # Layout
//!
//! - [`client`] holds [`LeverClient`] and its settings; `transport` is the one place a
//!   request is built and sent (rate-limit wait → auth header → request → classify → retry);
//!   `endpoints` is the typed call per Lever endpoint;
//! - [`auth`] turns [`Credentials`] into an `Authorization` header and keeps OAuth tokens fresh;
//! - [`models`] decodes Lever's JSON, accepting the shapes the docs disagree on (§4.9);
//! - [`directory`] caches an account's stages and archive reasons;
//! - [`error`] is [`LeverError`], whose [`LeverError::is_retryable`] feeds handler outcomes.
//!
//! ```no_run
//! use lever_hooks::lever::{ClientConfig, Credentials, LeverClient, MemoryRefreshTokenStore};
//! use std::sync::Arc;
//!
//! # async fn run() -> Result<(), lever_hooks::lever::LeverError> {
//! let config = ClientConfig::new(Credentials::ApiKey("key".to_owned().into()));
//! let client = LeverClient::new("acme", config, Arc::new(MemoryRefreshTokenStore::default()))?;
//! let opportunity = client.opportunity("250d8f03-738a-4bba-a671-8a3d73477145").await?;
//! println!("{:?} is archived: {}", opportunity.name, opportunity.archived.is_some());
//! # Ok(())
//! # }
//! ```

pub mod auth;
pub mod client;
pub mod directory;
mod endpoints;
pub mod error;
pub mod filter;
pub mod models;
pub mod multipart;
pub mod opportunity_facts;
mod rate;
mod transport;

#[cfg(test)]
mod tests;

pub use auth::{MemoryRefreshTokenStore, RefreshTokenStore};
pub use client::{ClientConfig, Credentials, LeverClient, OAuthConfig, RateLimit};
pub use directory::Directory;
pub use endpoints::Archive;
pub use endpoints::{
    Confidentiality, DistributionChannel, PostingExpand, PostingFilter, PostingState,
    RequisitionFilter, UserFilter,
};
pub use error::LeverError;
pub use filter::{Expand, OpportunityFilter, TimeRange};
pub use models::*;
pub use multipart::FilePart;
pub use opportunity_facts::OpportunityFacts;
