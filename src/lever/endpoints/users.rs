//! `GET /users` and its typed filter.

use crate::lever::{LeverClient, LeverError, User};

/// Which users [`LeverClient::users`] lists; `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// `email`: the user with this address.
    pub email: Option<String>,
    /// `accessRole`: `super admin`, `admin`, `team member`, `limited team member` or
    /// `interviewer`.
    pub access_role: Option<String>,
    /// `includeDeactivated=true`: deactivated users too (Lever leaves them out otherwise).
    pub include_deactivated: bool,
    /// `external_directory_id`: the user with this id in the customer's directory.
    pub external_directory_id: Option<String>,
}

impl UserFilter {
    /// The query string pairs.
    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if let Some(email) = &self.email {
            query.push(("email", email.clone()));
        }
        if let Some(role) = &self.access_role {
            query.push(("accessRole", role.clone()));
        }
        if self.include_deactivated {
            query.push(("includeDeactivated", "true".to_owned()));
        }
        if let Some(id) = &self.external_directory_id {
            query.push(("external_directory_id", id.clone()));
        }
        query
    }
}

impl LeverClient {
    /// Every user `filter` lets through (`GET /users`, all pages).
    pub async fn users(&self, filter: &UserFilter) -> Result<Vec<User>, LeverError> {
        self.get_page("/users", &filter.query()).await
    }
}
