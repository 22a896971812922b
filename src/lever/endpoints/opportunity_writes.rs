//! Changes to one opportunity: stage, archive state, links, sources and files.

use super::super::models::Envelope;
use super::super::transport::{decode, Call};
use super::super::{FilePart, LeverClient, LeverError, Opportunity, UploadedFile};
use super::{id_path, perform_as_query};
use reqwest::Method;
use serde_json::json;

/// `PUT /opportunities/:id/archived`: why, and the optional hire details.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Archive {
    /// The archive reason UID; a hire against a requisition needs a `hired` one.
    pub reason: String,
    /// Also remove the opportunity's upcoming interviews.
    pub clean_interviews: Option<bool>,
    /// The requisition a hire fills.
    pub requisition_id: Option<String>,
}

impl LeverClient {
    /// Moves an opportunity to `stage` (`PUT /opportunities/:id/stage`) and returns it.
    pub async fn set_stage(
        &self,
        opportunity: &str,
        stage: &str,
        perform_as: Option<&str>,
    ) -> Result<Opportunity, LeverError> {
        let body = json!({ "stage": stage });
        self.put_opportunity(opportunity, "/stage", &body, perform_as)
            .await
    }

    /// Archives an opportunity, or changes the reason of an archived one
    /// (`PUT /opportunities/:id/archived`), and returns it.
    pub async fn archive(
        &self,
        opportunity: &str,
        archive: &Archive,
        perform_as: Option<&str>,
    ) -> Result<Opportunity, LeverError> {
        let mut body = json!({ "reason": archive.reason });
        if let Some(clean) = archive.clean_interviews {
            body["cleanInterviews"] = json!(clean);
        }
        if let Some(requisition) = &archive.requisition_id {
            body["requisitionId"] = json!(requisition);
        }
        self.put_opportunity(opportunity, "/archived", &body, perform_as)
            .await
    }

    /// Makes an archived opportunity active again (`PUT /opportunities/:id/archived` with
    /// `reason: null`) and returns it.
    pub async fn unarchive(
        &self,
        opportunity: &str,
        perform_as: Option<&str>,
    ) -> Result<Opportunity, LeverError> {
        let body = json!({ "reason": null });
        self.put_opportunity(opportunity, "/archived", &body, perform_as)
            .await
    }

    /// Adds links (`POST /opportunities/:id/addLinks`); links belong to the contact.
    pub async fn add_links(
        &self,
        opportunity: &str,
        links: &[String],
        perform_as: Option<&str>,
    ) -> Result<(), LeverError> {
        self.edit_list(opportunity, "addLinks", "links", links, perform_as)
            .await
    }

    /// Removes links (`POST /opportunities/:id/removeLinks`).
    pub async fn remove_links(
        &self,
        opportunity: &str,
        links: &[String],
        perform_as: Option<&str>,
    ) -> Result<(), LeverError> {
        self.edit_list(opportunity, "removeLinks", "links", links, perform_as)
            .await
    }

    /// Adds sources (`POST /opportunities/:id/addSources`).
    pub async fn add_sources(
        &self,
        opportunity: &str,
        sources: &[String],
        perform_as: Option<&str>,
    ) -> Result<(), LeverError> {
        self.edit_list(opportunity, "addSources", "sources", sources, perform_as)
            .await
    }

    /// Removes sources (`POST /opportunities/:id/removeSources`).
    pub async fn remove_sources(
        &self,
        opportunity: &str,
        sources: &[String],
        perform_as: Option<&str>,
    ) -> Result<(), LeverError> {
        self.edit_list(opportunity, "removeSources", "sources", sources, perform_as)
            .await
    }

    /// `POST /opportunities/:id/{action}` with `{field: values}`: the list edits (tags,
    /// links, sources), each a set operation, so retried.
    pub(super) async fn edit_list(
        &self,
        opportunity: &str,
        action: &str,
        field: &str,
        values: &[String],
        perform_as: Option<&str>,
    ) -> Result<(), LeverError> {
        let path = id_path("/opportunities", opportunity, &format!("/{action}"))?;
        let query = perform_as_query(perform_as);
        let body = json!({ field: values });
        let call = Call {
            method: Method::POST,
            path: &path,
            query: &query,
            body: Some(&body),
            file: None,
            idempotent: true,
        };
        self.send(&call).await.map(drop)
    }

    /// Attaches a file (`POST /opportunities/:id/files?perform_as=`, multipart field
    /// `file`, at most 30 MB). Not retried once Lever may have stored it.
    pub async fn upload_file(
        &self,
        opportunity: &str,
        file_name: &str,
        content_type: &str,
        bytes: Vec<u8>,
        perform_as: &str,
    ) -> Result<UploadedFile, LeverError> {
        let path = id_path("/opportunities", opportunity, "/files")?;
        let query = [("perform_as", perform_as.to_owned())];
        let file = FilePart {
            field: "file".to_owned(),
            file_name: file_name.to_owned(),
            content_type: content_type.to_owned(),
            bytes,
        };
        let call = Call {
            method: Method::POST,
            path: &path,
            query: &query,
            body: None,
            file: Some(&file),
            idempotent: false,
        };
        let reply = self.send(&call).await?;
        decode::<Envelope<UploadedFile>>(&path, &reply.body).map(|e| e.data)
    }
}
