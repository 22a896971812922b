//! An account's pipeline vocabulary: stages and archive reasons.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A pipeline stage (`GET /stages`), or an opportunity's stage reference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// The stage UID (built-in stages have readable ids such as `offer`).
    pub id: String,
    /// The stage's name; `None` on an unexpanded opportunity reference.
    #[serde(default)]
    pub text: Option<String>,
}

impl From<String> for Stage {
    fn from(id: String) -> Self {
        Self { id, text: None }
    }
}

/// A reason an opportunity was archived (`GET /archive_reasons`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveReason {
    /// The archive reason UID.
    pub id: String,
    /// The reason's name.
    #[serde(default)]
    pub text: Option<String>,
    /// `active` or `inactive`.
    #[serde(default)]
    pub status: Option<String>,
    /// Whether archiving for this reason means a hire.
    #[serde(default, rename = "type")]
    pub r#type: ArchiveReasonType,
}

impl ArchiveReason {
    /// Whether archiving for this reason means the candidate was hired.
    pub fn is_hired(&self) -> bool {
        self.r#type == ArchiveReasonType::Hired
    }
}

/// An archive reason's `type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveReasonType {
    /// `hired`.
    Hired,
    /// `non-hired`.
    NonHired,
    /// Anything else Lever sends; empty when the field is missing or `null`.
    Other(String),
}

impl Default for ArchiveReasonType {
    fn default() -> Self {
        Self::Other(String::new())
    }
}

impl ArchiveReasonType {
    /// Lever's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Hired => "hired",
            Self::NonHired => "non-hired",
            Self::Other(other) => other,
        }
    }
}

impl From<&str> for ArchiveReasonType {
    fn from(value: &str) -> Self {
        match value {
            "hired" => Self::Hired,
            "non-hired" => Self::NonHired,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl<'de> Deserialize<'de> for ArchiveReasonType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<String>::deserialize(d)?
            .map(|s| Self::from(s.as_str()))
            .unwrap_or_default())
    }
}

impl Serialize for ArchiveReasonType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_reason_types_decode_known_and_unknown_values() {
        let reasons: Vec<ArchiveReason> = serde_json::from_str(
            r#"[
                {"id": "a", "text": "Hired", "status": "active", "type": "hired"},
                {"id": "b", "text": "Too junior", "status": "inactive", "type": "non-hired"},
                {"id": "c", "type": "withdrawn"},
                {"id": "d", "type": null}
            ]"#,
        )
        .unwrap();
        assert!(reasons[0].is_hired());
        assert_eq!(reasons[1].r#type, ArchiveReasonType::NonHired);
        assert_eq!(
            reasons[2].r#type,
            ArchiveReasonType::Other("withdrawn".into())
        );
        assert_eq!(reasons[3].r#type, ArchiveReasonType::default());
        assert_eq!(
            serde_json::to_value(&reasons[1]).unwrap()["type"],
            "non-hired"
        );
    }
}
