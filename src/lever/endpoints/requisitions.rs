//! `GET /requisitions` and its typed filter.

use super::confidentiality::Confidentiality;
use crate::lever::{LeverClient, LeverError, Requisition};

/// Which requisitions [`LeverClient::requisitions`] lists; `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequisitionFilter {
    /// `requisition_code`: the customer's code, exact.
    pub requisition_code: Option<String>,
    /// `status`: `open`, `onHold`, `closed` or `draft`.
    pub status: Option<String>,
    /// `created_at_start`: created at or after, ms since the epoch.
    pub created_since: Option<i64>,
    /// `created_at_end`: created before, ms since the epoch.
    pub created_before: Option<i64>,
    /// `confidentiality`; `None` leaves Lever's default (non-confidential only).
    pub confidentiality: Option<Confidentiality>,
}

impl RequisitionFilter {
    /// The query string pairs.
    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if let Some(code) = &self.requisition_code {
            query.push(("requisition_code", code.clone()));
        }
        if let Some(status) = &self.status {
            query.push(("status", status.clone()));
        }
        if let Some(at) = self.created_since {
            query.push(("created_at_start", at.to_string()));
        }
        if let Some(at) = self.created_before {
            query.push(("created_at_end", at.to_string()));
        }
        if let Some(c) = self.confidentiality {
            query.push(("confidentiality", c.as_str().to_owned()));
        }
        query
    }
}

impl LeverClient {
    /// Every requisition `filter` lets through (`GET /requisitions`, all pages).
    pub async fn requisitions(
        &self,
        filter: &RequisitionFilter,
    ) -> Result<Vec<Requisition>, LeverError> {
        self.get_page("/requisitions", &filter.query()).await
    }
}
