//! Filled-in forms on an opportunity: interview feedback and profile forms share one shape.

use super::de;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One feedback form (`GET /opportunities/:id/feedback[/:feedback]`) or profile form
/// (`GET /opportunities/:id/forms[/:form]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Feedback {
    /// The form UID.
    pub id: String,
    /// `interview` for feedback, `form` for profile forms (as Lever sent it).
    #[serde(default, rename = "type")]
    pub r#type: Option<String>,
    /// The form's title.
    #[serde(default)]
    pub text: Option<String>,
    /// Instructions shown above the form.
    #[serde(default)]
    pub instructions: Option<String>,
    /// The questions and their answers.
    #[serde(default, deserialize_with = "de::list")]
    pub fields: Vec<FormField>,
    /// The template (UID) it was filled from.
    #[serde(default, deserialize_with = "de::id_of")]
    pub base_template_id: Option<String>,
    /// The interview (UID) it is about, for feedback.
    #[serde(default, deserialize_with = "de::id_of")]
    pub interview: Option<String>,
    /// The panel (UID) it is about, for feedback.
    #[serde(default, deserialize_with = "de::id_of")]
    pub panel: Option<String>,
    /// Who filled it in (user UID).
    #[serde(default, deserialize_with = "de::id_of")]
    pub user: Option<String>,
    /// Created, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub created_at: Option<i64>,
    /// Submitted, ms since the epoch; `None` while a draft.
    #[serde(default, deserialize_with = "de::millis")]
    pub completed_at: Option<i64>,
    /// Last updated, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub updated_at: Option<i64>,
    /// Deleted, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub deleted_at: Option<i64>,
}

impl Feedback {
    /// The field with this id, or else the first with this label.
    pub fn field(&self, id_or_text: &str) -> Option<&FormField> {
        self.fields
            .iter()
            .find(|f| f.id.as_deref() == Some(id_or_text))
            .or_else(|| {
                self.fields
                    .iter()
                    .find(|f| f.text.as_deref() == Some(id_or_text))
            })
    }
}

/// One question of a [`Feedback`] form and its answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormField {
    /// `text`, `textarea`, `score-system`, `yes-no`, `dropdown`…
    #[serde(default, rename = "type")]
    pub r#type: Option<String>,
    /// The question.
    #[serde(default)]
    pub text: Option<String>,
    /// Help shown under the question.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether an answer is required.
    #[serde(default, deserialize_with = "de::flag")]
    pub required: bool,
    /// The answer as Lever sent it (a string, a number, a list…; `null` when empty).
    #[serde(default)]
    pub value: Value,
    /// The field UID (templates' field ids).
    #[serde(default)]
    pub id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_null_fields_decode_and_fields_are_found_by_id_or_label() {
        let feedback: Feedback = serde_json::from_str(
            r#"{"id": "f1", "fields": [
                  {"id": "q1", "type": "score-system", "text": "Rating", "required": null},
                  {"text": "Notes", "value": "Good"}],
                "interview": {"id": "i1"}, "completedAt": null}"#,
        )
        .unwrap();
        assert_eq!(feedback.interview.as_deref(), Some("i1"));
        assert_eq!(feedback.completed_at, None);
        assert!(!feedback.fields[0].required && feedback.fields[0].value.is_null());
        assert_eq!(
            feedback.field("q1").unwrap().text.as_deref(),
            Some("Rating")
        );
        assert_eq!(feedback.field("Notes").unwrap().value, "Good");
        assert!(feedback.field("Other").is_none());
        let bare: Feedback = serde_json::from_str(r#"{"id": "f2"}"#).unwrap();
        assert!(bare.fields.is_empty() && bare.r#type.is_none());
    }
}
