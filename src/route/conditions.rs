//! Conditions on an opportunity as it is now (its posting, origin, sources, tags,
//! application answers, archive reason): the one matching vocabulary of `[[routes]]` and
//! of the `categorize` handler's rules. Pure: the facts are read beforehand
//! ([`OpportunityFacts`]).

use crate::lever::OpportunityFacts;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Conditions that all must hold; an empty set holds for everything. Names compare
/// without regard to case; a posting may be named by its title or its id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// The posting's title or id.
    #[serde(default)]
    pub posting: Option<String>,
    /// The posting's team.
    #[serde(default)]
    pub posting_team: Option<String>,
    /// The posting's department.
    #[serde(default)]
    pub posting_department: Option<String>,
    /// The posting's location (any of its locations).
    #[serde(default)]
    pub posting_location: Option<String>,
    /// How the candidacy began: `applied`, `sourced`, `referred`, `agency`, `internal`,
    /// `university`.
    #[serde(default)]
    pub origin: Option<String>,
    /// At least one of these sources.
    #[serde(default)]
    pub sources_any: Vec<String>,
    /// At least one of these tags, on the opportunity as it is now.
    #[serde(default)]
    pub tags_any: Vec<String>,
    /// Every one of these tags.
    #[serde(default)]
    pub tags_all: Vec<String>,
    /// None of these tags.
    #[serde(default)]
    pub tags_none: Vec<String>,
    /// Application answers: question text → the answer it must have (one of the answers
    /// given, for a multiple choice).
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    /// The archive reason's name (the opportunity must be archived with it).
    #[serde(default)]
    pub archive_reason: Option<String>,
}

/// The origins Lever knows.
pub const ORIGINS: [&str; 6] = [
    "applied",
    "sourced",
    "referred",
    "agency",
    "internal",
    "university",
];

impl Conditions {
    /// True when no condition is set (nothing needs reading).
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Problems with these conditions, as (key, message) pairs.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if let Some(origin) = &self.origin {
            if !ORIGINS.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
                problems.push((
                    "origin".to_owned(),
                    format!(
                        "`{origin}` is not an origin; use one of {}",
                        ORIGINS.join(", ")
                    ),
                ));
            }
        }
        problems
    }

    /// Whether `facts` meet every condition.
    pub fn matches(&self, facts: &OpportunityFacts) -> bool {
        let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
        let posting = facts.posting.as_ref();
        let categories = posting.map(|p| &p.categories);
        let is = |wanted: &Option<String>, actual: Option<&str>| match wanted {
            None => true,
            Some(wanted) => actual.is_some_and(|a| same(a, wanted)),
        };
        let posting_ok = match &self.posting {
            None => true,
            Some(wanted) => posting.is_some_and(|p| {
                same(&p.id, wanted) || p.text.as_deref().is_some_and(|t| same(t, wanted))
            }),
        };
        let location_ok = match &self.posting_location {
            None => true,
            Some(wanted) => categories.is_some_and(|c| {
                c.location
                    .iter()
                    .chain(&c.all_locations)
                    .any(|l| same(l, wanted))
            }),
        };
        let opportunity = &facts.opportunity;
        let has_tag = |tag: &String| opportunity.tags.iter().any(|t| same(t, tag));
        let answers_ok = self.answers.iter().all(|(question, wanted)| {
            facts
                .answers
                .iter()
                .filter(|(asked, _)| same(asked, question))
                .any(|(_, given)| given.iter().any(|g| same(g, wanted)))
        });
        posting_ok
            && is(
                &self.posting_team,
                categories.and_then(|c| c.team.as_deref()),
            )
            && is(
                &self.posting_department,
                categories.and_then(|c| c.department.as_deref()),
            )
            && location_ok
            && is(&self.origin, opportunity.origin.as_deref())
            && (self.sources_any.is_empty()
                || self
                    .sources_any
                    .iter()
                    .any(|s| opportunity.sources.iter().any(|o| same(o, s))))
            && (self.tags_any.is_empty() || self.tags_any.iter().any(has_tag))
            && self.tags_all.iter().all(has_tag)
            && !self.tags_none.iter().any(has_tag)
            && answers_ok
            && is(&self.archive_reason, facts.archive_reason.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lever::{Opportunity, Posting};
    use serde_json::json;

    fn facts() -> OpportunityFacts {
        let opportunity: Opportunity = serde_json::from_value(json!({
            "id": "o1",
            "origin": "referred",
            "sources": ["LinkedIn"],
            "tags": ["Engineering", "Remote"],
            "applications": [{
                "id": "a1",
                "posting": "p1",
                "customQuestions": [{"fields": [
                    {"text": "Are you authorized to work in the US?", "value": "Yes"},
                    {"text": "Languages", "value": ["Rust", "Go"]}
                ]}]
            }]
        }))
        .unwrap();
        let posting: Posting = serde_json::from_value(json!({
            "id": "p1", "text": "Backend Engineer",
            "categories": {"team": "Platform", "department": "Engineering",
                           "location": "Oakland", "allLocations": ["Oakland", "Remote"]}
        }))
        .unwrap();
        OpportunityFacts::from_parts(opportunity, Some(posting), Some("Hired".to_owned()))
    }

    fn parse(toml_text: &str) -> Conditions {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn each_condition_holds_or_excludes() {
        let facts = facts();
        let holds = [
            "",
            "posting = \"backend engineer\"",
            "posting = \"p1\"",
            "posting_team = \"platform\"",
            "posting_department = \"Engineering\"",
            "posting_location = \"Remote\"",
            "origin = \"referred\"",
            "sources_any = [\"Indeed\", \"linkedin\"]",
            "tags_any = [\"remote\", \"x\"]",
            "tags_all = [\"Engineering\", \"Remote\"]",
            "tags_none = [\"Do not contact\"]",
            "answers = { \"Are you authorized to work in the US?\" = \"yes\" }",
            "answers = { \"Languages\" = \"Go\" }",
            "archive_reason = \"hired\"",
        ];
        for text in holds {
            assert!(parse(text).matches(&facts), "should hold: {text}");
        }
        let excludes = [
            "posting = \"Account Executive\"",
            "posting_team = \"Sales\"",
            "posting_department = \"Sales\"",
            "posting_location = \"Berlin\"",
            "origin = \"sourced\"",
            "sources_any = [\"Indeed\"]",
            "tags_any = [\"Alumni\"]",
            "tags_all = [\"Engineering\", \"Alumni\"]",
            "tags_none = [\"Remote\"]",
            "answers = { \"Are you authorized to work in the US?\" = \"No\" }",
            "answers = { \"Unknown question\" = \"Yes\" }",
            "archive_reason = \"Withdrew\"",
        ];
        for text in excludes {
            assert!(!parse(text).matches(&facts), "should exclude: {text}");
        }
    }

    #[test]
    fn posting_conditions_exclude_an_opportunity_without_a_posting() {
        let mut facts = facts();
        facts.posting = None;
        assert!(!parse("posting_team = \"Platform\"").matches(&facts));
        assert!(parse("origin = \"referred\"").matches(&facts));
    }

    #[test]
    fn an_unknown_origin_or_key_is_a_problem() {
        assert_eq!(parse("origin = \"walk-in\"").check()[0].0, "origin");
        assert!(toml::from_str::<Conditions>("tag_any = [\"x\"]").is_err());
    }
}
