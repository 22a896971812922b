//! One method per Data API endpoint the handlers use, plus the generic all-pages list.
//! Newer endpoints live in the submodules, one resource each (opportunity lists and writes
//! included).

mod archive_reasons;
mod confidentiality;
mod feedback;
mod interviews;
mod opportunities;
mod opportunity_writes;
mod postings;
mod requisitions;
mod users;

pub use confidentiality::Confidentiality;
pub use opportunity_writes::Archive;
pub use postings::{DistributionChannel, PostingExpand, PostingFilter, PostingState};
pub use requisitions::RequisitionFilter;
pub use users::UserFilter;

use super::models::{Envelope, Page};
use super::transport::{decode, Call};
use super::{
    ArchiveReason, Contact, CreatedWebhook, Expand, LeverClient, LeverError, Note, Offer,
    Opportunity, OpportunityFilter, Posting, Requisition, Stage, User, Webhook,
};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashSet;

/// Items asked for per page (Lever's maximum).
const PAGE_LIMIT: &str = "100";

impl LeverClient {
    /// `GET /opportunities/:id` with the application and stage expanded.
    pub async fn opportunity(&self, id: &str) -> Result<Opportunity, LeverError> {
        let query = [
            ("expand", "applications".into()),
            ("expand", "stage".into()),
        ];
        self.get_one(&id_path("/opportunities", id, "")?, &query)
            .await
    }

    /// Every opportunity of one person (`GET /opportunities?contact_id=`), confidential
    /// ones included when the credential may see them, applications expanded.
    pub async fn opportunities_of_contact(
        &self,
        contact: &str,
    ) -> Result<Vec<Opportunity>, LeverError> {
        let filter = OpportunityFilter {
            expand: vec![Expand::Applications],
            ..OpportunityFilter::of_contact(contact)
        };
        self.opportunities(&filter).await
    }

    /// `GET /contacts/:id`.
    pub async fn contact(&self, id: &str) -> Result<Contact, LeverError> {
        self.get_one(&id_path("/contacts", id, "")?, &[]).await
    }

    /// Every stage of the account's pipeline.
    pub async fn stages(&self) -> Result<Vec<Stage>, LeverError> {
        self.get_page("/stages", &[]).await
    }

    /// Every archive reason, active and inactive, hired and not.
    pub async fn archive_reasons(&self) -> Result<Vec<ArchiveReason>, LeverError> {
        self.get_page("/archive_reasons", &[]).await
    }

    /// `GET /postings/:id`.
    pub async fn posting(&self, id: &str) -> Result<Posting, LeverError> {
        self.get_one(&id_path("/postings", id, "")?, &[]).await
    }

    /// Every offer on an opportunity.
    pub async fn offers(&self, opportunity: &str) -> Result<Vec<Offer>, LeverError> {
        let path = id_path("/opportunities", opportunity, "/offers")?;
        self.get_page(&path, &[]).await
    }

    /// `GET /users/:id`.
    pub async fn user(&self, id: &str) -> Result<User, LeverError> {
        self.get_one(&id_path("/users", id, "")?, &[]).await
    }

    /// `GET /requisitions/:id`.
    pub async fn requisition(&self, id: &str) -> Result<Requisition, LeverError> {
        self.get_one(&id_path("/requisitions", id, "")?, &[]).await
    }

    /// Every note on an opportunity.
    pub async fn notes(&self, opportunity: &str) -> Result<Vec<Note>, LeverError> {
        let path = id_path("/opportunities", opportunity, "/notes")?;
        self.get_page(&path, &[]).await
    }

    /// Adds a note (`POST /opportunities/:id/notes`) and returns its `noteId`.
    ///
    /// Lever has no idempotency keys, so this is retried only when Lever cannot have
    /// created the note (429, 503, a refused connection); after a timeout or a 500 the
    /// error is returned and the caller should check [`LeverClient::notes`] before trying
    /// again.
    pub async fn add_note(
        &self,
        opportunity: &str,
        text: &str,
        perform_as: Option<&str>,
    ) -> Result<String, LeverError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Created {
            note_id: String,
        }
        let path = id_path("/opportunities", opportunity, "/notes")?;
        let query = perform_as_query(perform_as);
        let body = json!({ "value": text });
        let created: Envelope<Created> = self
            .write(Method::POST, &path, &query, Some(&body), false)
            .await?;
        Ok(created.data.note_id)
    }

    /// Adds tags to an opportunity; tags Lever does not know are created.
    pub async fn add_tags(
        &self,
        opportunity: &str,
        tags: &[String],
        perform_as: Option<&str>,
    ) -> Result<(), LeverError> {
        self.edit_list(opportunity, "addTags", "tags", tags, perform_as)
            .await
    }

    /// Removes tags from an opportunity.
    pub async fn remove_tags(
        &self,
        opportunity: &str,
        tags: &[String],
        perform_as: Option<&str>,
    ) -> Result<(), LeverError> {
        self.edit_list(opportunity, "removeTags", "tags", tags, perform_as)
            .await
    }

    /// Every webhook subscription created through the API.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>, LeverError> {
        self.get_page("/webhooks", &[]).await
    }

    /// Subscribes `url` to `event` (`POST /webhooks`). The answer carries the webhook's
    /// signing token, which Lever may not show again: store it. Not retried once Lever
    /// may have created it (see [`LeverClient::add_note`]).
    pub async fn create_webhook(
        &self,
        url: &str,
        event: &str,
    ) -> Result<CreatedWebhook, LeverError> {
        let body = json!({ "url": url, "event": event });
        let created: Envelope<Value> = self
            .write(Method::POST, "/webhooks", &[], Some(&body), false)
            .await?;
        CreatedWebhook::from_data(created.data)
            .map_err(|e| LeverError::BadResponse(format!("/webhooks: {e}")))
    }

    /// Deletes a webhook subscription (`DELETE /webhooks/:id`, 204).
    pub async fn delete_webhook(&self, id: &str) -> Result<(), LeverError> {
        let path = id_path("/webhooks", id, "")?;
        let call = Call {
            method: Method::DELETE,
            path: &path,
            query: &[],
            body: None,
            file: None,
            idempotent: true,
        };
        self.send(&call).await.map(drop)
    }

    /// Every item of a list endpoint: asks for `limit=100` (unless `query` sets a limit)
    /// and follows `next` while `hasNext` is true. `path` starts with `/`, has ids already
    /// percent-encoded and no query string; `query` pairs may repeat (`expand`).
    pub async fn get_page<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<T>, LeverError> {
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        let mut offset: Option<String> = None;
        loop {
            let mut page_query = query.to_vec();
            if !query.iter().any(|(k, _)| *k == "limit") {
                page_query.push(("limit", PAGE_LIMIT.to_owned()));
            }
            if let Some(offset) = &offset {
                page_query.push(("offset", offset.clone()));
            }
            let reply = self.send(&Call::get(path, &page_query)).await?;
            let page: Page<T> = decode(path, &reply.body)?;
            items.extend(page.data);
            if !page.has_next {
                return Ok(items);
            }
            let next = page.next.ok_or_else(|| {
                LeverError::BadResponse(format!("{path}: hasNext is true but next is missing"))
            })?;
            if !seen.insert(next.clone()) {
                return Err(LeverError::BadResponse(format!(
                    "{path}: the page offset {next} came back twice"
                )));
            }
            offset = Some(next);
        }
    }

    /// `GET path` and decode the `data` of `{ "data": … }`.
    async fn get_one<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, LeverError> {
        let reply = self.send(&Call::get(path, query)).await?;
        decode::<Envelope<T>>(path, &reply.body).map(|e| e.data)
    }

    async fn write<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        idempotent: bool,
    ) -> Result<T, LeverError> {
        let call = Call {
            method,
            path,
            query,
            body,
            file: None,
            idempotent,
        };
        let reply = self.send(&call).await?;
        decode(path, &reply.body)
    }
}

fn perform_as_query(perform_as: Option<&str>) -> Vec<(&'static str, String)> {
    perform_as
        .map(|user| vec![("perform_as", user.to_owned())])
        .unwrap_or_default()
}

/// `{prefix}/{id}{suffix}` with `id` as one path segment: everything but unreserved
/// characters is percent-encoded, so an id can never change the path. An empty or
/// dots-only id names nothing, so it is [`LeverError::NotFound`] without a request.
pub(crate) fn id_path(prefix: &str, id: &str, suffix: &str) -> Result<String, LeverError> {
    if id.bytes().all(|b| b == b'.') {
        return Err(LeverError::NotFound {
            path: format!("{prefix}/{id}{suffix}"),
        });
    }
    let mut out = format!("{prefix}/");
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out.push_str(suffix);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_escape_their_path_segment() {
        assert_eq!(
            id_path(
                "/opportunities",
                "250d8f03-738a-4bba-a671-8a3d73477145",
                "/notes"
            )
            .unwrap(),
            "/opportunities/250d8f03-738a-4bba-a671-8a3d73477145/notes"
        );
        assert_eq!(
            id_path("/users", "../x?y#z", "").unwrap(),
            "/users/..%2Fx%3Fy%23z"
        );
        assert_eq!(id_path("/users", "a b", "").unwrap(), "/users/a%20b");
        for nothing in ["", ".", ".."] {
            assert!(matches!(
                id_path("/users", nothing, ""),
                Err(LeverError::NotFound { .. })
            ));
        }
    }
}
