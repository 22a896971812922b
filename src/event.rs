//! Typed Lever events: the ten event types Lever sends, decoded from a delivery's `data`.
//!
//! Decoding is tolerant the way Lever's payloads need: unknown fields are ignored, the
//! deprecated `candidateId` stands in when `opportunityId` is missing, timestamps may come
//! as numbers or strings, and an event type we do not know becomes [`LeverEvent::Unknown`]
//! instead of an error.
//!
//! Besides Lever's events, [`ProviderResult`] is lever-hooks' own `providerResult` event:
//! a provider's answer to a request a handler made.

mod ids;
mod payload;
mod provider_result;
mod source;

pub use ids::{
    ApplicationId, ArchiveReasonId, ContactId, EventId, InterviewId, OpportunityId, StageId,
};
pub use payload::{
    ApplicationCreated, ArchiveChange, ArchiveState, ContactChange, Deleted, Hired,
    InterviewChange, StageChange,
};
pub use provider_result::{ProviderResult, PROVIDER_RESULT_EVENT};
pub use source::{EventSource, RECONCILE_KEY_PREFIX};

use serde_json::value::RawValue;

/// The names of the event types Lever documents, in the order of its docs.
pub const KNOWN_EVENTS: [&str; 10] = [
    "applicationCreated",
    "candidateHired",
    "candidateStageChange",
    "candidateArchiveChange",
    "candidateDeleted",
    "interviewCreated",
    "interviewUpdated",
    "interviewDeleted",
    "contactCreated",
    "contactUpdated",
];

/// One decoded Lever event.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum LeverEvent {
    /// `candidateStageChange`: an opportunity moved between pipeline stages.
    CandidateStageChange(StageChange),
    /// `candidateArchiveChange`: an opportunity was archived, unarchived, or its reason changed.
    CandidateArchiveChange(ArchiveChange),
    /// `candidateHired`: an opportunity was marked hired.
    CandidateHired(Hired),
    /// `applicationCreated`: a new application (and so usually a new opportunity).
    ApplicationCreated(ApplicationCreated),
    /// `candidateDeleted`: an opportunity was deleted.
    CandidateDeleted(Deleted),
    /// `interviewCreated` (Beta in Lever).
    InterviewCreated(InterviewChange),
    /// `interviewUpdated` (Beta in Lever).
    InterviewUpdated(InterviewChange),
    /// `interviewDeleted` (Beta in Lever).
    InterviewDeleted(InterviewChange),
    /// `contactCreated`: a person was created.
    ContactCreated(ContactChange),
    /// `contactUpdated`: a person's details changed.
    ContactUpdated(ContactChange),
    /// An event type this version does not know; kept and routed to routes that name it or `*`.
    Unknown {
        /// The event name as Lever sent it.
        event: String,
        /// The `data` object exactly as Lever sent it.
        data: Box<RawValue>,
    },
}

/// Why a known event's `data` could not be decoded into its typed form.
#[derive(Debug, thiserror::Error)]
#[error("cannot decode `{event}` data: {source}")]
pub struct DecodeError {
    /// The event name.
    pub event: String,
    /// What serde found wrong.
    #[source]
    pub source: serde_json::Error,
}

impl LeverEvent {
    /// Decodes `data` for the event named `event`.
    ///
    /// A known event whose `data` lacks what it needs (say a stage change without an
    /// opportunity) is an error; an unknown event name never is.
    pub fn decode(event: &str, data: &RawValue) -> Result<Self, DecodeError> {
        let json = data.get();
        let wrap = |source| DecodeError {
            event: event.to_owned(),
            source,
        };
        let decoded = match event {
            "candidateStageChange" => Self::CandidateStageChange(from(json).map_err(wrap)?),
            "candidateArchiveChange" => Self::CandidateArchiveChange(from(json).map_err(wrap)?),
            "candidateHired" => Self::CandidateHired(from(json).map_err(wrap)?),
            "applicationCreated" => Self::ApplicationCreated(from(json).map_err(wrap)?),
            "candidateDeleted" => Self::CandidateDeleted(from(json).map_err(wrap)?),
            "interviewCreated" => Self::InterviewCreated(from(json).map_err(wrap)?),
            "interviewUpdated" => Self::InterviewUpdated(from(json).map_err(wrap)?),
            "interviewDeleted" => Self::InterviewDeleted(from(json).map_err(wrap)?),
            "contactCreated" => Self::ContactCreated(from(json).map_err(wrap)?),
            "contactUpdated" => Self::ContactUpdated(from(json).map_err(wrap)?),
            other => Self::Unknown {
                event: other.to_owned(),
                data: data.to_owned(),
            },
        };
        Ok(decoded)
    }

    /// The event name as Lever spells it.
    pub fn name(&self) -> &str {
        match self {
            Self::CandidateStageChange(_) => "candidateStageChange",
            Self::CandidateArchiveChange(_) => "candidateArchiveChange",
            Self::CandidateHired(_) => "candidateHired",
            Self::ApplicationCreated(_) => "applicationCreated",
            Self::CandidateDeleted(_) => "candidateDeleted",
            Self::InterviewCreated(_) => "interviewCreated",
            Self::InterviewUpdated(_) => "interviewUpdated",
            Self::InterviewDeleted(_) => "interviewDeleted",
            Self::ContactCreated(_) => "contactCreated",
            Self::ContactUpdated(_) => "contactUpdated",
            Self::Unknown { event, .. } => event,
        }
    }

    /// The opportunity this event is about, when it is about one.
    pub fn opportunity_id(&self) -> Option<&OpportunityId> {
        match self {
            Self::CandidateStageChange(e) => Some(&e.opportunity_id),
            Self::CandidateArchiveChange(e) => Some(&e.opportunity_id),
            Self::CandidateHired(e) => Some(&e.opportunity_id),
            Self::ApplicationCreated(e) => Some(&e.opportunity_id),
            Self::CandidateDeleted(e) => Some(&e.opportunity_id),
            Self::InterviewCreated(e) | Self::InterviewUpdated(e) | Self::InterviewDeleted(e) => {
                e.opportunity_id.as_ref()
            }
            Self::ContactCreated(_) | Self::ContactUpdated(_) | Self::Unknown { .. } => None,
        }
    }

    /// The person this event is about, when the payload names one.
    pub fn contact_id(&self) -> Option<&ContactId> {
        match self {
            Self::CandidateStageChange(e) => e.contact_id.as_ref(),
            Self::CandidateArchiveChange(e) => e.contact_id.as_ref(),
            Self::CandidateHired(e) => e.contact_id.as_ref(),
            Self::ApplicationCreated(e) => e.contact_id.as_ref(),
            Self::CandidateDeleted(e) => e.contact_id.as_ref(),
            Self::InterviewCreated(e) | Self::InterviewUpdated(e) | Self::InterviewDeleted(e) => {
                e.contact_id.as_ref()
            }
            Self::ContactCreated(e) | Self::ContactUpdated(e) => Some(&e.contact_id),
            Self::Unknown { .. } => None,
        }
    }

    /// The stage an opportunity moved to, for stage changes.
    pub fn to_stage(&self) -> Option<&StageId> {
        match self {
            Self::CandidateStageChange(e) => Some(&e.to_stage),
            _ => None,
        }
    }

    /// The stage an opportunity moved from, for stage changes.
    pub fn from_stage(&self) -> Option<&StageId> {
        match self {
            Self::CandidateStageChange(e) => e.from_stage.as_ref(),
            _ => None,
        }
    }
}

fn from<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str(json)
}

#[cfg(test)]
mod tests;
