//! The pure comparison at the heart of reconciliation: the last known state of an
//! opportunity against what the Data API shows now, giving the changes no event told us.

use crate::lever::{Archived, DeletedOpportunity, Opportunity};
use crate::opportunity_state::OpportunityState;
use crate::store::Millis;
use std::collections::BTreeSet;

/// One change found by comparing, about one opportunity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The opportunity.
    pub opportunity: String,
    /// The person, when known.
    pub contact: Option<String>,
    /// What changed.
    pub what: What,
    /// Lever's time of the change (ms), or the best stand-in Lever gives.
    pub at: Millis,
}

/// What changed, shaped like the webhook that would have told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// Moved between stages (`candidateStageChange`).
    Stage {
        /// The stage it was in, when known.
        from: Option<String>,
        /// The stage it is in now.
        to: String,
    },
    /// Archived, archived with another reason, or unarchived (`candidateArchiveChange`).
    Archive {
        /// The archive state before (`None`: active).
        from: Option<Archived>,
        /// The archive state now (`None`: active).
        to: Option<Archived>,
    },
    /// Archived with a hired reason (`candidateHired`).
    Hire {
        /// The hired reason.
        reason: String,
    },
    /// Deleted in Lever (`candidateDeleted`).
    Deletion {
        /// Who deleted it, when Lever says.
        deleted_by: Option<String>,
    },
}

impl What {
    /// The kind as metrics label it: `stage`, `archive`, `hire` or `deletion`.
    pub fn kind(&self) -> &'static str {
        match self {
            What::Stage { .. } => "stage",
            What::Archive { .. } => "archive",
            What::Hire { .. } => "hire",
            What::Deletion { .. } => "deletion",
        }
    }
}

/// The state an opportunity has in the Data API now (no `set_by`: nothing set it yet).
pub fn state_of(now: &Opportunity) -> OpportunityState {
    OpportunityState {
        stage_id: now.stage_id().map(str::to_owned),
        archived_reason: now.archived.as_ref().and_then(|a| a.reason.clone()),
        archived_at: now.archived.as_ref().and_then(|a| millis(a.archived_at)),
        contact_id: now.contact.clone(),
        updated_at: millis(now.updated_at),
        set_by: None,
        source: None,
    }
}

/// The changes between `known` and `now`. `hired_reasons` are the archive reasons of type
/// hired. Without a known stage or archive state, only changes at or after `since` count
/// (the pass's window), so an opportunity never seen before does not replay its history.
pub fn changes(
    known: Option<&OpportunityState>,
    now: &Opportunity,
    hired_reasons: &BTreeSet<String>,
    since: Millis,
) -> Vec<Change> {
    let mut found = Vec::new();
    let contact = now
        .contact
        .clone()
        .or_else(|| known.and_then(|k| k.contact_id.clone()));
    let change = |what: What, at: Millis| Change {
        opportunity: now.id.clone(),
        contact: contact.clone(),
        what,
        at,
    };
    let updated = millis(now.updated_at).unwrap_or(since);
    if let Some((what, at)) = stage_change(known, now, updated, since) {
        found.push(change(what, at));
    }
    let known_archive = known.filter(|k| k.archived_reason.is_some() || k.archived_at.is_some());
    let now_archive = now.archived.as_ref();
    let archive_differs = match (known_archive, now_archive) {
        (None, None) => false,
        (Some(k), Some(n)) => k.archived_reason != n.reason,
        (Some(_), None) => true,
        // Never seen archived: a change only when known, or archived within the window.
        (None, Some(n)) => known.is_some() || millis(n.archived_at).unwrap_or(updated) >= since,
    };
    if archive_differs {
        let from = known_archive.map(|k| Archived {
            archived_at: k.archived_at.map(|at| at as i64),
            reason: k.archived_reason.clone(),
        });
        let at = now_archive
            .and_then(|n| millis(n.archived_at))
            .unwrap_or(updated);
        found.push(change(
            What::Archive {
                from,
                to: now_archive.cloned(),
            },
            at,
        ));
        if let Some(reason) = now_archive.and_then(|n| n.reason.as_ref()) {
            if hired_reasons.contains(reason) {
                found.push(change(
                    What::Hire {
                        reason: reason.clone(),
                    },
                    at,
                ));
            }
        }
    }
    found
}

/// The stage move `now` shows that `known` does not, with its time.
fn stage_change(
    known: Option<&OpportunityState>,
    now: &Opportunity,
    updated: Millis,
    since: Millis,
) -> Option<(What, Millis)> {
    let to = now.stage_id()?;
    let last = now.stage_changes.last();
    let moved_at = last
        .filter(|c| c.to_stage_id.as_deref() == Some(to))
        .and_then(|c| millis(c.updated_at))
        .or_else(|| millis(now.last_advanced_at))
        .unwrap_or(updated);
    match known.and_then(|k| k.stage_id.as_deref()) {
        Some(known_stage) if known_stage == to => None,
        Some(known_stage) => Some((
            What::Stage {
                from: Some(known_stage.to_owned()),
                to: to.to_owned(),
            },
            moved_at,
        )),
        None => {
            // Only a move Lever recorded, within the window, from the entry before it.
            let [.., previous, last] = now.stage_changes.as_slice() else {
                return None;
            };
            if last.to_stage_id.as_deref() != Some(to) || moved_at < since {
                return None;
            }
            Some((
                What::Stage {
                    from: previous.to_stage_id.clone(),
                    to: to.to_owned(),
                },
                moved_at,
            ))
        }
    }
}

/// The deletion of an opportunity we knew (`None` for one we never saw: nothing ran for
/// it, so there is nothing to undo).
pub fn deletion(
    known: Option<&OpportunityState>,
    deleted: &DeletedOpportunity,
    fallback_at: Millis,
) -> Option<Change> {
    let known = known?;
    Some(Change {
        opportunity: deleted.id.clone(),
        contact: known.contact_id.clone().or_else(|| deleted.contact.clone()),
        what: What::Deletion {
            deleted_by: deleted.deleted_by.clone(),
        },
        at: millis(deleted.deleted_at).unwrap_or(fallback_at),
    })
}

fn millis(at: Option<i64>) -> Option<Millis> {
    at.and_then(|at| Millis::try_from(at).ok())
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
