//! The `categorize` handler's pure core: its rules, which of them match an opportunity's
//! facts (`first` or `all`), what they would do, and when a trigger is stale.

use crate::handler::Conditions;
use crate::lever::{Opportunity, OpportunityFacts};
use serde::Deserialize;

/// Which matching rules act.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Only the first rule that matches (the default).
    #[default]
    First,
    /// Every rule that matches, in order.
    All,
}

/// One `[[handlers.NAME.rules]]` entry: conditions and the actions taken when they hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A name for logs and `rules test` (default `rules[i]`).
    #[serde(default)]
    pub name: Option<String>,
    /// The conditions (the `[[routes]]` vocabulary); empty matches everything.
    #[serde(default)]
    pub when: Conditions,
    /// Tags to add.
    #[serde(default)]
    pub add_tags: Vec<String>,
    /// Tags to remove.
    #[serde(default)]
    pub remove_tags: Vec<String>,
    /// The name of a stage to move the opportunity to.
    #[serde(default)]
    pub stage: Option<String>,
    /// The name of a non-hired archive reason to archive the opportunity with.
    #[serde(default)]
    pub archive: Option<String>,
    /// A note to add.
    #[serde(default)]
    pub note: Option<String>,
}

impl Rule {
    /// The rule's name, or `rules[index]`.
    pub fn label(&self, index: usize) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("rules[{index}]"))
    }

    /// Problems with this rule, as (key within the rule, message) pairs.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut problems: Vec<_> = self
            .when
            .check()
            .into_iter()
            .map(|(key, message)| (format!("when.{key}"), message))
            .collect();
        if self.actions().is_empty() {
            problems.push((
                "add_tags".to_owned(),
                "the rule does nothing: set add_tags, remove_tags, stage, archive or note"
                    .to_owned(),
            ));
        }
        if self.stage.is_some() && self.archive.is_some() {
            problems.push((
                "archive".to_owned(),
                "a rule either moves the opportunity (stage) or archives it, not both".to_owned(),
            ));
        }
        let is_blank = |v: &Option<String>| v.as_ref().is_some_and(|s| s.trim().is_empty());
        for (key, value) in [
            ("stage", &self.stage),
            ("archive", &self.archive),
            ("note", &self.note),
        ] {
            if is_blank(value) {
                problems.push((key.to_owned(), "must not be empty".to_owned()));
            }
        }
        problems
    }

    /// What the rule does, in the order it is done, one line each.
    pub fn actions(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.add_tags.is_empty() {
            out.push(format!("add tags {}", self.add_tags.join(", ")));
        }
        if !self.remove_tags.is_empty() {
            out.push(format!("remove tags {}", self.remove_tags.join(", ")));
        }
        if let Some(note) = &self.note {
            out.push(format!("add note {note:?}"));
        }
        if let Some(stage) = &self.stage {
            out.push(format!("move to stage {stage:?}"));
        }
        if let Some(reason) = &self.archive {
            out.push(format!("archive with reason {reason:?}"));
        }
        out
    }
}

/// The indices of the rules that act on `facts`: the first match, or every match.
pub fn matching(rules: &[Rule], mode: Mode, facts: &OpportunityFacts) -> Vec<usize> {
    let matches = rules
        .iter()
        .enumerate()
        .filter(|(_, rule)| rule.when.matches(facts))
        .map(|(i, _)| i);
    match mode {
        Mode::First => matches.take(1).collect(),
        Mode::All => matches.collect(),
    }
}

/// What triggered the run, as far as staleness goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger<'a> {
    /// `applicationCreated`: the opportunity should still be where it was placed.
    ApplicationCreated,
    /// A stage change to this stage id: the opportunity should still be there.
    StageChange(&'a str),
    /// Anything else: never stale.
    Other,
}

/// Why the opportunity was already moved on by someone (so the rules leave it alone), or
/// `None` when the trigger still holds.
pub fn stale_reason(trigger: Trigger<'_>, opportunity: &Opportunity) -> Option<String> {
    if matches!(trigger, Trigger::Other) {
        return None;
    }
    if opportunity.archived.is_some() {
        return Some("the opportunity is archived".to_owned());
    }
    let current = opportunity.stage.as_ref().map(|s| s.id.as_str());
    match trigger {
        Trigger::ApplicationCreated => {
            let first = opportunity
                .stage_changes
                .first()
                .and_then(|c| c.to_stage_id.as_deref());
            let moved = opportunity.stage_changes.len() > 1
                || first.is_some_and(|first| Some(first) != current);
            moved.then(|| "the opportunity has left the stage it was placed in".to_owned())
        }
        Trigger::StageChange(to) => (current != Some(to))
            .then(|| "the opportunity is no longer in the stage it was moved to".to_owned()),
        Trigger::Other => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lever::Posting;
    use serde_json::json;

    fn facts(opportunity: serde_json::Value) -> OpportunityFacts {
        let opportunity: Opportunity = serde_json::from_value(opportunity).unwrap();
        let posting: Posting = serde_json::from_value(json!({
            "id": "p1", "text": "Backend Engineer",
            "categories": {"team": "Platform", "department": "Engineering"}
        }))
        .unwrap();
        OpportunityFacts::from_parts(opportunity, Some(posting), None)
    }

    fn referral_with_answers() -> OpportunityFacts {
        facts(json!({
            "id": "o1", "origin": "referred", "tags": [],
            "applications": [{"id": "a1", "posting": "p1", "customQuestions": [{"fields": [
                {"text": "Are you authorized to work in the US?", "value": "Yes"}
            ]}]}]
        }))
    }

    fn rules(text: &str) -> Vec<Rule> {
        #[derive(Deserialize)]
        struct Rules {
            rules: Vec<Rule>,
        }
        toml::from_str::<Rules>(text).unwrap().rules
    }

    const RULES: &str = r#"
[[rules]]
when = { posting_department = "Sales" }
add_tags = ["Sales"]

[[rules]]
when = { posting_department = "Engineering", answers = { "Are you authorized to work in the US?" = "Yes" } }
add_tags = ["Engineering", "US work authorized"]

[[rules]]
when = { origin = "referred" }
stage = "Phone Screen"
"#;

    #[test]
    fn first_takes_the_first_match_and_all_takes_every_match_in_order() {
        let rules = rules(RULES);
        let facts = referral_with_answers();
        assert_eq!(matching(&rules, Mode::First, &facts), [1]);
        assert_eq!(matching(&rules, Mode::All, &facts), [1, 2]);
    }

    #[test]
    fn an_answer_that_differs_keeps_its_rule_from_matching() {
        let rules = rules(RULES);
        let mut facts = referral_with_answers();
        facts.answers.insert(
            "Are you authorized to work in the US?".to_owned(),
            vec!["No".to_owned()],
        );
        assert_eq!(matching(&rules, Mode::All, &facts), [2]);
        facts.opportunity.origin = Some("applied".to_owned());
        assert!(matching(&rules, Mode::First, &facts).is_empty());
    }

    #[test]
    fn actions_read_in_the_order_they_are_done() {
        let rule = Rule {
            add_tags: vec!["A".into()],
            note: Some("hi".into()),
            archive: Some("Underqualified".into()),
            ..Rule::default()
        };
        assert_eq!(
            rule.actions(),
            [
                "add tags A",
                "add note \"hi\"",
                "archive with reason \"Underqualified\""
            ]
        );
        assert_eq!(rule.label(3), "rules[3]");
    }

    #[test]
    fn a_rule_that_does_nothing_or_both_moves_and_archives_is_a_problem() {
        assert_eq!(Rule::default().check()[0].0, "add_tags");
        let both = Rule {
            stage: Some("Offer".into()),
            archive: Some("Withdrew".into()),
            ..Rule::default()
        };
        assert_eq!(both.check()[0].0, "archive");
        let bad_origin = Rule {
            when: Conditions {
                origin: Some("walk-in".into()),
                ..Conditions::default()
            },
            note: Some("x".into()),
            ..Rule::default()
        };
        assert_eq!(bad_origin.check()[0].0, "when.origin");
    }

    fn opportunity(stage: &str, changes: &[&str], archived: bool) -> Opportunity {
        let changes: Vec<_> = changes.iter().map(|s| json!({"toStageId": s})).collect();
        serde_json::from_value(json!({
            "id": "o1", "stage": stage, "stageChanges": changes,
            "archived": archived.then(|| json!({"archivedAt": 1, "reason": "r"})),
        }))
        .unwrap()
    }

    #[test]
    fn a_new_application_a_recruiter_moved_or_archived_is_stale() {
        let fresh = opportunity("new", &["new"], false);
        assert_eq!(stale_reason(Trigger::ApplicationCreated, &fresh), None);
        let moved = opportunity("screen", &["new", "screen"], false);
        assert!(stale_reason(Trigger::ApplicationCreated, &moved).is_some());
        let archived = opportunity("new", &["new"], true);
        assert_eq!(
            stale_reason(Trigger::ApplicationCreated, &archived).as_deref(),
            Some("the opportunity is archived")
        );
        assert_eq!(stale_reason(Trigger::Other, &archived), None);
    }

    #[test]
    fn a_stage_change_trigger_is_stale_once_the_opportunity_left_that_stage() {
        let there = opportunity("screen", &["new", "screen"], false);
        assert_eq!(stale_reason(Trigger::StageChange("screen"), &there), None);
        assert!(stale_reason(Trigger::StageChange("onsite"), &there).is_some());
    }
}
