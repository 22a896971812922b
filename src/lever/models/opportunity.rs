//! An opportunity (one candidacy) and the objects it embeds: archive state, phones, stage
//! changes and its application.

use super::de;
use super::Stage;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// `GET /opportunities/:id`: one person's journey through one pipeline.
///
/// Decoding accepts both archive shapes Lever documents (an `archived` object, or
/// top-level `archivedAt`/`archiveReason`), `stage` as an id or `{id, text}`, `contact` as
/// an id or an expanded contact, and `applications` as ids or expanded objects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct Opportunity {
    /// The opportunity UID.
    pub id: String,
    /// The candidate's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The candidate's headline (current company, school).
    #[serde(default)]
    pub headline: Option<String>,
    /// The contact (person) UID: the stable key of the person across opportunities.
    #[serde(default, deserialize_with = "de::id_of")]
    pub contact: Option<String>,
    /// Email addresses.
    #[serde(default, deserialize_with = "de::list")]
    pub emails: Vec<String>,
    /// Phone numbers.
    #[serde(default, deserialize_with = "de::list")]
    pub phones: Vec<Phone>,
    /// Where the candidate is, as free text.
    #[serde(default, deserialize_with = "de::location")]
    pub location: Option<String>,
    /// Links (LinkedIn and so on).
    #[serde(default, deserialize_with = "de::list")]
    pub links: Vec<String>,
    /// `confidential` or `non-confidential`.
    #[serde(default)]
    pub confidentiality: Option<String>,
    /// The current stage: `text` is set only when Lever expanded it (`expand=stage`).
    #[serde(default, deserialize_with = "de::id_or_object")]
    pub stage: Option<Stage>,
    /// Every stage move, oldest first.
    #[serde(default, deserialize_with = "de::list")]
    pub stage_changes: Vec<StageChange>,
    /// Set when the opportunity is archived (hired or not), `None` while active.
    #[serde(default)]
    pub archived: Option<Archived>,
    /// Tags.
    #[serde(default, deserialize_with = "de::list")]
    pub tags: Vec<String>,
    /// Sources (LinkedIn, a referral…).
    #[serde(default, deserialize_with = "de::list")]
    pub sources: Vec<String>,
    /// `agency`, `applied`, `internal`, `referred`, `sourced` or `university`.
    #[serde(default)]
    pub origin: Option<String>,
    /// The user UID who sourced the candidate.
    #[serde(default, deserialize_with = "de::id_of")]
    pub sourced_by: Option<String>,
    /// The owner's user UID.
    #[serde(default, deserialize_with = "de::id_of")]
    pub owner: Option<String>,
    /// Followers' user UIDs.
    #[serde(default, deserialize_with = "de::ids")]
    pub followers: Vec<String>,
    /// The application (0 or 1): only the id unless fetched with `expand=applications`.
    #[serde(default, deserialize_with = "de::ids_or_objects")]
    pub applications: Vec<Application>,
    /// Created, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub created_at: Option<i64>,
    /// Last updated, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub updated_at: Option<i64>,
    /// Last interaction, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub last_interaction_at: Option<i64>,
    /// Last moved forward, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub last_advanced_at: Option<i64>,
    /// Snoozed until, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub snoozed_until: Option<i64>,
    /// Links into Lever's UI.
    #[serde(default)]
    pub urls: Option<OpportunityUrls>,
    /// Data-protection consent, as Lever sent it (`null` when the feature is off).
    #[serde(default)]
    pub data_protection: Option<Value>,
    /// Whether the candidate's data was anonymized.
    #[serde(default, deserialize_with = "de::flag")]
    pub is_anonymized: bool,
    /// The posting's location, or `"unspecified"`.
    #[serde(default)]
    pub opportunity_location: Option<String>,
    /// Deleted, ms since the epoch (deleted opportunities only).
    #[serde(default, deserialize_with = "de::millis")]
    pub deleted_at: Option<i64>,
    /// Who deleted it (deleted opportunities only).
    #[serde(default, deserialize_with = "de::id_of")]
    pub deleted_by: Option<String>,
}

impl<'de> Deserialize<'de> for Opportunity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = Map::<String, Value>::deserialize(d)?;
        normalize_archived(&mut map);
        Opportunity::deserialize(Value::Object(map)).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Opportunity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Opportunity::serialize(self, s)
    }
}

/// Folds the top-level `archivedAt`/`archiveReason` form into `archived`; an `archived`
/// object, when present, wins.
fn normalize_archived(map: &mut Map<String, Value>) {
    let at = map.remove("archivedAt").unwrap_or(Value::Null);
    let reason = map.remove("archiveReason").unwrap_or(Value::Null);
    let has_object = map.get("archived").is_some_and(|v| !v.is_null());
    if !has_object && (!at.is_null() || !reason.is_null()) {
        let mut archived = Map::new();
        archived.insert("archivedAt".to_owned(), at);
        archived.insert("reason".to_owned(), reason);
        map.insert("archived".to_owned(), Value::Object(archived));
    }
}

impl Opportunity {
    /// The application, when there is one (an opportunity has at most one).
    pub fn application(&self) -> Option<&Application> {
        self.applications.first()
    }

    /// The current stage's id.
    pub fn stage_id(&self) -> Option<&str> {
        self.stage.as_ref().map(|s| s.id.as_str())
    }

    /// Whether the opportunity carries `tag` (exact match).
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

/// Why and when an opportunity was archived.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Archived {
    /// When, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub archived_at: Option<i64>,
    /// The archive reason UID (resolve it with `Directory::archive_reason`).
    #[serde(default, deserialize_with = "de::id_of")]
    pub reason: Option<String>,
}

/// A phone number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    /// `mobile`, `home`, `work`, `skype` or `other`.
    #[serde(default, rename = "type")]
    pub r#type: Option<String>,
    /// The number as entered.
    #[serde(default)]
    pub value: Option<String>,
}

/// One move between stages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageChange {
    /// The stage moved to.
    #[serde(default)]
    pub to_stage_id: Option<String>,
    /// Its position in the pipeline.
    #[serde(default, deserialize_with = "de::millis")]
    pub to_stage_index: Option<i64>,
    /// Who moved it.
    #[serde(default, deserialize_with = "de::id_of")]
    pub user_id: Option<String>,
    /// When, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub updated_at: Option<i64>,
}

/// Links into Lever's UI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityUrls {
    /// The candidate list.
    #[serde(default)]
    pub list: Option<String>,
    /// This opportunity's page.
    #[serde(default)]
    pub show: Option<String>,
}

/// An opportunity's application (the link to a job posting). Only `id` is set unless the
/// opportunity was fetched with `expand=applications`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// The application UID.
    pub id: String,
    /// `posting`, `user` or `referral`.
    #[serde(default, rename = "type")]
    pub r#type: Option<String>,
    /// The posting UID.
    #[serde(default, deserialize_with = "de::id_of")]
    pub posting: Option<String>,
    /// The posting's hiring manager (user UID) when the candidate applied.
    #[serde(default, deserialize_with = "de::id_of")]
    pub posting_hiring_manager: Option<String>,
    /// The posting's owner (user UID) when the candidate applied.
    #[serde(default, deserialize_with = "de::id_of")]
    pub posting_owner: Option<String>,
    /// The requisition hired against, set once archived as hired against one.
    #[serde(default)]
    pub requisition_for_hire: Option<RequisitionForHire>,
    /// Created, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub created_at: Option<i64>,
    /// The application form's custom questions, each form with its answered fields.
    #[serde(default, deserialize_with = "de::list")]
    pub custom_questions: Vec<QuestionForm>,
}

/// One custom-question form of an application.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionForm {
    /// Its questions and the candidate's answers.
    #[serde(default, deserialize_with = "de::list")]
    pub fields: Vec<QuestionField>,
}

/// One question and its answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionField {
    /// The question as the candidate saw it.
    #[serde(default)]
    pub text: String,
    /// The answer: text, a chosen option, or several (kept as Lever sent it).
    #[serde(default)]
    pub value: serde_json::Value,
}

impl QuestionField {
    /// The answer as text values: a string, each string of a list, a number or boolean
    /// written out; an option object's `text` (or `optionId`).
    pub fn answers(&self) -> Vec<String> {
        fn one(value: &serde_json::Value) -> Option<String> {
            match value {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                serde_json::Value::Bool(b) => Some(b.to_string()),
                serde_json::Value::Object(o) => o
                    .get("text")
                    .or_else(|| o.get("optionId"))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
                _ => None,
            }
        }
        match &self.value {
            serde_json::Value::Array(items) => items.iter().filter_map(one).collect(),
            other => one(other).into_iter().collect(),
        }
    }
}

impl From<String> for Application {
    fn from(id: String) -> Self {
        Self {
            id,
            ..Self::default()
        }
    }
}

/// The requisition an application was hired against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequisitionForHire {
    /// The requisition UID.
    #[serde(default)]
    pub id: Option<String>,
    /// The customer's requisition code.
    #[serde(default)]
    pub requisition_code: Option<String>,
    /// The hiring manager (user UID) at the time of hire.
    #[serde(default, deserialize_with = "de::id_of")]
    pub hiring_manager_on_hire: Option<String>,
}
