//! The `data` payload of each known Lever event type, decoded tolerantly.

use super::ids::{ApplicationId, ArchiveReasonId, ContactId, InterviewId, OpportunityId, StageId};
use serde::{Deserialize, Deserializer};

/// `candidateStageChange`: the opportunity moved from one stage to another.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "RawStageChange")]
pub struct StageChange {
    /// The candidacy that moved.
    pub opportunity_id: OpportunityId,
    /// The person, when the payload names it.
    pub contact_id: Option<ContactId>,
    /// The stage it left (absent for a brand-new opportunity).
    pub from_stage: Option<StageId>,
    /// The stage it entered.
    pub to_stage: StageId,
}

/// `candidateArchiveChange`: archived, unarchived, or archived with a new reason.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "RawArchiveChange")]
pub struct ArchiveChange {
    /// The candidacy whose archive state changed.
    pub opportunity_id: OpportunityId,
    /// The person, when the payload names it.
    pub contact_id: Option<ContactId>,
    /// The archive state before (`None`: it was active).
    pub from_archived: Option<ArchiveState>,
    /// The archive state after (`None`: it is active again).
    pub to_archived: Option<ArchiveState>,
}

impl ArchiveChange {
    /// True when the opportunity became active again.
    pub fn is_unarchive(&self) -> bool {
        self.to_archived.is_none()
    }
}

/// An archive state: when and why.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveState {
    /// The archive reason; its type (`hired`, `non-hired`) is looked up through the Data API.
    #[serde(default)]
    pub reason: Option<ArchiveReasonId>,
    /// When it was archived, in ms since the epoch (Lever sometimes sends it as a string).
    #[serde(default, deserialize_with = "lenient_millis")]
    pub archived_at: Option<u64>,
}

/// `candidateHired`: the opportunity was marked hired.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "RawSubject")]
pub struct Hired {
    /// The candidacy that was hired.
    pub opportunity_id: OpportunityId,
    /// The person, when the payload names it.
    pub contact_id: Option<ContactId>,
}

/// `applicationCreated`: an application (and usually an opportunity) was created.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "RawApplicationCreated")]
pub struct ApplicationCreated {
    /// The candidacy the application belongs to.
    pub opportunity_id: OpportunityId,
    /// The person, when the payload names it.
    pub contact_id: Option<ContactId>,
    /// The application.
    pub application_id: Option<ApplicationId>,
}

/// `candidateDeleted`: the opportunity was deleted.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "RawDeleted")]
pub struct Deleted {
    /// The deleted candidacy.
    pub opportunity_id: OpportunityId,
    /// The person, when the payload names it.
    pub contact_id: Option<ContactId>,
    /// The Lever user who deleted it, when sent.
    pub deleted_by: Option<String>,
}

/// `interviewCreated`, `interviewUpdated`, `interviewDeleted` (Beta; fields unconfirmed, all optional).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(from = "RawInterviewChange")]
pub struct InterviewChange {
    /// The interview.
    pub interview_id: Option<InterviewId>,
    /// The panel the interview belongs to.
    pub panel_id: Option<String>,
    /// The candidacy (or the deprecated `candidateId` when that is all there is).
    pub opportunity_id: Option<OpportunityId>,
    /// The person.
    pub contact_id: Option<ContactId>,
}

/// `contactCreated`, `contactUpdated`: a person was created or changed.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "RawContactChange")]
pub struct ContactChange {
    /// The person.
    pub contact_id: ContactId,
}

/// `contactId`, or a string `contact` when that is all there is (an object `contact` is ignored).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawContactChange {
    #[serde(default)]
    contact_id: Option<String>,
    #[serde(default)]
    contact: Option<serde_json::Value>,
}

impl TryFrom<RawContactChange> for ContactChange {
    type Error = &'static str;
    fn try_from(raw: RawContactChange) -> Result<Self, Self::Error> {
        let fallback = match raw.contact {
            Some(serde_json::Value::String(id)) => Some(id),
            _ => None,
        };
        non_empty(&raw.contact_id)
            .map(str::to_owned)
            .or(fallback.filter(|id| !id.is_empty()))
            .map(|id| Self {
                contact_id: ContactId::new(id),
            })
            .ok_or("missing `contactId`")
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSubject {
    #[serde(default)]
    opportunity_id: Option<String>,
    #[serde(default)]
    candidate_id: Option<String>,
    #[serde(default)]
    contact_id: Option<String>,
}

impl RawSubject {
    /// `opportunityId`, or the deprecated `candidateId` when Lever left it out.
    fn opportunity(&self) -> Result<OpportunityId, &'static str> {
        self.opportunity_if_any()
            .ok_or("missing `opportunityId` (and no `candidateId` to stand in)")
    }

    /// Like [`Self::opportunity`], for events that need not be about an opportunity.
    fn opportunity_if_any(&self) -> Option<OpportunityId> {
        non_empty(&self.opportunity_id)
            .or_else(|| non_empty(&self.candidate_id))
            .map(OpportunityId::new)
    }

    fn contact(&self) -> Option<ContactId> {
        non_empty(&self.contact_id).map(ContactId::new)
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !s.is_empty())
}

impl TryFrom<RawSubject> for Hired {
    type Error = &'static str;
    fn try_from(raw: RawSubject) -> Result<Self, Self::Error> {
        Ok(Self {
            opportunity_id: raw.opportunity()?,
            contact_id: raw.contact(),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStageChange {
    #[serde(flatten)]
    subject: RawSubject,
    #[serde(default)]
    from_stage_id: Option<String>,
    #[serde(default)]
    to_stage_id: Option<String>,
}

impl TryFrom<RawStageChange> for StageChange {
    type Error = &'static str;
    fn try_from(raw: RawStageChange) -> Result<Self, Self::Error> {
        Ok(Self {
            opportunity_id: raw.subject.opportunity()?,
            contact_id: raw.subject.contact(),
            from_stage: non_empty(&raw.from_stage_id).map(StageId::new),
            to_stage: non_empty(&raw.to_stage_id)
                .map(StageId::new)
                .ok_or("missing `toStageId`")?,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawArchiveChange {
    #[serde(flatten)]
    subject: RawSubject,
    #[serde(default)]
    from_archived: Option<ArchiveState>,
    #[serde(default)]
    to_archived: Option<ArchiveState>,
}

impl TryFrom<RawArchiveChange> for ArchiveChange {
    type Error = &'static str;
    fn try_from(raw: RawArchiveChange) -> Result<Self, Self::Error> {
        Ok(Self {
            opportunity_id: raw.subject.opportunity()?,
            contact_id: raw.subject.contact(),
            from_archived: raw.from_archived,
            to_archived: raw.to_archived,
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawApplicationCreated {
    #[serde(flatten)]
    subject: RawSubject,
    #[serde(default)]
    application_id: Option<String>,
}

impl TryFrom<RawApplicationCreated> for ApplicationCreated {
    type Error = &'static str;
    fn try_from(raw: RawApplicationCreated) -> Result<Self, Self::Error> {
        Ok(Self {
            opportunity_id: raw.subject.opportunity()?,
            contact_id: raw.subject.contact(),
            application_id: non_empty(&raw.application_id).map(ApplicationId::new),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDeleted {
    #[serde(flatten)]
    subject: RawSubject,
    #[serde(default)]
    deleted_by: Option<String>,
}

impl TryFrom<RawDeleted> for Deleted {
    type Error = &'static str;
    fn try_from(raw: RawDeleted) -> Result<Self, Self::Error> {
        Ok(Self {
            opportunity_id: raw.subject.opportunity()?,
            contact_id: raw.subject.contact(),
            deleted_by: raw.deleted_by,
        })
    }
}

// Lever sends both `opportunityId` and the deprecated `candidateId`, so `candidateId` cannot
// be a serde alias of `opportunityId` (serde would call the pair a duplicate field).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawInterviewChange {
    #[serde(flatten)]
    subject: RawSubject,
    #[serde(default)]
    interview_id: Option<String>,
    #[serde(default)]
    panel_id: Option<String>,
}

impl From<RawInterviewChange> for InterviewChange {
    fn from(raw: RawInterviewChange) -> Self {
        Self {
            interview_id: non_empty(&raw.interview_id).map(InterviewId::new),
            panel_id: raw.panel_id.filter(|id| !id.is_empty()),
            opportunity_id: raw.subject.opportunity_if_any(),
            contact_id: raw.subject.contact(),
        }
    }
}

/// Milliseconds that may arrive as a JSON number or as a string of digits.
fn lenient_millis<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(u64),
        Text(String),
    }
    match Option::<NumberOrText>::deserialize(deserializer)? {
        None => Ok(None),
        Some(NumberOrText::Number(n)) => Ok(Some(n)),
        Some(NumberOrText::Text(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not a timestamp"))),
    }
}
