//! What `POST /opportunities` takes, and what creating one answers.

use super::{Opportunity, Phone};
use serde::Serialize;

/// The body of `POST /opportunities`. Lever adds the opportunity to an existing person
/// when one of `emails` matches a contact, or to `contact` when it is set; otherwise a
/// new contact is made. Unset fields are left out of the body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewOpportunity {
    /// The candidate's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Current company, school…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    /// The stage UID to start in (Lever's default otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Where the candidate is, as free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Phone numbers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<Phone>,
    /// Email addresses; the first matching contact's is reused.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    /// Links (they belong to the contact).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Sources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// `agency`, `applied`, `internal`, `referred`, `sourced` or `university`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The owner's user UID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Followers' user UIDs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub followers: Vec<String>,
    /// The contact UID to add this opportunity to, instead of matching by email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// The posting applied to: Lever takes one per request (sent as `postings: [id]`).
    #[serde(
        rename = "postings",
        skip_serializing_if = "Option::is_none",
        serialize_with = "one_posting"
    )]
    pub posting: Option<String>,
    /// Created, ms since the epoch (past only; now otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Create it archived already.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived: Option<NewArchived>,
}

/// `archived` of a new opportunity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewArchived {
    /// The archive reason UID.
    pub reason: String,
    /// When, ms since the epoch (now otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<i64>,
}

fn one_posting<S: serde::Serializer>(posting: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    posting.as_slice().serialize(s)
}

/// What creating an opportunity gave.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedOpportunity {
    /// The opportunity Lever made.
    pub opportunity: Opportunity,
    /// It was added to a person Lever already had (matched by email, or the `contact`
    /// asked for), rather than to a new contact.
    pub deduped: bool,
}
