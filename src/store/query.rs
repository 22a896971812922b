//! Looking events up for operators: the one filter vocabulary of the admin API and CLI
//! ([`EventFilter`]), an event's status, and pages of events newest first (pure).

use super::{Job, JobState, Millis, StoreError, StoredEvent};
use crate::event::EventId;
use serde::{Deserialize, Serialize};

/// Checks a page cursor: absent, or an event id (the previous page's `next`). Every
/// store calls this first, so a malformed `before` is refused the same way everywhere
/// instead of being read as a position in the ordering.
pub fn cursor(before: Option<&str>) -> Result<Option<&str>, StoreError> {
    match before {
        Some(text) if !EventId::is_well_formed(text) => {
            Err(StoreError::InvalidCursor(text.to_owned()))
        }
        _ => Ok(before),
    }
}

/// Which events an operator means. Every field narrows; nothing set means every event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventFilter {
    /// Only this account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Only this Lever event name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Only events about this opportunity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opportunity: Option<String>,
    /// Only events about this contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Only events with a job for this handler (and job-level filters look at that job).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    /// Only events in this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<EventStatus>,
    /// Received at or after (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Millis>,
    /// Received before (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Millis>,
}

/// Where an event is, from its jobs (those of `handler` when the filter names one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Stored, not routed yet.
    Unrouted,
    /// Some job still to run (or retrying).
    Pending,
    /// Some job is a dead letter.
    Dead,
    /// Every job finished, or it went to no handler.
    Done,
}

impl EventStatus {
    /// The status of an event with `jobs` (`routed` false: not routed yet).
    pub fn of(routed: bool, jobs: &[&Job]) -> Self {
        if !routed {
            Self::Unrouted
        } else if jobs.iter().any(|j| j.state == JobState::Dead) {
            Self::Dead
        } else if jobs.iter().any(|j| j.state == JobState::Pending) {
            Self::Pending
        } else {
            Self::Done
        }
    }
}

impl EventFilter {
    /// True when the event's own fields pass (everything but handler and status).
    pub fn matches_event(&self, event: &StoredEvent) -> bool {
        same(&self.account, Some(&event.account))
            && same(&self.event, Some(&event.event))
            && same(
                &self.opportunity,
                event.opportunity_id.as_ref().map(|o| o.as_str()),
            )
            && same(&self.contact, event.contact_id.as_ref().map(|c| c.as_str()))
            && self.since.map_or(true, |since| since <= event.received_at)
            && self.until.map_or(true, |until| event.received_at < until)
    }

    /// The jobs the filter looks at: all, or the named handler's.
    pub fn jobs<'a>(&self, jobs: &'a [Job]) -> Vec<&'a Job> {
        jobs.iter()
            .filter(|j| same(&self.handler, Some(&j.handler)))
            .collect()
    }

    /// True when the event passes, given its jobs and whether it was routed.
    pub fn matches(&self, event: &StoredEvent, routed: bool, jobs: &[Job]) -> bool {
        if !self.matches_event(event) {
            return false;
        }
        let considered = self.jobs(jobs);
        if self.handler.is_some() && considered.is_empty() {
            return false;
        }
        self.status.map_or(true, |status| {
            status == EventStatus::of(routed, &considered)
        })
    }
}

/// A wanted value matches when not set, or equal.
fn same(wanted: &Option<String>, actual: Option<&str>) -> bool {
    wanted.as_deref().map_or(true, |w| Some(w) == actual)
}

/// One event as operators see it: the event, its status and its jobs with attempts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    /// The stored event.
    pub event: StoredEvent,
    /// Its status (over all its jobs).
    pub status: EventStatus,
    /// Its jobs, each with every attempt.
    pub jobs: Vec<Job>,
}

/// A page of events, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    /// The events.
    pub events: Vec<EventView>,
    /// Pass as `before` for the next (older) page; `None` on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}
