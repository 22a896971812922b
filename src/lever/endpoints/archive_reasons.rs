//! `GET /archive_reasons?type=`: the archive reasons of one kind.

use crate::lever::{ArchiveReason, ArchiveReasonType, LeverClient, LeverError};

impl LeverClient {
    /// The archive reasons of one type (`GET /archive_reasons?type=hired|non-hired`).
    pub async fn archive_reasons_of_type(
        &self,
        kind: &ArchiveReasonType,
    ) -> Result<Vec<ArchiveReason>, LeverError> {
        let query = [("type", kind.as_str().to_owned())];
        self.get_page("/archive_reasons", &query).await
    }
}
