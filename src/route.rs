//! Routing: which handlers get a job for an event, from the `[[routes]]` rules (pure), and
//! the router task that applies them to stored events ([`RouterTask`]).
//!
//! Besides Lever's event names, a route can name a *meaning*: `hired` (a
//! `candidateHired`, or an archive with a reason of type hired), `archived` (optionally
//! only one [`ArchiveReasonType`]) and `unarchived`. Stage filters take a stage id or its name.
//! Names and reason types are not in the payload; the dispatcher looks them up through
//! the Data API ([`lookup`]) and hands them in as [`Facts`], so the rules stay pure. So are
//! a route's [`conditions`] on the opportunity (its posting, tags, answers, …): the router
//! reads the opportunity only when some route that could match has conditions.

pub mod conditions;
pub mod lookup;
mod provider_result;
mod settings;
mod task;

pub use provider_result::result_handlers;
pub use settings::RouteConfig;

/// The type of an archive reason, as Lever classifies it: the model's own type, so a
/// route's `reason_type` and the Data API's answer are one vocabulary.
pub use crate::lever::ArchiveReasonType;
pub use task::{RoutedBatch, RouterTask};

use crate::event::LeverEvent;
use crate::lever::OpportunityFacts;
use crate::store::StoredEvent;

/// The meaning "an opportunity was hired", whichever event said so.
pub const MEANING_HIRED: &str = "hired";
/// The meaning "an opportunity was archived" (with `reason_type` to pick hires or the rest).
pub const MEANING_ARCHIVED: &str = "archived";
/// The meaning "an archived opportunity became active again".
pub const MEANING_UNARCHIVED: &str = "unarchived";
/// Every meaning a route may name in `events`.
pub const MEANINGS: [&str; 3] = [MEANING_HIRED, MEANING_ARCHIVED, MEANING_UNARCHIVED];

/// What routing knows about an event beyond its payload (looked up per account).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The name of the stage a stage change went to.
    pub to_stage_name: Option<String>,
    /// The name of the stage a stage change came from.
    pub from_stage_name: Option<String>,
    /// The type of the reason an opportunity was archived with.
    pub reason_type: Option<ArchiveReasonType>,
    /// The event's opportunity as it is now, for routes with conditions; `None` when not
    /// read or not readable (no Data API), and then routes with conditions do not match.
    pub opportunity: Option<OpportunityFacts>,
}

/// Which [`Facts`] an event's routing depends on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// Some route filters stages by something other than the ids in the payload.
    pub stage_names: bool,
    /// Some route asks about hires or archive reason types, and the event is an archive.
    pub reason_type: bool,
    /// Some route that could match has conditions on the opportunity, and the event is
    /// about one: read it.
    pub opportunity: bool,
}

/// One handler an event goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// The handler's name.
    pub handler: String,
    /// Matched only through the `hired` meaning: such a handler hears of each
    /// opportunity's hire once, however many events Lever sends about it.
    pub as_hire: bool,
}

/// The compiled `[[routes]]`.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<RouteConfig>,
}

impl Router {
    /// Compiles the routes from config.
    pub fn new(routes: &[RouteConfig]) -> Self {
        Self {
            routes: routes.to_vec(),
        }
    }

    /// Which facts routing this event needs looked up.
    pub fn needs(&self, event_name: &str, typed: Option<&LeverEvent>) -> Needs {
        let mut needs = Needs::default();
        match typed {
            Some(LeverEvent::CandidateStageChange(change)) => {
                let ids = [
                    Some(change.to_stage.as_str()),
                    change.from_stage.as_ref().map(|s| s.as_str()),
                ];
                needs.stage_names = self.routes.iter().any(|route| {
                    names_event(route, event_name)
                        && [&route.to_stage, &route.from_stage]
                            .into_iter()
                            .flatten()
                            .any(|wanted| !ids.contains(&Some(wanted.as_str())))
                });
            }
            Some(LeverEvent::CandidateArchiveChange(change)) => {
                let has_reason = change
                    .to_archived
                    .as_ref()
                    .is_some_and(|a| a.reason.is_some());
                needs.reason_type = has_reason
                    && self.routes.iter().any(|route| {
                        route.reason_type.is_some()
                            || route.events.iter().any(|e| e == MEANING_HIRED)
                    });
            }
            _ => {}
        }
        let archive_or_hire = matches!(
            typed,
            Some(LeverEvent::CandidateArchiveChange(_) | LeverEvent::CandidateHired(_))
        );
        needs.opportunity = typed.and_then(LeverEvent::opportunity_id).is_some()
            && self.routes.iter().any(|route| {
                !route.conditions.is_empty()
                    && (names_event(route, event_name)
                        || (archive_or_hire
                            && route.events.iter().any(|e| MEANINGS.contains(&e.as_str()))))
            });
        needs
    }

    /// The handlers an event goes to, each once, in the order routes name them.
    ///
    /// `typed` is the decoded event, or `None` when its data did not decode; then only
    /// routes without stage filters or meanings can match.
    pub fn handlers_for(
        &self,
        event_name: &str,
        typed: Option<&LeverEvent>,
        facts: &Facts,
    ) -> Vec<RouteMatch> {
        let mut matched: Vec<RouteMatch> = Vec::new();
        for route in &self.routes {
            let Some(how) = route_matches(route, event_name, typed, facts) else {
                continue;
            };
            let as_hire = how == How::HireMeaning;
            match matched.iter_mut().find(|m| m.handler == route.handler) {
                Some(existing) => existing.as_hire &= as_hire,
                None => matched.push(RouteMatch {
                    handler: route.handler.clone(),
                    as_hire,
                }),
            }
        }
        matched
    }
}

/// How a route matched an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    /// By the event's own name, or `*`.
    Name,
    /// Only through the `hired` meaning.
    HireMeaning,
    /// Through another meaning.
    OtherMeaning,
}

fn names_event(route: &RouteConfig, event_name: &str) -> bool {
    route.events.iter().any(|e| e == "*" || e == event_name)
}

fn route_matches(
    route: &RouteConfig,
    event_name: &str,
    typed: Option<&LeverEvent>,
    facts: &Facts,
) -> Option<How> {
    let how = if names_event(route, event_name) {
        How::Name
    } else {
        let archive = match typed {
            Some(LeverEvent::CandidateArchiveChange(change)) => Some(change),
            _ => None,
        };
        let archived = archive.is_some_and(|c| c.to_archived.is_some());
        let hired = matches!(typed, Some(LeverEvent::CandidateHired(_)))
            || (archived && facts.reason_type == Some(ArchiveReasonType::Hired));
        let by_meaning = |meaning: &str| route.events.iter().any(|e| e == meaning);
        if by_meaning(MEANING_HIRED) && hired {
            How::HireMeaning
        } else if (by_meaning(MEANING_ARCHIVED) && archived)
            || (by_meaning(MEANING_UNARCHIVED) && archive.is_some_and(|c| c.is_unarchive()))
        {
            How::OtherMeaning
        } else {
            return None;
        }
    };
    if let Some(wanted) = &route.reason_type {
        if facts.reason_type.as_ref() != Some(wanted) {
            return None;
        }
    }
    let to = typed.and_then(LeverEvent::to_stage).map(|s| s.as_str());
    let from = typed.and_then(LeverEvent::from_stage).map(|s| s.as_str());
    let stages_ok = stage_matches(&route.to_stage, to, facts.to_stage_name.as_deref())
        && stage_matches(&route.from_stage, from, facts.from_stage_name.as_deref());
    let conditions_ok = route.conditions.is_empty()
        || facts
            .opportunity
            .as_ref()
            .is_some_and(|o| route.conditions.matches(o));
    (stages_ok && conditions_ok).then_some(how)
}

/// A stage filter matches the stage's id exactly or its name, ignoring case and
/// surrounding spaces.
fn stage_matches(wanted: &Option<String>, id: Option<&str>, name: Option<&str>) -> bool {
    let Some(wanted) = wanted else {
        return true;
    };
    id == Some(wanted.as_str())
        || name.is_some_and(|name| name.trim().eq_ignore_ascii_case(wanted.trim()))
}

/// The key that keeps one handler's jobs for one opportunity (else one contact) in order.
///
/// Events about neither have no key and run as soon as a worker is free.
pub fn order_key(event: &StoredEvent, handler: &str) -> Option<String> {
    let account = &event.account;
    if let Some(opportunity) = &event.opportunity_id {
        Some(format!("{account}/opportunity/{opportunity}/{handler}"))
    } else {
        event
            .contact_id
            .as_ref()
            .map(|contact| format!("{account}/contact/{contact}/{handler}"))
    }
}

#[cfg(test)]
mod tests;
