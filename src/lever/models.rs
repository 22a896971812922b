//! What the Data API returns, decoded tolerantly: unknown fields are ignored, every field
//! but `id` may be missing, and the shapes the docs disagree on are all accepted
//! (lever-facts.md §4.9). References that Lever can expand are kept as ids.

mod contact;
pub(crate) mod de;
mod deleted;
mod feedback;
mod interview;
mod new_opportunity;
mod note;
mod offer;
mod opportunity;
mod panel;
mod pipeline;
mod posting;
mod requisition;
mod uploaded_file;
mod user;
mod webhook;

#[cfg(test)]
mod tests;

pub use contact::Contact;
pub use deleted::DeletedOpportunity;
pub use feedback::{Feedback, FormField};
pub use interview::{Interview, Interviewer};
pub use new_opportunity::{CreatedOpportunity, NewArchived, NewOpportunity};
pub use note::{Note, NoteField};
pub use offer::{Offer, OfferDocument, OfferField, OfferSignature};
pub use opportunity::{
    Application, Archived, Opportunity, OpportunityUrls, Phone, QuestionField, QuestionForm,
    RequisitionForHire, StageChange,
};
pub use panel::Panel;
pub use pipeline::{ArchiveReason, ArchiveReasonType, Stage};
pub use posting::{Posting, PostingCategories, PostingUrls, PostingUsers};
pub use requisition::Requisition;
pub use uploaded_file::UploadedFile;
pub use user::User;
pub use webhook::{CreatedWebhook, Webhook};

use serde::{Deserialize, Serialize};

/// One page of a list endpoint: `{ "data": [...], "next": "<offset>", "hasNext": bool }`.
/// `next` and `hasNext` are often missing (a single page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The items on this page.
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    /// The `offset` that fetches the next page.
    #[serde(default, deserialize_with = "de::token")]
    pub next: Option<String>,
    /// Whether there is a next page; missing means no.
    #[serde(default, deserialize_with = "de::flag")]
    pub has_next: bool,
}

/// The `{ "data": … }` wrapper around single objects.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<T> {
    pub(crate) data: T,
}
