//! A note on an opportunity. Lever documents writing notes far better than reading them,
//! so the read side keeps the raw fields and offers a best-effort [`Note::text`].

use super::de;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One note from `GET /opportunities/:id/notes`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// The note UID.
    pub id: String,
    /// Top-level text, when Lever sends one.
    #[serde(default)]
    pub text: Option<String>,
    /// Top-level value, when Lever sends one (the create body's field).
    #[serde(default)]
    pub value: Option<Value>,
    /// The note's fields, usually `[{type: "note", text: "Note", value: "…"}]`.
    #[serde(default, deserialize_with = "de::list")]
    pub fields: Vec<NoteField>,
    /// The author's user UID.
    #[serde(default, deserialize_with = "de::id_of")]
    pub user: Option<String>,
    /// Whether only privileged and mentioned users can see it.
    #[serde(default, deserialize_with = "de::flag")]
    pub secret: bool,
    /// Created, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub created_at: Option<i64>,
}

/// One field of a note.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NoteField {
    /// The field's type (`note`, `score`…).
    #[serde(default, rename = "type")]
    pub r#type: Option<String>,
    /// The field's label.
    #[serde(default)]
    pub text: Option<String>,
    /// The field's value as Lever sent it.
    #[serde(default)]
    pub value: Value,
}

impl Note {
    /// The note's text, best effort: the top-level `text` and `value` when they are
    /// strings, then each field's `value` that is a string, joined by newlines. Field
    /// labels are left out. Use it to look for a marker this service wrote.
    pub fn text(&self) -> String {
        let top = [
            self.text.as_deref(),
            self.value.as_ref().and_then(Value::as_str),
        ];
        let fields = self.fields.iter().map(|f| f.value.as_str());
        top.into_iter()
            .chain(fields)
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_joins_the_string_values_and_skips_labels() {
        let note: Note = serde_json::from_str(
            r#"{
                "id": "n1",
                "fields": [
                    {"type": "note", "text": "Note", "value": "Background check ordered [lever-hooks:bgc]"},
                    {"type": "score", "text": "Rating", "value": 3},
                    {"type": "note", "text": "Note", "value": "second comment"}
                ],
                "createdAt": "1717000000000",
                "user": {"id": "u1", "name": "Ann"}
            }"#,
        )
        .unwrap();
        assert_eq!(
            note.text(),
            "Background check ordered [lever-hooks:bgc]\nsecond comment"
        );
        assert_eq!(note.created_at, Some(1717000000000));
        assert_eq!(note.user.as_deref(), Some("u1"));

        let flat: Note = serde_json::from_str(r#"{"id": "n2", "value": "plain"}"#).unwrap();
        assert_eq!(flat.text(), "plain");
    }
}
