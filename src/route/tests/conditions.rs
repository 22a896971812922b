//! Routes with conditions on the opportunity: when the router needs it read, how the
//! conditions decide a match, and what `check-config` says about them.

use super::*;
use crate::lever::{Opportunity, Posting};
use crate::route::conditions::Conditions;
use serde_json::json;

/// A route for `events` to `handler` with conditions written in TOML.
fn with(events: &[&str], conditions: &str, handler: &str) -> RouteConfig {
    RouteConfig {
        conditions: toml::from_str::<Conditions>(conditions).unwrap(),
        ..route(events, None, None, handler)
    }
}

/// Facts about `o1`: on the Backend Engineer posting, tagged `tags`.
fn opportunity(tags: &[&str]) -> Facts {
    let opportunity: Opportunity = serde_json::from_value(json!({
        "id": "o1", "origin": "referred", "tags": tags,
        "applications": [{"id": "a1", "posting": "p1"}]
    }))
    .unwrap();
    let posting: Posting = serde_json::from_value(json!({
        "id": "p1", "text": "Backend Engineer",
        "categories": {"team": "Platform", "department": "Engineering"}
    }))
    .unwrap();
    Facts {
        opportunity: Some(OpportunityFacts::from_parts(
            opportunity,
            Some(posting),
            None,
        )),
        ..Facts::default()
    }
}

fn created() -> LeverEvent {
    decode(
        "applicationCreated",
        r#"{"opportunityId":"o1","candidateId":"o1","contactId":"c1","postingId":"p1"}"#,
    )
}

#[test]
fn the_opportunity_is_read_only_when_a_route_that_could_match_has_conditions() {
    let plain = Router::new(&[route(&["applicationCreated", "hired"], None, None, "a")]);
    assert!(
        !plain
            .needs("applicationCreated", Some(&created()))
            .opportunity
    );

    let router = Router::new(&[
        with(
            &["applicationCreated"],
            "posting_department = \"Engineering\"",
            "eng",
        ),
        with(&["hired"], "tags_none = [\"Alumni\"]", "alumni"),
    ]);
    assert!(
        router
            .needs("applicationCreated", Some(&created()))
            .opportunity
    );
    // Through a meaning: an archive may be a hire.
    let archive = archived(Some("r1"));
    assert!(
        router
            .needs("candidateArchiveChange", Some(&archive))
            .opportunity
    );
    // No route with conditions names a stage change.
    let move_ = stage_change("a", "b");
    assert!(
        !router
            .needs("candidateStageChange", Some(&move_))
            .opportunity
    );
    // An event about no opportunity has nothing to read.
    let star = Router::new(&[with(&["*"], "origin = \"referred\"", "any")]);
    let contact = decode("contactUpdated", r#"{"contactId":"c1"}"#);
    assert!(!star.needs("contactUpdated", Some(&contact)).opportunity);
    assert!(!star.needs("applicationCreated", None).opportunity);
}

#[test]
fn a_route_with_conditions_matches_only_when_they_hold_on_the_facts_read() {
    let router = Router::new(&[
        with(
            &["applicationCreated"],
            "posting = \"backend engineer\"\ntags_none = [\"Do not contact\"]",
            "backend",
        ),
        with(&["applicationCreated"], "posting_team = \"Sales\"", "sales"),
        route(&["applicationCreated"], None, None, "always"),
    ]);
    let event = created();
    let found =
        |facts: &Facts| names(router.handlers_for("applicationCreated", Some(&event), facts));
    assert_eq!(found(&opportunity(&["Engineering"])), ["backend", "always"]);
    assert_eq!(found(&opportunity(&["Do not contact"])), ["always"]);
    // Not read (no Data API, or deleted): conditions never hold.
    assert_eq!(found(&no_facts()), ["always"]);
}

#[test]
fn conditions_and_meanings_combine() {
    let router = Router::new(&[with(&["hired"], "origin = \"referred\"", "referral-bonus")]);
    let event = hired();
    assert_eq!(
        names(router.handlers_for("candidateHired", Some(&event), &opportunity(&[]))),
        ["referral-bonus"]
    );
    let mut sourced = opportunity(&[]);
    sourced.opportunity.as_mut().unwrap().opportunity.origin = Some("sourced".into());
    assert!(router
        .handlers_for("candidateHired", Some(&event), &sourced)
        .is_empty());
}

#[test]
fn route_keys_read_flat_and_are_checked() {
    let route: RouteConfig = toml::from_str(
        r#"
events = ["applicationCreated"]
posting = "Backend Engineer"
tags_none = ["Do not contact"]
answers = { "Are you authorized to work in the US?" = "Yes" }
handler = "h"
"#,
    )
    .unwrap();
    assert_eq!(
        route.conditions.posting.as_deref(),
        Some("Backend Engineer")
    );
    assert_eq!(route.conditions.tags_none, ["Do not contact"]);
    assert_eq!(route.conditions.answers.len(), 1);
    assert!(route.check().is_empty(), "{:?}", route.check());

    let unknown = "events = [\"applicationCreated\"]\ntag_any = [\"x\"]\nhandler = \"h\"";
    assert!(toml::from_str::<RouteConfig>(unknown).is_err());

    let bad_origin = with(&["applicationCreated"], "origin = \"walk-in\"", "h");
    assert_eq!(bad_origin.check()[0].0, "origin");
    for events in [
        &["contactUpdated"][..],
        &["*"],
        &["applicationCreated", "candidateDeleted"],
    ] {
        let problems = with(events, "tags_any = [\"x\"]", "h").check();
        assert_eq!(problems.len(), 1, "{events:?}: {problems:?}");
        assert_eq!(problems[0].0, "events");
    }
    assert!(
        with(&["hired", "interviewCreated"], "tags_any = [\"x\"]", "h")
            .check()
            .is_empty()
    );
}
