//! The fake's starting data: the fixture file, decoded strictly, with errors that name the
//! JSON path of the bad field (cross-references are checked in `references.rs`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// Why a fixture could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The file could not be read.
    #[error("cannot read fixture {}: {source}", .path.display())]
    Read {
        /// The fixture file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The JSON is malformed, or a field has the wrong type, is missing, or is unknown.
    #[error("{}{}{message}", file_prefix(.file), at_prefix(.at))]
    Invalid {
        /// The fixture file, when loaded from one.
        file: Option<PathBuf>,
        /// The JSON path of the bad field, e.g. `opportunities[2].stage` (`.` for the whole document).
        at: String,
        /// What is wrong there.
        message: String,
    },
}

fn file_prefix(file: &Option<PathBuf>) -> String {
    file.as_ref()
        .map(|f| format!("{}: ", f.display()))
        .unwrap_or_default()
}

fn at_prefix(at: &str) -> String {
    if at == "." || at.is_empty() {
        String::new()
    } else {
        format!("at {at}: ")
    }
}

/// A Lever account's data, as the fake serves it. The module docs describe the format.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fixture {
    /// API keys accepted with HTTP Basic; empty means any key works.
    #[serde(default)]
    pub api_keys: Vec<String>,
    /// OAuth clients that may refresh tokens at `/oauth/token`.
    #[serde(default)]
    pub oauth_clients: Vec<OAuthClient>,
    /// The pipeline's stages, in order.
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// Archive reasons; those of type `hired` make an archive a hire.
    #[serde(default)]
    pub archive_reasons: Vec<ArchiveReason>,
    /// User objects (echoed as they are; each needs an `id`).
    #[serde(default)]
    pub users: Vec<Value>,
    /// Posting objects (echoed; each needs an `id`).
    #[serde(default)]
    pub postings: Vec<Value>,
    /// Contact objects (echoed; each needs an `id`).
    #[serde(default)]
    pub contacts: Vec<Value>,
    /// Opportunities; the fields writes change are typed.
    #[serde(default)]
    pub opportunities: Vec<Opportunity>,
    /// Offer objects by opportunity id.
    #[serde(default)]
    pub offers: BTreeMap<String, Vec<Value>>,
    /// Requisition objects (echoed; each needs an `id`).
    #[serde(default)]
    pub requisitions: Vec<Value>,
    /// Note objects by opportunity id.
    #[serde(default)]
    pub notes: BTreeMap<String, Vec<Value>>,
    /// Interview objects by opportunity id.
    #[serde(default)]
    pub interviews: BTreeMap<String, Vec<Value>>,
    /// Panel objects (with their `interviews`) by opportunity id.
    #[serde(default)]
    pub panels: BTreeMap<String, Vec<Value>>,
    /// Feedback objects by opportunity id.
    #[serde(default)]
    pub feedback: BTreeMap<String, Vec<Value>>,
    /// Profile form objects by opportunity id.
    #[serde(default)]
    pub forms: BTreeMap<String, Vec<Value>>,
}

/// An OAuth client and the refresh token it holds now.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OAuthClient {
    /// `client_id` of the token request.
    pub client_id: String,
    /// `client_secret` of the token request.
    pub client_secret: String,
    /// The refresh token valid at start; each refresh replaces it.
    pub refresh_token: String,
}

/// A pipeline stage: `{id, text}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Stage id (`lead-new`, `offer`, or a UUID).
    pub id: String,
    /// Stage name.
    pub text: String,
}

/// An archive reason: `{id, text, status, type}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveReason {
    /// Archive reason id.
    pub id: String,
    /// Its name.
    pub text: String,
    /// `active` or `inactive`.
    #[serde(default = "active")]
    pub status: String,
    /// Whether archiving with it is a hire.
    #[serde(rename = "type")]
    pub kind: ArchiveReasonType,
}

fn active() -> String {
    "active".to_owned()
}

/// An archive reason's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArchiveReasonType {
    /// `hired`: archiving with this reason is a hire.
    Hired,
    /// `non-hired`: a rejection or withdrawal.
    NonHired,
}

impl ArchiveReasonType {
    /// The name Lever uses (`hired`, `non-hired`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hired => "hired",
            Self::NonHired => "non-hired",
        }
    }
}

/// An opportunity: the fields the fake's writes change are typed, the rest is echoed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Opportunity {
    /// Opportunity id.
    pub id: String,
    /// The contact (person) id.
    pub contact: String,
    /// The current stage id.
    pub stage: String,
    /// Tags, in the order they were added.
    #[serde(default)]
    pub tags: Vec<String>,
    /// `{archivedAt, reason}` when archived, null when active.
    #[serde(default)]
    pub archived: Option<Archived>,
    /// Embedded application objects (0 or 1), served as ids unless `expand=applications`.
    #[serde(default)]
    pub applications: Vec<Value>,
    /// Every other field, as the fixture has it.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl Opportunity {
    /// The posting of its application, if any.
    pub fn posting_id(&self) -> Option<&str> {
        self.applications
            .first()
            .and_then(|a| a.get("posting"))
            .and_then(Value::as_str)
    }
}

/// An opportunity's archive state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Archived {
    /// When it was archived (ms since the epoch).
    pub archived_at: u64,
    /// The archive reason id.
    pub reason: String,
}

impl Fixture {
    /// Reads and decodes a fixture file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, FixtureError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&text).map_err(|e| match e {
            FixtureError::Invalid { at, message, .. } => FixtureError::Invalid {
                file: Some(path.to_owned()),
                at,
                message,
            },
            other => other,
        })
    }

    /// Decodes a fixture; every echoed object must be a JSON object with a string `id`,
    /// unique within its list.
    pub fn from_json(text: &str) -> Result<Self, FixtureError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let fixture: Fixture =
            serde_path_to_error::deserialize(de).map_err(|e| FixtureError::Invalid {
                file: None,
                at: e.path().to_string(),
                message: e.into_inner().to_string(),
            })?;
        fixture.check_ids()?;
        Ok(fixture)
    }

    fn check_ids(&self) -> Result<(), FixtureError> {
        let typed = |list: &str, ids: Vec<&str>| unique(list, ids.into_iter().map(Some));
        typed(
            "apiKeys",
            self.api_keys.iter().map(String::as_str).collect(),
        )?;
        typed(
            "oauthClients",
            self.oauth_clients
                .iter()
                .map(|c| c.client_id.as_str())
                .collect(),
        )?;
        typed(
            "stages",
            self.stages.iter().map(|s| s.id.as_str()).collect(),
        )?;
        typed(
            "archiveReasons",
            self.archive_reasons.iter().map(|r| r.id.as_str()).collect(),
        )?;
        typed(
            "opportunities",
            self.opportunities.iter().map(|o| o.id.as_str()).collect(),
        )?;
        for (list, values) in [
            ("users", &self.users),
            ("postings", &self.postings),
            ("contacts", &self.contacts),
            ("requisitions", &self.requisitions),
        ] {
            unique(list, values.iter().map(value_id))?;
        }
        for (i, opportunity) in self.opportunities.iter().enumerate() {
            let list = format!("opportunities[{i}].applications");
            unique(&list, opportunity.applications.iter().map(value_id))?;
        }
        for (name, map) in self.by_opportunity() {
            for (opportunity, values) in map {
                unique(
                    &format!("{name}.{opportunity}"),
                    values.iter().map(value_id),
                )?;
            }
        }
        Ok(())
    }
}

impl Fixture {
    /// The lists kept by opportunity id, with their fixture key.
    pub(crate) fn by_opportunity(&self) -> [(&'static str, &BTreeMap<String, Vec<Value>>); 6] {
        [
            ("offers", &self.offers),
            ("notes", &self.notes),
            ("interviews", &self.interviews),
            ("panels", &self.panels),
            ("feedback", &self.feedback),
            ("forms", &self.forms),
        ]
    }
}

/// The `id` of an echoed object, if it is an object with a string `id`.
pub(crate) fn value_id(value: &Value) -> Option<&str> {
    value.get("id").and_then(Value::as_str)
}

fn unique<'a>(list: &str, ids: impl Iterator<Item = Option<&'a str>>) -> Result<(), FixtureError> {
    let mut seen = HashSet::new();
    for (i, id) in ids.enumerate() {
        let invalid = |at: String, message: String| FixtureError::Invalid {
            file: None,
            at,
            message,
        };
        match id {
            None => {
                return Err(invalid(
                    format!("{list}[{i}]"),
                    "needs an object with a string `id`".to_owned(),
                ))
            }
            Some(id) if !seen.insert(id) => {
                return Err(invalid(
                    format!("{list}[{i}]"),
                    format!("id \"{id}\" appears twice"),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(json: &str) -> String {
        Fixture::from_json(json).unwrap_err().to_string()
    }

    #[test]
    fn an_empty_object_is_an_empty_account() {
        let fixture = Fixture::from_json("{}").unwrap();
        assert!(fixture.opportunities.is_empty() && fixture.api_keys.is_empty());
    }

    #[test]
    fn a_wrongly_typed_field_is_reported_with_its_json_path() {
        let e = error_of(r#"{"opportunities": [{"id": "o1", "contact": "c1", "stage": 5}]}"#);
        assert!(
            e.starts_with("at opportunities[0].stage: invalid type"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_required_field_names_the_object_it_is_missing_from() {
        let e = error_of(r#"{"stages": [{"id": "s"}, {"text": "t"}]}"#);
        assert!(
            e.contains("stages[0]") && e.contains("missing field `text`"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_top_level_key_is_an_error_so_typos_do_not_pass() {
        let e = error_of(r#"{"opportunites": []}"#);
        assert!(e.contains("unknown field `opportunites`"), "{e}");
    }

    #[test]
    fn an_archive_reason_type_must_be_hired_or_non_hired() {
        let e = error_of(r#"{"archiveReasons": [{"id": "r", "text": "R", "type": "hire"}]}"#);
        assert!(
            e.starts_with("at archiveReasons[0].type: unknown variant"),
            "{e}"
        );
    }

    #[test]
    fn echoed_objects_need_a_string_id() {
        let e = error_of(r#"{"users": [{"id": "u1"}, {"name": "No Id"}]}"#);
        assert_eq!(e, "at users[1]: needs an object with a string `id`");
    }

    #[test]
    fn duplicate_ids_are_reported() {
        let e = error_of(
            r#"{"stages": [{"id": "offer", "text": "Offer"}, {"id": "offer", "text": "Again"}]}"#,
        );
        assert_eq!(e, "at stages[1]: id \"offer\" appears twice");
    }

    #[test]
    fn malformed_json_reports_line_and_column() {
        let e = error_of("{\n  \"stages\": [,]\n}");
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn load_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.json");
        std::fs::write(&path, r#"{"stages": 1}"#).unwrap();
        let e = Fixture::load(&path).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{}: at stages:", path.display())),
            "{e}"
        );
        let missing = Fixture::load(dir.path().join("none.json")).unwrap_err();
        assert!(matches!(missing, FixtureError::Read { .. }));
    }
}
