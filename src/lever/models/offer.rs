//! An offer on an opportunity: its status, template fields and signatures.

use super::de;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// One offer from `GET /opportunities/:id/offers`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    /// The offer UID.
    pub id: String,
    /// `draft`, `approval-sent`, `approved`, `sent`, `sent-manually`, `opened`, `denied`
    /// or `signed`.
    #[serde(default)]
    pub status: Option<String>,
    /// Created, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub created_at: Option<i64>,
    /// The creator's user UID.
    #[serde(default, deserialize_with = "de::id_of")]
    pub creator: Option<String>,
    /// The template's fields; identifiers are account-configurable (see [`Offer::field`]).
    #[serde(default, deserialize_with = "de::list")]
    pub fields: Vec<OfferField>,
    /// Signature records, whether Lever sends them as an object keyed by role or a list.
    #[serde(default, deserialize_with = "signatures")]
    pub signatures: Vec<OfferSignature>,
    /// The document as sent.
    #[serde(default)]
    pub sent_document: Option<OfferDocument>,
    /// The signed document; present as soon as any signer signed.
    #[serde(default)]
    pub signed_document: Option<OfferDocument>,
    /// Approved, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub approved_at: Option<i64>,
    /// Sent, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub sent_at: Option<i64>,
}

impl Offer {
    /// The value of the field with this identifier (`job_title`, `salary_amount`,
    /// `anticipated_start_date`, `custom_…`), if the offer has it.
    pub fn field(&self, identifier: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|f| f.identifier.as_deref() == Some(identifier))
            .map(|f| &f.value)
    }

    /// A field's value when it is a string.
    pub fn field_str(&self, identifier: &str) -> Option<&str> {
        self.field(identifier).and_then(Value::as_str)
    }

    /// Whether the offer is signed: Lever's status says `signed`. A `signed_document`
    /// alone is not enough, since it appears when the first of several signers signs.
    pub fn is_signed(&self) -> bool {
        self.status.as_deref() == Some("signed")
    }
}

/// One field of an offer's template.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OfferField {
    /// The machine name (`salary_amount`, `custom_equity`…).
    #[serde(default)]
    pub identifier: Option<String>,
    /// The label shown in Lever.
    #[serde(default)]
    pub text: Option<String>,
    /// The value as Lever sent it: a string, a number (amounts, ms dates) or `null`.
    #[serde(default)]
    pub value: Value,
}

/// One signer's progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferSignature {
    /// The signer's role (`candidate`, …); taken from the object key when Lever keys
    /// the records by role.
    #[serde(default)]
    pub role: Option<String>,
    /// The signer's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The signer's email.
    #[serde(default)]
    pub email: Option<String>,
    /// First opened, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub first_opened_at: Option<i64>,
    /// Last opened, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub last_opened_at: Option<i64>,
    /// Signed, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub signed_at: Option<i64>,
    /// Whether this signer signed.
    #[serde(default, deserialize_with = "de::flag")]
    pub signed: bool,
}

/// An offer document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferDocument {
    /// The file name.
    #[serde(default)]
    pub file_name: Option<String>,
    /// Uploaded, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub uploaded_at: Option<i64>,
    /// Where to download it (needs the same credentials).
    #[serde(default)]
    pub download_url: Option<String>,
}

/// Signature records as a list, or as an object keyed by role; `null` is none.
fn signatures<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<OfferSignature>, D::Error> {
    let records: Vec<(Option<String>, Value)> = match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items.into_iter().map(|v| (None, v)).collect(),
        Some(Value::Object(map)) => map.into_iter().map(|(k, v)| (Some(k), v)).collect(),
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "expected signature records, got {other}"
            )))
        }
    };
    let mut out = Vec::new();
    for (role, value) in records {
        if value.is_null() {
            continue;
        }
        let mut signature: OfferSignature =
            serde_json::from_value(value).map_err(serde::de::Error::custom)?;
        if signature.role.is_none() {
            signature.role = role;
        }
        out.push(signature);
    }
    Ok(out)
}
