//! The fake account's data in memory: the fixture plus every write applied to it (stage,
//! archive state, tags, notes, webhooks). Each write says what changed, so the caller can
//! send the webhooks Lever would.

use super::error::ApiError;
use super::fixture::{
    value_id, ArchiveReason, ArchiveReasonType, Archived, Fixture, Opportunity, Stage,
};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub(crate) mod opportunity_edits;

pub(crate) use opportunity_edits::NewOpportunity;

/// A webhook created through `POST /v1/webhooks`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// Webhook id (a UUID).
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// The one event it receives.
    pub event: String,
    /// The configuration as created (`conditions`…), without the signature token.
    pub configuration: Value,
    /// The token its deliveries are signed with; Lever returns it only at creation.
    pub signature_token: String,
    /// Created (ms since the epoch).
    pub created_at: u64,
    /// Last updated (ms since the epoch).
    pub updated_at: u64,
}

impl Webhook {
    /// The object `GET /v1/webhooks` lists (no signature token).
    pub(crate) fn listed(&self) -> Value {
        json!({
            "id": self.id, "url": self.url, "event": self.event,
            "configuration": self.configuration,
            "createdAt": self.created_at, "updatedAt": self.updated_at,
        })
    }

    /// The object `POST /v1/webhooks` answers (with the signature token).
    pub(crate) fn created(&self) -> Value {
        let mut value = self.listed();
        value["configuration"]["signatureToken"] = Value::String(self.signature_token.clone());
        value
    }
}

/// A snapshot of what the fake holds now: `FakeLever::state()` and `GET /_fake/state`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FakeLeverState {
    /// Every opportunity, with its current stage, tags and archive state.
    pub opportunities: Vec<Opportunity>,
    /// Notes by opportunity id (fixture notes first, then those posted).
    pub notes: BTreeMap<String, Vec<Value>>,
    /// Webhooks created through the API.
    pub webhooks: Vec<Webhook>,
}

impl FakeLeverState {
    /// The opportunity with `id`.
    pub fn opportunity(&self, id: &str) -> Option<&Opportunity> {
        self.opportunities.iter().find(|o| o.id == id)
    }

    /// The notes on opportunity `id` (empty when none).
    pub fn notes_of(&self, id: &str) -> &[Value] {
        self.notes.get(id).map_or(&[], Vec::as_slice)
    }
}

/// A stage move, for `candidateStageChange`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StageMove {
    pub(crate) from: String,
    pub(crate) to: String,
}

/// An archive-state change, for `candidateArchiveChange` (and `candidateHired`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArchiveMove {
    pub(crate) from: Option<Archived>,
    pub(crate) to: Option<Archived>,
    /// The new reason is of type `hired`.
    pub(crate) hired: bool,
}

/// A note to add, from `POST …/notes`.
#[derive(Debug, Clone)]
pub(crate) struct NewNote {
    pub(crate) value: String,
    pub(crate) secret: bool,
    pub(crate) score: Option<u8>,
    pub(crate) notify_followers: bool,
    pub(crate) created_at: u64,
    pub(crate) user: Option<String>,
}

/// The echoed collections a GET can read by id.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Collection {
    Users,
    Postings,
    Contacts,
    Requisitions,
}

impl Collection {
    fn name(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Postings => "postings",
            Self::Contacts => "contacts",
            Self::Requisitions => "requisitions",
        }
    }
}

/// The account: fixture data and the writes applied since start.
#[derive(Debug)]
pub(crate) struct Account {
    data: Fixture,
    webhooks: Vec<Webhook>,
    /// What `GET /opportunities/deleted` lists, oldest first.
    deleted: Vec<Value>,
    /// Files uploaded, by opportunity id.
    files: BTreeMap<String, Vec<Value>>,
}

impl Account {
    /// The account as the fixture describes it.
    pub(crate) fn new(fixture: Fixture) -> Self {
        Self {
            data: fixture,
            webhooks: Vec::new(),
            deleted: Vec::new(),
            files: BTreeMap::new(),
        }
    }

    /// The fixture data as it is now.
    pub(crate) fn data(&self) -> &Fixture {
        &self.data
    }

    /// One echoed object by id.
    pub(crate) fn find(&self, collection: Collection, id: &str) -> Result<&Value, ApiError> {
        let list = match collection {
            Collection::Users => &self.data.users,
            Collection::Postings => &self.data.postings,
            Collection::Contacts => &self.data.contacts,
            Collection::Requisitions => &self.data.requisitions,
        };
        list.iter()
            .find(|v| value_id(v) == Some(id))
            .ok_or_else(|| ApiError::not_found(collection.name(), id))
    }

    /// The opportunity with `id`.
    pub(crate) fn opportunity(&self, id: &str) -> Result<&Opportunity, ApiError> {
        self.data
            .opportunities
            .iter()
            .find(|o| o.id == id)
            .ok_or_else(|| ApiError::not_found("opportunities", id))
    }

    fn opportunity_mut(&mut self, id: &str) -> Result<&mut Opportunity, ApiError> {
        self.data
            .opportunities
            .iter_mut()
            .find(|o| o.id == id)
            .ok_or_else(|| ApiError::not_found("opportunities", id))
    }

    /// The stage with `id`.
    pub(crate) fn stage(&self, id: &str) -> Option<&Stage> {
        self.data.stages.iter().find(|s| s.id == id)
    }

    /// The archive reason with `id`.
    pub(crate) fn archive_reason(&self, id: &str) -> Option<&ArchiveReason> {
        self.data.archive_reasons.iter().find(|r| r.id == id)
    }

    /// Offers of an existing opportunity.
    pub(crate) fn offers(&self, opportunity: &str) -> Result<Vec<Value>, ApiError> {
        self.opportunity(opportunity)?;
        Ok(self
            .data
            .offers
            .get(opportunity)
            .cloned()
            .unwrap_or_default())
    }

    /// Notes of an existing opportunity.
    pub(crate) fn notes(&self, opportunity: &str) -> Result<Vec<Value>, ApiError> {
        self.opportunity(opportunity)?;
        Ok(self
            .data
            .notes
            .get(opportunity)
            .cloned()
            .unwrap_or_default())
    }

    /// Checks a `perform_as` user id.
    pub(crate) fn check_user(&self, user: Option<&str>) -> Result<(), ApiError> {
        match user {
            Some(id) => self
                .find(Collection::Users, id)
                .map(|_| ())
                .map_err(|_| ApiError::BadRequest(format!("perform_as: user {id} was not found"))),
            None => Ok(()),
        }
    }

    /// Moves an opportunity to `stage`; `None` when it already was there.
    pub(crate) fn set_stage(
        &mut self,
        id: &str,
        stage: &str,
        user: Option<&str>,
        now: u64,
    ) -> Result<Option<StageMove>, ApiError> {
        let index = self
            .data
            .stages
            .iter()
            .position(|s| s.id == stage)
            .ok_or_else(|| ApiError::not_found("stages", stage))?;
        let opportunity = self.opportunity_mut(id)?;
        if opportunity.stage == stage {
            return Ok(None);
        }
        let from = std::mem::replace(&mut opportunity.stage, stage.to_owned());
        let change =
            json!({ "toStageId": stage, "toStageIndex": index, "userId": user, "updatedAt": now });
        match opportunity
            .rest
            .get_mut("stageChanges")
            .and_then(Value::as_array_mut)
        {
            Some(changes) => changes.push(change),
            None => {
                opportunity
                    .rest
                    .insert("stageChanges".into(), json!([change]));
            }
        }
        opportunity.rest.insert("lastAdvancedAt".into(), json!(now));
        opportunity.rest.insert("updatedAt".into(), json!(now));
        Ok(Some(StageMove {
            from,
            to: stage.to_owned(),
        }))
    }

    /// Archives an opportunity with `reason`, or unarchives it with `None`; `None` back when
    /// nothing changed.
    pub(crate) fn set_archived(
        &mut self,
        id: &str,
        reason: Option<&str>,
        now: u64,
    ) -> Result<Option<ArchiveMove>, ApiError> {
        let hired = match reason {
            Some(reason) => {
                let found = self
                    .archive_reason(reason)
                    .ok_or_else(|| ApiError::not_found("archive_reasons", reason))?;
                found.kind == ArchiveReasonType::Hired
            }
            None => false,
        };
        let opportunity = self.opportunity_mut(id)?;
        if opportunity.archived.as_ref().map(|a| a.reason.as_str()) == reason {
            return Ok(None);
        }
        let to = reason.map(|reason| Archived {
            archived_at: now,
            reason: reason.to_owned(),
        });
        let from = std::mem::replace(&mut opportunity.archived, to.clone());
        for application in &mut opportunity.applications {
            application["archived"] = serde_json::to_value(&to).expect("Archived serializes");
        }
        opportunity.rest.insert("updatedAt".into(), json!(now));
        Ok(Some(ArchiveMove { from, to, hired }))
    }

    /// Adds the tags it does not have yet, in order.
    pub(crate) fn add_tags(&mut self, id: &str, tags: &[String], now: u64) -> Result<(), ApiError> {
        let opportunity = self.opportunity_mut(id)?;
        for tag in tags {
            if !opportunity.tags.contains(tag) {
                opportunity.tags.push(tag.clone());
            }
        }
        opportunity.rest.insert("updatedAt".into(), json!(now));
        Ok(())
    }

    /// Removes these tags where present.
    pub(crate) fn remove_tags(
        &mut self,
        id: &str,
        tags: &[String],
        now: u64,
    ) -> Result<(), ApiError> {
        let opportunity = self.opportunity_mut(id)?;
        opportunity.tags.retain(|t| !tags.contains(t));
        opportunity.rest.insert("updatedAt".into(), json!(now));
        Ok(())
    }

    /// Adds a note in Lever's note shape and returns its id.
    pub(crate) fn add_note(&mut self, id: &str, note: NewNote) -> Result<String, ApiError> {
        self.opportunity(id)?;
        let note_id = crate::sample::random_uuid();
        let stored = json!({
            "id": note_id,
            "text": null,
            "fields": [{ "type": "note", "text": "note", "value": note.value }],
            "user": note.user,
            "secret": note.secret,
            "score": note.score,
            "notifyFollowers": note.notify_followers,
            "createdAt": note.created_at,
            "completedAt": note.created_at,
            "deletedAt": null,
        });
        self.data
            .notes
            .entry(id.to_owned())
            .or_default()
            .push(stored);
        Ok(note_id)
    }

    /// Webhooks created through the API.
    pub(crate) fn webhooks(&self) -> &[Webhook] {
        &self.webhooks
    }

    /// Keeps a new webhook.
    pub(crate) fn add_webhook(&mut self, webhook: Webhook) {
        self.webhooks.push(webhook);
    }

    /// Deletes a webhook.
    pub(crate) fn delete_webhook(&mut self, id: &str) -> Result<(), ApiError> {
        let before = self.webhooks.len();
        self.webhooks.retain(|w| w.id != id);
        if self.webhooks.len() == before {
            return Err(ApiError::not_found("webhooks", id));
        }
        Ok(())
    }

    /// What the fake holds now.
    pub(crate) fn snapshot(&self) -> FakeLeverState {
        FakeLeverState {
            opportunities: self.data.opportunities.clone(),
            notes: self.data.notes.clone(),
            webhooks: self.webhooks.clone(),
        }
    }

    /// An opportunity as the API serves it: applications as ids and referenced objects as
    /// ids, except those named in `expand` (`applications`, `stage`, `contact`, `owner`).
    pub(crate) fn render(&self, opportunity: &Opportunity, expand: &[&str]) -> Value {
        let mut value = serde_json::to_value(opportunity).expect("an opportunity serializes");
        if !expand.contains(&"applications") {
            let ids: Vec<Value> = opportunity
                .applications
                .iter()
                .filter_map(value_id)
                .map(|id| Value::String(id.to_owned()))
                .collect();
            value["applications"] = Value::Array(ids);
        }
        if expand.contains(&"stage") {
            let text = self.stage(&opportunity.stage).map(|s| s.text.clone());
            value["stage"] = json!({ "id": opportunity.stage, "text": text });
        }
        if expand.contains(&"contact") {
            if let Ok(contact) = self.find(Collection::Contacts, &opportunity.contact) {
                value["contact"] = contact.clone();
            }
        }
        if expand.contains(&"owner") {
            let owner = opportunity.rest.get("owner").and_then(Value::as_str);
            if let Some(user) = owner.and_then(|id| self.find(Collection::Users, id).ok()) {
                value["owner"] = user.clone();
            }
        }
        value
    }
}
