//! The account's opportunity writes beyond stage, archive and tags: create (with Lever's
//! contact dedupe), delete, links, sources and files. Each keeps `updatedAt` current.

use super::super::error::ApiError;
use super::super::fixture::{Archived, Opportunity};
use super::{Account, Collection};
use crate::sample::random_uuid;
use serde::Deserialize;
use serde_json::{json, Value};

/// The body of `POST /v1/opportunities`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NewOpportunity {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    headline: Option<String>,
    #[serde(default)]
    stage: Option<String>,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    phones: Vec<Value>,
    #[serde(default)]
    emails: Vec<String>,
    #[serde(default)]
    links: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    origin: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    followers: Vec<String>,
    #[serde(default)]
    contact: Option<String>,
    #[serde(default)]
    postings: Vec<String>,
    #[serde(default)]
    created_at: Option<u64>,
    #[serde(default)]
    archived: Option<NewArchived>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewArchived {
    reason: String,
    #[serde(default)]
    archived_at: Option<u64>,
}

/// What a create made, for the webhooks.
#[derive(Debug, Clone)]
pub(crate) struct Created {
    /// The new opportunity's id.
    pub(crate) id: String,
    /// Its application's id, when it was created on a posting.
    pub(crate) application: Option<String>,
}

const ORIGINS: [&str; 6] = [
    "agency",
    "applied",
    "internal",
    "referred",
    "sourced",
    "university",
];

impl Account {
    /// Creates an opportunity as `user`. The contact is `new.contact` when given, else the
    /// person whose contact or opportunity has one of `new.emails` (case-insensitive),
    /// else a new contact.
    pub(crate) fn create_opportunity(
        &mut self,
        mut new: NewOpportunity,
        user: &str,
        now: u64,
    ) -> Result<Created, ApiError> {
        if new.postings.len() > 1 {
            return Err(ApiError::BadRequest("one posting per request".into()));
        }
        if let Some(origin) = new.origin.as_deref().filter(|o| !ORIGINS.contains(o)) {
            let message = format!(
                "origin must be one of {}, not \"{origin}\"",
                ORIGINS.join(", ")
            );
            return Err(ApiError::BadRequest(message));
        }
        if new.created_at.is_some_and(|t| t > now) {
            return Err(ApiError::BadRequest("createdAt must be in the past".into()));
        }
        let stage = match new.stage.clone() {
            Some(stage) => stage,
            None => self
                .data
                .stages
                .first()
                .map_or("lead-new".into(), |s| s.id.clone()),
        };
        let stage_index = self
            .data
            .stages
            .iter()
            .position(|s| s.id == stage)
            .ok_or_else(|| ApiError::not_found("stages", &stage))?;
        let archived = match new.archived.take() {
            Some(a) => {
                self.archive_reason(&a.reason)
                    .ok_or_else(|| ApiError::not_found("archive_reasons", &a.reason))?;
                Some(Archived {
                    archived_at: a.archived_at.unwrap_or(now),
                    reason: a.reason,
                })
            }
            None => None,
        };
        for posting in &new.postings {
            self.find(Collection::Postings, posting)?;
        }
        let contact = match &new.contact {
            Some(id) => self.find(Collection::Contacts, id).map(|_| id.clone())?,
            None => match self.contact_with_email(&new.emails) {
                Some(id) => id,
                None => self.new_contact(&new),
            },
        };
        let id = random_uuid();
        let created_at = new.created_at.unwrap_or(now);
        let application = new.postings.first().map(|posting| {
            json!({
                "id": random_uuid(), "opportunityId": id, "candidateId": id,
                "createdAt": created_at, "type": "posting", "posting": posting,
                "name": new.name, "email": new.emails.first(), "archived": archived,
            })
        });
        let application_id = application
            .as_ref()
            .and_then(|a| a["id"].as_str())
            .map(str::to_owned);
        let rest = json!({
            "name": new.name, "headline": new.headline, "emails": new.emails,
            "phones": new.phones, "location": new.location, "links": new.links,
            "confidentiality": "non-confidential",
            "stageChanges": [{ "toStageId": stage, "toStageIndex": stage_index, "userId": user, "updatedAt": created_at }],
            "sources": new.sources, "origin": new.origin, "sourcedBy": user,
            "owner": new.owner.unwrap_or_else(|| user.to_owned()), "followers": new.followers,
            "createdAt": created_at, "updatedAt": now, "lastInteractionAt": now,
            "lastAdvancedAt": created_at, "snoozedUntil": null, "dataProtection": null,
            "isAnonymized": false,
        });
        let Value::Object(rest) = rest else {
            unreachable!("json! of an object literal is an object")
        };
        self.data.opportunities.push(Opportunity {
            id: id.clone(),
            contact,
            stage,
            tags: new.tags,
            archived,
            applications: application.into_iter().collect(),
            rest,
        });
        Ok(Created {
            id,
            application: application_id,
        })
    }

    fn contact_with_email(&self, emails: &[String]) -> Option<String> {
        let wanted: Vec<String> = emails.iter().map(|e| e.to_lowercase()).collect();
        let matches = |list: Option<&Value>| {
            list.and_then(Value::as_array).is_some_and(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .any(|e| wanted.contains(&e.to_lowercase()))
            })
        };
        let by_contact = self.data.contacts.iter().find(|c| matches(c.get("emails")));
        if let Some(id) = by_contact.and_then(|c| c.get("id")).and_then(Value::as_str) {
            return Some(id.to_owned());
        }
        self.data
            .opportunities
            .iter()
            .find(|o| matches(o.rest.get("emails")))
            .map(|o| o.contact.clone())
    }

    fn new_contact(&mut self, new: &NewOpportunity) -> String {
        let id = random_uuid();
        self.data.contacts.push(json!({
            "id": id, "name": new.name, "headline": new.headline,
            "location": new.location.as_ref().map(|name| json!({ "name": name })),
            "emails": new.emails, "phones": new.phones, "isAnonymized": false,
        }));
        id
    }

    /// Removes an opportunity; `GET /opportunities/deleted` lists it from then on.
    pub(crate) fn delete_opportunity(
        &mut self,
        id: &str,
        deleted_by: Option<&str>,
        now: u64,
    ) -> Result<Opportunity, ApiError> {
        let index = self
            .data
            .opportunities
            .iter()
            .position(|o| o.id == id)
            .ok_or_else(|| ApiError::not_found("opportunities", id))?;
        let gone = self.data.opportunities.remove(index);
        self.deleted.push(json!({
            "id": gone.id, "name": gone.rest.get("name"), "contact": gone.contact,
            "createdAt": gone.rest.get("createdAt"), "deletedAt": now, "deletedBy": deleted_by,
        }));
        Ok(gone)
    }

    /// Deleted opportunities, oldest first.
    pub(crate) fn deleted(&self) -> &[Value] {
        &self.deleted
    }

    /// Adds (`add`) or removes values of the list field `field` (`links`, `sources`).
    pub(crate) fn edit_list(
        &mut self,
        id: &str,
        field: &str,
        values: &[String],
        add: bool,
        now: u64,
    ) -> Result<(), ApiError> {
        let opportunity = self.opportunity_mut(id)?;
        let list = opportunity
            .rest
            .entry(field.to_owned())
            .or_insert_with(|| json!([]));
        if !list.is_array() {
            *list = json!([]);
        }
        let list = list.as_array_mut().expect("made an array above");
        for value in values {
            let present = list.iter().any(|v| v.as_str() == Some(value));
            if add && !present {
                list.push(Value::String(value.clone()));
            }
            if !add {
                list.retain(|v| v.as_str() != Some(value));
            }
        }
        opportunity.rest.insert("updatedAt".into(), json!(now));
        Ok(())
    }

    /// Keeps an uploaded file's record (`file` has its `id`) on the opportunity.
    pub(crate) fn add_file(&mut self, id: &str, file: Value, now: u64) -> Result<(), ApiError> {
        let opportunity = self.opportunity_mut(id)?;
        opportunity.rest.insert("updatedAt".into(), json!(now));
        self.files.entry(id.to_owned()).or_default().push(file);
        Ok(())
    }

    /// The files uploaded to an existing opportunity.
    pub(crate) fn files(&self, id: &str) -> Result<Vec<Value>, ApiError> {
        self.opportunity(id)?;
        Ok(self.files.get(id).cloned().unwrap_or_default())
    }
}

/// A field of the echoed part of an opportunity.
pub(crate) fn field<'a>(opportunity: &'a Opportunity, name: &str) -> Option<&'a Value> {
    opportunity.rest.get(name).filter(|v| !v.is_null())
}

/// The strings of a list field (empty when missing).
pub(crate) fn strings<'a>(opportunity: &'a Opportunity, name: &str) -> Vec<&'a str> {
    field(opportunity, name)
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}
