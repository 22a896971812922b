//! `GET /postings` and its typed filter.

use super::confidentiality::Confidentiality;
use crate::lever::{LeverClient, LeverError, Posting};

/// A posting's `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostingState {
    /// `published`: on the public job site.
    Published,
    /// `internal`: visible to employees only.
    Internal,
    /// `closed`.
    Closed,
    /// `draft`.
    Draft,
    /// `pending`: awaiting approval.
    Pending,
    /// `rejected`: approval denied.
    Rejected,
}

impl PostingState {
    /// Lever's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Internal => "internal",
            Self::Closed => "closed",
            Self::Draft => "draft",
            Self::Pending => "pending",
            Self::Rejected => "rejected",
        }
    }
}

/// Where a posting is listed (`distributionChannel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistributionChannel {
    /// `public`: the external job site.
    Public,
    /// `internal`: the internal job site.
    Internal,
}

impl DistributionChannel {
    /// Lever's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Internal => "internal",
        }
    }
}

/// A posting's user reference that `expand` inlines (into [`Posting::expanded`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostingExpand {
    /// `hiringManager`.
    HiringManager,
    /// `owner`.
    Owner,
    /// `user` (the creator).
    User,
}

impl PostingExpand {
    /// Lever's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HiringManager => "hiringManager",
            Self::Owner => "owner",
            Self::User => "user",
        }
    }
}

/// Which postings [`LeverClient::postings`] lists. Each field left empty (or `None`)
/// does not filter; the values of one list field are alternatives (any matches), and
/// different fields must all match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostingFilter {
    /// `state`.
    pub states: Vec<PostingState>,
    /// `team` (categories.team, exact).
    pub teams: Vec<String>,
    /// `department` (categories.department, exact).
    pub departments: Vec<String>,
    /// `location` (any of the posting's locations, exact).
    pub locations: Vec<String>,
    /// `commitment` (categories.commitment, exact).
    pub commitments: Vec<String>,
    /// `tag` (exact).
    pub tags: Vec<String>,
    /// `updated_at_start`: updated at or after, ms since the epoch.
    pub updated_since: Option<i64>,
    /// `updated_at_end`: updated before, ms since the epoch.
    pub updated_before: Option<i64>,
    /// `confidentiality`; `None` leaves Lever's default (non-confidential only).
    pub confidentiality: Option<Confidentiality>,
    /// `distributionChannel`.
    pub distribution_channel: Option<DistributionChannel>,
    /// `expand`: user references to inline.
    pub expand: Vec<PostingExpand>,
    /// `limit`: postings per page (1–100); `None` asks for 100. Every page is read either way.
    pub page_size: Option<u8>,
}

impl PostingFilter {
    /// The query string pairs, in a stable order.
    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        query.extend(self.states.iter().map(|s| ("state", s.as_str().to_owned())));
        for (key, values) in [
            ("team", &self.teams),
            ("department", &self.departments),
            ("location", &self.locations),
            ("commitment", &self.commitments),
            ("tag", &self.tags),
        ] {
            query.extend(values.iter().map(|v| (key, v.clone())));
        }
        if let Some(at) = self.updated_since {
            query.push(("updated_at_start", at.to_string()));
        }
        if let Some(at) = self.updated_before {
            query.push(("updated_at_end", at.to_string()));
        }
        if let Some(c) = self.confidentiality {
            query.push(("confidentiality", c.as_str().to_owned()));
        }
        if let Some(channel) = self.distribution_channel {
            query.push(("distributionChannel", channel.as_str().to_owned()));
        }
        query.extend(
            self.expand
                .iter()
                .map(|e| ("expand", e.as_str().to_owned())),
        );
        if let Some(size) = self.page_size {
            query.push(("limit", size.to_string()));
        }
        query
    }
}

impl LeverClient {
    /// Every posting `filter` lets through (`GET /postings`, all pages).
    pub async fn postings(&self, filter: &PostingFilter) -> Result<Vec<Posting>, LeverError> {
        self.get_page("/postings", &filter.query()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_filter_sends_nothing_and_each_field_its_own_parameter() {
        assert!(PostingFilter::default().query().is_empty());
        let filter = PostingFilter {
            states: vec![PostingState::Published, PostingState::Internal],
            teams: vec!["Platform".into()],
            tags: vec!["Backend".into()],
            updated_since: Some(10),
            updated_before: Some(20),
            confidentiality: Some(Confidentiality::All),
            distribution_channel: Some(DistributionChannel::Internal),
            expand: vec![PostingExpand::HiringManager],
            page_size: Some(2),
            ..PostingFilter::default()
        };
        let expected: Vec<(&str, String)> = [
            ("state", "published"),
            ("state", "internal"),
            ("team", "Platform"),
            ("tag", "Backend"),
            ("updated_at_start", "10"),
            ("updated_at_end", "20"),
            ("confidentiality", "all"),
            ("distributionChannel", "internal"),
            ("expand", "hiringManager"),
            ("limit", "2"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect();
        assert_eq!(filter.query(), expected);
    }
}
