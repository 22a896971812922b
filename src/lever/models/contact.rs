//! A contact: the person behind one or more opportunities.

use super::de;
use super::Phone;
use serde::{Deserialize, Serialize};

/// `GET /contacts/:id`. The contact UID is the person key across opportunities.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// The contact UID.
    pub id: String,
    /// The person's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The person's headline.
    #[serde(default)]
    pub headline: Option<String>,
    /// Where the person is: Lever sends `{"name": …}` here, kept as the name.
    #[serde(default, deserialize_with = "de::location")]
    pub location: Option<String>,
    /// Email addresses.
    #[serde(default, deserialize_with = "de::list")]
    pub emails: Vec<String>,
    /// Phone numbers.
    #[serde(default, deserialize_with = "de::list")]
    pub phones: Vec<Phone>,
    /// Whether the person's data was anonymized.
    #[serde(default, deserialize_with = "de::flag")]
    pub is_anonymized: bool,
}
