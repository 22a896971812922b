//! `[[routes]]` as written in the config file. `config` reads them from the file; each
//! route checks itself.

use super::conditions::Conditions;
use super::{ArchiveReasonType, MEANINGS, MEANING_ARCHIVED};
use crate::event::KNOWN_EVENTS;
use serde::Deserialize;

/// `[[routes]]`: which events go to which handler.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Lever event names, the meanings `hired`, `archived` and `unarchived`, or `*` for all.
    pub events: Vec<String>,
    /// Only stage changes into this stage: its name (resolved per account through the
    /// Data API) or its id.
    #[serde(default)]
    pub to_stage: Option<String>,
    /// Only stage changes out of this stage (name or id).
    #[serde(default)]
    pub from_stage: Option<String>,
    /// With `events = ["archived"]`: only archives whose reason is of this type,
    /// `"hired"` or `"non-hired"` (any other spelling is a config problem).
    #[serde(default)]
    pub reason_type: Option<ArchiveReasonType>,
    /// Conditions on the event's opportunity as it is now (`posting`, `tags_none`,
    /// `answers`, …), read through the account's Data API when the route is considered.
    #[serde(flatten)]
    pub conditions: Conditions,
    /// The handler that gets a job for each matching event.
    pub handler: String,
}

/// Events whose opportunity conditions cannot be read for: they are about a person, not
/// an opportunity, or the opportunity is gone.
const WITHOUT_OPPORTUNITY: [&str; 4] =
    ["*", "contactCreated", "contactUpdated", "candidateDeleted"];

impl RouteConfig {
    /// What is wrong with this route, as (key within the route, message) pairs.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if self.events.is_empty() {
            problems.push((
                "events".to_owned(),
                "list at least one event name, or \"*\"".to_owned(),
            ));
        }
        for (i, event) in self.events.iter().enumerate() {
            let plausible = event == "*"
                || (!event.is_empty() && event.bytes().all(|b| b.is_ascii_alphanumeric()));
            if !plausible {
                problems.push((
                    format!("events[{i}]"),
                    format!("`{event}` is not an event name"),
                ));
            }
        }
        let stage_filter = self.to_stage.is_some() || self.from_stage.is_some();
        let only_stage_changes = self.events.iter().all(|e| e == "candidateStageChange");
        if stage_filter && !only_stage_changes {
            let key = if self.to_stage.is_some() {
                "to_stage"
            } else {
                "from_stage"
            };
            problems.push((
                key.to_owned(),
                "stage filters only apply to candidateStageChange; set events = [\"candidateStageChange\"]".to_owned(),
            ));
        }
        if let Some(ArchiveReasonType::Other(other)) = &self.reason_type {
            problems.push((
                "reason_type".to_owned(),
                format!("`{other}` is not an archive reason type; use \"hired\" or \"non-hired\""),
            ));
        } else if self.reason_type.is_some() && !self.events.iter().all(|e| e == MEANING_ARCHIVED) {
            problems.push((
                "reason_type".to_owned(),
                "reason_type only applies to events = [\"archived\"] (for hires, events = [\"hired\"] also covers candidateHired)".to_owned(),
            ));
        }
        problems.extend(self.conditions.check());
        if !self.conditions.is_empty() {
            if let Some(event) = self
                .events
                .iter()
                .find(|e| WITHOUT_OPPORTUNITY.contains(&e.as_str()))
            {
                problems.push((
                    "events".to_owned(),
                    format!("conditions are about an opportunity, and `{event}` may not have one to read; list only events about an existing opportunity"),
                ));
            }
        }
        problems
    }

    /// Event names in this route that are not among Lever's documented ten (kept, but worth a warning).
    pub fn unfamiliar_events(&self) -> impl Iterator<Item = &str> {
        self.events
            .iter()
            .map(String::as_str)
            .filter(|e| *e != "*" && !KNOWN_EVENTS.contains(e) && !MEANINGS.contains(e))
    }
}
