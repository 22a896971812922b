//! What routes and rules match on, read through the Data API: the opportunity as it is
//! now, its posting, its application's answers, and its archive reason's name.

use super::{LeverClient, LeverError, Opportunity, Posting};
use crate::lever::Directory;
use std::collections::BTreeMap;

/// An opportunity and what belongs to it, as conditions see them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpportunityFacts {
    /// The opportunity as the Data API shows it now (applications expanded).
    pub opportunity: Opportunity,
    /// The posting it applied to, when it has one and the credential may read it.
    pub posting: Option<Posting>,
    /// The application's custom questions: question text → the answers given.
    pub answers: BTreeMap<String, Vec<String>>,
    /// The name of the reason it is archived with, when archived.
    pub archive_reason: Option<String>,
}

impl OpportunityFacts {
    /// Reads opportunity `id` and what belongs to it through `client` (postings and
    /// archive reason names from `directory`'s caches). A posting that is gone or hidden
    /// is left out.
    pub async fn read(
        client: &LeverClient,
        directory: &Directory,
        id: &str,
    ) -> Result<Self, LeverError> {
        let opportunity = client.opportunity(id).await?;
        let posting = match opportunity
            .applications
            .iter()
            .find_map(|a| a.posting.as_deref())
        {
            None => None,
            Some(posting) => match directory.posting(posting).await {
                Ok(posting) => Some(posting),
                Err(LeverError::NotFound { .. } | LeverError::Forbidden { .. }) => None,
                Err(e) => return Err(e),
            },
        };
        let archive_reason = match opportunity
            .archived
            .as_ref()
            .and_then(|a| a.reason.as_deref())
        {
            None => None,
            Some(reason) => directory.archive_reason(reason).await?.and_then(|r| r.text),
        };
        Ok(Self::from_parts(opportunity, posting, archive_reason))
    }

    /// The facts from what was read (pure): the answers are gathered from every form of
    /// every application.
    pub fn from_parts(
        opportunity: Opportunity,
        posting: Option<Posting>,
        archive_reason: Option<String>,
    ) -> Self {
        let mut answers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for field in opportunity
            .applications
            .iter()
            .flat_map(|a| &a.custom_questions)
            .flat_map(|form| &form.fields)
        {
            answers
                .entry(field.text.clone())
                .or_default()
                .extend(field.answers());
        }
        Self {
            opportunity,
            posting,
            answers,
            archive_reason,
        }
    }
}
