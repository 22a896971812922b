//! What routing asks an account's Data API: the names of stages and the types of archive
//! reasons, which Lever's payloads carry only as ids, and the opportunity as it is now for
//! routes with conditions.

use super::ArchiveReasonType;
use crate::lever::OpportunityFacts;
use async_trait::async_trait;

/// A lookup could not be answered now (the Data API is unreachable, say); routing of the
/// event waits and tries again.
#[derive(Debug, thiserror::Error)]
#[error("looking up {what} for account `{account}`: {message}")]
pub struct LookupError {
    /// The account asked about.
    pub account: String,
    /// What was looked up, like `stage 7c26…`.
    pub what: String,
    /// Why it failed.
    pub message: String,
}

/// Answers routing's questions about an account's ids.
///
/// `Ok(None)` means "not known": the account has no Data API configured, or Lever does not
/// know the id. Routing then matches stage filters by id only and never takes an archive
/// for a hire.
#[async_trait]
pub trait Lookup: Send + Sync + 'static {
    /// The name of stage `stage` in `account`.
    async fn stage_name(&self, account: &str, stage: &str) -> Result<Option<String>, LookupError>;

    /// The type of archive reason `reason` in `account`.
    async fn reason_type(
        &self,
        account: &str,
        reason: &str,
    ) -> Result<Option<ArchiveReasonType>, LookupError>;

    /// Opportunity `opportunity` of `account` and what belongs to it (posting, answers,
    /// archive reason name); `None` when the account has no Data API or the opportunity
    /// is gone. By default nothing is known, so routes with conditions never match.
    async fn opportunity_facts(
        &self,
        account: &str,
        opportunity: &str,
    ) -> Result<Option<OpportunityFacts>, LookupError> {
        let _ = (account, opportunity);
        Ok(None)
    }
}

/// A lookup that knows nothing (no account has a Data API configured).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLookup;

#[async_trait]
impl Lookup for NoLookup {
    async fn stage_name(&self, _: &str, _: &str) -> Result<Option<String>, LookupError> {
        Ok(None)
    }

    async fn reason_type(
        &self,
        _: &str,
        _: &str,
    ) -> Result<Option<ArchiveReasonType>, LookupError> {
        Ok(None)
    }
}
