//! Listing, paging, creating opportunities, and the list of deleted ones.

use super::super::models::{Envelope, Page};
use super::super::transport::{decode, Call};
use super::super::{
    CreatedOpportunity, DeletedOpportunity, LeverClient, LeverError, NewOpportunity, Opportunity,
    OpportunityFilter, TimeRange,
};
use super::id_path;
use reqwest::Method;
use serde_json::Value;

impl LeverClient {
    /// Every opportunity `filter` matches (`GET /opportunities`), following `next` across
    /// pages.
    pub async fn opportunities(
        &self,
        filter: &OpportunityFilter,
    ) -> Result<Vec<Opportunity>, LeverError> {
        self.get_page("/opportunities", &filter.query()).await
    }

    /// One page of `GET /opportunities`, for callers that stream: pass `None` first, then
    /// the page's `next` while `has_next` is true.
    pub async fn opportunities_page(
        &self,
        filter: &OpportunityFilter,
        offset: Option<&str>,
    ) -> Result<Page<Opportunity>, LeverError> {
        let mut query = filter.query();
        if let Some(offset) = offset {
            query.push(("offset", offset.to_owned()));
        }
        let reply = self.send(&Call::get("/opportunities", &query)).await?;
        decode("/opportunities", &reply.body)
    }

    /// Every opportunity deleted in `deleted_at` (`GET /opportunities/deleted` with
    /// `deleted_at_start`/`deleted_at_end`).
    pub async fn deleted_opportunities(
        &self,
        deleted_at: TimeRange,
    ) -> Result<Vec<DeletedOpportunity>, LeverError> {
        let mut query = Vec::new();
        deleted_at.push(("deleted_at_start", "deleted_at_end"), &mut query);
        self.get_page("/opportunities/deleted", &query).await
    }

    /// Creates an opportunity (`POST /opportunities?perform_as=`; `perform_as` is
    /// required there). Lever files it under an existing contact when an email matches
    /// or `contact` is given.
    ///
    /// Lever answers only the opportunity, so `deduped` is worked out with one more
    /// request: the returned contact already had another opportunity
    /// (`GET /opportunities?contact_id=…&confidentiality=all`). A contact whose other
    /// opportunities this credential cannot see counts as new.
    ///
    /// Not retried once Lever may have created it (see [`LeverClient::add_note`]): a
    /// retry could make a second opportunity.
    pub async fn create_opportunity(
        &self,
        new: &NewOpportunity,
        perform_as: &str,
    ) -> Result<CreatedOpportunity, LeverError> {
        let body = serde_json::to_value(new)
            .map_err(|e| LeverError::Config(format!("cannot encode the opportunity: {e}")))?;
        let query = [("perform_as", perform_as.to_owned())];
        let created: Envelope<Opportunity> = self
            .write(Method::POST, "/opportunities", &query, Some(&body), false)
            .await?;
        let opportunity = created.data;
        let deduped = match opportunity.contact.as_deref() {
            Some(contact) => self
                .opportunities(&OpportunityFilter::of_contact(contact))
                .await?
                .iter()
                .any(|o| o.id != opportunity.id),
            None => false,
        };
        Ok(CreatedOpportunity {
            opportunity,
            deduped,
        })
    }

    /// `PUT path` with a JSON body, answering the opportunity; repeating it is harmless.
    pub(super) async fn put_opportunity(
        &self,
        opportunity: &str,
        suffix: &str,
        body: &Value,
        perform_as: Option<&str>,
    ) -> Result<Opportunity, LeverError> {
        let path = id_path("/opportunities", opportunity, suffix)?;
        let query = super::perform_as_query(perform_as);
        let updated: Envelope<Opportunity> = self
            .write(Method::PUT, &path, &query, Some(body), true)
            .await?;
        Ok(updated.data)
    }
}
