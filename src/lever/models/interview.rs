//! A scheduled interview on an opportunity, and who sits on it.

use super::de;
use serde::{Deserialize, Serialize};

/// One interview: `GET /opportunities/:id/interviews[/:interview]`, and each entry of a
/// panel's `interviews`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Interview {
    /// The interview UID.
    pub id: String,
    /// The panel (UID) it belongs to.
    #[serde(default, deserialize_with = "de::id_of")]
    pub panel: Option<String>,
    /// The calendar subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// The note shown to interviewers.
    #[serde(default)]
    pub note: Option<String>,
    /// Who interviews.
    #[serde(default, deserialize_with = "de::list")]
    pub interviewers: Vec<Interviewer>,
    /// IANA time zone, e.g. `America/Los_Angeles`.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Created, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub created_at: Option<i64>,
    /// Starts, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub date: Option<i64>,
    /// Length in minutes.
    #[serde(default, deserialize_with = "de::millis")]
    pub duration: Option<i64>,
    /// Where: a room, an address or a video link.
    #[serde(default)]
    pub location: Option<String>,
    /// The feedback template (UID) interviewers fill in.
    #[serde(default, deserialize_with = "de::id_of")]
    pub feedback_template: Option<String>,
    /// Feedback (UIDs) already submitted for it.
    #[serde(default, deserialize_with = "de::ids")]
    pub feedback_forms: Vec<String>,
    /// When to remind interviewers: `once`, `daily`, `frequently` or `none`.
    #[serde(default)]
    pub feedback_reminder: Option<String>,
    /// Who scheduled it (user UID).
    #[serde(default, deserialize_with = "de::id_of")]
    pub user: Option<String>,
    /// The opportunity's stage (UID) when it was scheduled.
    #[serde(default, deserialize_with = "de::id_of")]
    pub stage: Option<String>,
    /// Canceled, ms since the epoch; `None` unless canceled.
    #[serde(default, deserialize_with = "de::millis")]
    pub canceled_at: Option<i64>,
    /// The postings (UIDs) it is for.
    #[serde(default, deserialize_with = "de::ids")]
    pub postings: Vec<String>,
    /// The Google Calendar event, when scheduled through it.
    #[serde(default)]
    pub gcal_event_url: Option<String>,
}

impl Interview {
    /// Whether it was canceled.
    pub fn is_canceled(&self) -> bool {
        self.canceled_at.is_some()
    }
}

/// One interviewer of an [`Interview`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Interviewer {
    /// The interviewer's user UID.
    #[serde(default)]
    pub id: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
    /// The feedback template (UID) this interviewer fills in.
    #[serde(default, deserialize_with = "de::id_of")]
    pub feedback_template: Option<String>,
    /// When to remind this interviewer.
    #[serde(default)]
    pub feedback_reminder: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interview_with_only_an_id_and_nulls_decodes() {
        let interview: Interview = serde_json::from_str(
            r#"{"id": "i1", "panel": null, "interviewers": null, "date": "1746662400000",
                "feedbackForms": null, "postings": [{"id": "p1"}], "canceledAt": null}"#,
        )
        .unwrap();
        assert_eq!(interview.id, "i1");
        assert!(interview.interviewers.is_empty() && interview.feedback_forms.is_empty());
        assert_eq!(interview.date, Some(1_746_662_400_000));
        assert_eq!(interview.postings, ["p1"]);
        assert!(!interview.is_canceled());
        let bare: Interviewer = serde_json::from_str(r#"{"email": "a@example.com"}"#).unwrap();
        assert_eq!(bare.id, None);
    }
}
