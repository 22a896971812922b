//! Reads of the forms filled in on an opportunity: interview feedback and profile forms.

use super::id_path;
use super::interviews::child_path;
use crate::lever::{Feedback, LeverClient, LeverError};

impl LeverClient {
    /// Every feedback form of an opportunity (`GET /opportunities/:id/feedback`, all pages).
    pub async fn feedback(&self, opportunity: &str) -> Result<Vec<Feedback>, LeverError> {
        let path = id_path("/opportunities", opportunity, "/feedback")?;
        self.get_page(&path, &[]).await
    }

    /// One feedback form (`GET /opportunities/:id/feedback/:feedback`).
    pub async fn feedback_form(
        &self,
        opportunity: &str,
        feedback: &str,
    ) -> Result<Feedback, LeverError> {
        let path = child_path(opportunity, "/feedback", feedback)?;
        self.get_one(&path, &[]).await
    }

    /// Every profile form of an opportunity (`GET /opportunities/:id/forms`, all pages).
    pub async fn forms(&self, opportunity: &str) -> Result<Vec<Feedback>, LeverError> {
        let path = id_path("/opportunities", opportunity, "/forms")?;
        self.get_page(&path, &[]).await
    }

    /// One profile form (`GET /opportunities/:id/forms/:form`).
    pub async fn form(&self, opportunity: &str, form: &str) -> Result<Feedback, LeverError> {
        let path = child_path(opportunity, "/forms", form)?;
        self.get_one(&path, &[]).await
    }
}
