//! Reads of an opportunity's interview schedule: interviews and panels.

use super::id_path;
use crate::lever::{Interview, LeverClient, LeverError, Panel};

impl LeverClient {
    /// Every interview of an opportunity (`GET /opportunities/:id/interviews`, all pages).
    pub async fn interviews(&self, opportunity: &str) -> Result<Vec<Interview>, LeverError> {
        let path = id_path("/opportunities", opportunity, "/interviews")?;
        self.get_page(&path, &[]).await
    }

    /// One interview (`GET /opportunities/:id/interviews/:interview`).
    pub async fn interview(
        &self,
        opportunity: &str,
        interview: &str,
    ) -> Result<Interview, LeverError> {
        let path = child_path(opportunity, "/interviews", interview)?;
        self.get_one(&path, &[]).await
    }

    /// Every interview panel of an opportunity (`GET /opportunities/:id/panels`, all pages).
    pub async fn panels(&self, opportunity: &str) -> Result<Vec<Panel>, LeverError> {
        let path = id_path("/opportunities", opportunity, "/panels")?;
        self.get_page(&path, &[]).await
    }

    /// One panel (`GET /opportunities/:id/panels/:panel`).
    pub async fn panel(&self, opportunity: &str, panel: &str) -> Result<Panel, LeverError> {
        let path = child_path(opportunity, "/panels", panel)?;
        self.get_one(&path, &[]).await
    }
}

/// `/opportunities/{opportunity}{kind}/{id}`, both ids encoded as one segment each.
pub(super) fn child_path(opportunity: &str, kind: &str, id: &str) -> Result<String, LeverError> {
    let parent = id_path("/opportunities", opportunity, kind)?;
    id_path(&parent, id, "")
}
