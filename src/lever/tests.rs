//! The client against a local mock of Lever's Data API and token endpoint.

pub(crate) mod mock;

mod counted;
mod endpoints;
mod oauth;
mod rate_limit;
mod retries;
mod secrets;
